import { z } from 'zod';

// The Kubernetes objects Patchbay reads, as the API (and `kubectl get -o json`) prints them. Only the fields
// Patchbay uses are typed; every other field is kept (looseObject), so nothing the API adds is fatal.

const Labels = z.record(z.string(), z.string());

export const ObjectMeta = z.looseObject({
  name: z.string().min(1),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  labels: Labels.optional(),
  annotations: Labels.optional(),
  resourceVersion: z.string().optional(),
});

export const LabelSelectorRequirement = z.looseObject({
  key: z.string(),
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: z.array(z.string()).optional(),
});
export const LabelSelector = z.looseObject({
  matchLabels: Labels.optional(),
  matchExpressions: z.array(LabelSelectorRequirement).optional(),
});
export type LabelSelector = z.infer<typeof LabelSelector>;

const Protocol = z.enum(['TCP', 'UDP', 'SCTP']);
const IntOrString = z.union([z.number().int(), z.string()]);

export const Node = z.looseObject({
  kind: z.literal('Node'),
  metadata: ObjectMeta,
  spec: z.looseObject({ podCIDR: z.string().optional(), podCIDRs: z.array(z.string()).optional() }).default({}),
  status: z
    .looseObject({
      addresses: z.array(z.looseObject({ type: z.string(), address: z.string() })).optional(),
      conditions: z.array(z.looseObject({ type: z.string(), status: z.string() })).optional(),
    })
    .default({}),
});
export type Node = z.infer<typeof Node>;

export const Namespace = z.looseObject({ kind: z.literal('Namespace'), metadata: ObjectMeta });
export type Namespace = z.infer<typeof Namespace>;

export const ContainerPort = z.looseObject({
  name: z.string().optional(),
  containerPort: z.number().int(),
  protocol: Protocol.default('TCP'),
});

export const Pod = z.looseObject({
  kind: z.literal('Pod'),
  metadata: ObjectMeta.extend({ namespace: z.string() }),
  spec: z.looseObject({
    nodeName: z.string().optional(),
    hostNetwork: z.boolean().optional(),
    containers: z.array(z.looseObject({ name: z.string(), ports: z.array(ContainerPort).optional() })).default([]),
  }),
  status: z
    .looseObject({
      phase: z.string().optional(),
      podIP: z.string().optional(),
      podIPs: z.array(z.looseObject({ ip: z.string() })).optional(),
      hostIP: z.string().optional(),
      conditions: z.array(z.looseObject({ type: z.string(), status: z.string() })).optional(),
    })
    .default({}),
});
export type Pod = z.infer<typeof Pod>;

export const ServicePort = z.looseObject({
  name: z.string().optional(),
  protocol: Protocol.default('TCP'),
  port: z.number().int(),
  targetPort: IntOrString.optional(),
  nodePort: z.number().int().optional(),
});
export type ServicePort = z.infer<typeof ServicePort>;

export const Service = z.looseObject({
  kind: z.literal('Service'),
  metadata: ObjectMeta.extend({ namespace: z.string() }),
  spec: z.looseObject({
    type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']).default('ClusterIP'),
    clusterIP: z.string().optional(),
    clusterIPs: z.array(z.string()).optional(),
    ports: z.array(ServicePort).default([]),
    selector: Labels.optional(),
    sessionAffinity: z.enum(['None', 'ClientIP']).optional(),
    sessionAffinityConfig: z.looseObject({ clientIP: z.looseObject({ timeoutSeconds: z.number().optional() }).optional() }).optional(),
    externalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
    internalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
    externalIPs: z.array(z.string()).optional(),
  }),
});
export type Service = z.infer<typeof Service>;

export const EndpointSlice = z.looseObject({
  kind: z.literal('EndpointSlice'),
  metadata: ObjectMeta.extend({ namespace: z.string() }),
  addressType: z.enum(['IPv4', 'IPv6', 'FQDN']),
  endpoints: z
    .array(
      z.looseObject({
        addresses: z.array(z.string()).min(1),
        conditions: z
          .looseObject({ ready: z.boolean().optional(), serving: z.boolean().optional(), terminating: z.boolean().optional() })
          .optional(),
        nodeName: z.string().optional(),
        targetRef: z.looseObject({ kind: z.string().optional(), name: z.string().optional(), namespace: z.string().optional() }).optional(),
      }),
    )
    .nullable()
    .default([]),
  ports: z
    .array(z.looseObject({ name: z.string().optional(), port: z.number().int().optional(), protocol: Protocol.default('TCP') }))
    .nullable()
    .default([]),
});
export type EndpointSlice = z.infer<typeof EndpointSlice>;

export const NetworkPolicyPeer = z.looseObject({
  podSelector: LabelSelector.optional(),
  namespaceSelector: LabelSelector.optional(),
  ipBlock: z.looseObject({ cidr: z.string(), except: z.array(z.string()).optional() }).optional(),
});
export type NetworkPolicyPeer = z.infer<typeof NetworkPolicyPeer>;

export const NetworkPolicyPort = z.looseObject({
  protocol: Protocol.default('TCP'),
  port: IntOrString.optional(),
  endPort: z.number().int().optional(),
});
export type NetworkPolicyPort = z.infer<typeof NetworkPolicyPort>;

export const NetworkPolicy = z.looseObject({
  kind: z.literal('NetworkPolicy'),
  metadata: ObjectMeta.extend({ namespace: z.string() }),
  spec: z.looseObject({
    podSelector: LabelSelector,
    policyTypes: z.array(z.enum(['Ingress', 'Egress'])).optional(),
    ingress: z.array(z.looseObject({ from: z.array(NetworkPolicyPeer).optional(), ports: z.array(NetworkPolicyPort).optional() })).optional(),
    egress: z.array(z.looseObject({ to: z.array(NetworkPolicyPeer).optional(), ports: z.array(NetworkPolicyPort).optional() })).optional(),
  }),
});
export type NetworkPolicy = z.infer<typeof NetworkPolicy>;

/** The kinds Patchbay reads, by `kind`. Anything else in a List is ignored. */
export const KnownKinds = {
  Node,
  Namespace,
  Pod,
  Service,
  EndpointSlice,
  NetworkPolicy,
} as const;
export type KnownKind = keyof typeof KnownKinds;

export const KubeList = z.looseObject({
  kind: z.string().refine((k) => k === 'List' || k.endsWith('List'), 'expected kind "List" (what kubectl get -o json prints)'),
  items: z.array(z.unknown()),
});

/**
 * An item of a known kind that cluster.json holds but that was left out as invalid, so a reader can say "svc
 * X is in cluster.json but invalid: <reason>" instead of "not in cluster.json".
 */
export interface RejectedObject {
  kind: KnownKind;
  /** As the item spells them, when they are strings (the item may be invalid for lacking them). */
  namespace?: string;
  name?: string;
  /** Where the item is, e.g. `$.items[7]`. */
  path: string;
  /** The first problem found, as `$.items[7].spec.ports[0].port: Invalid input: ...` (+ how many more). */
  reason: string;
}

export interface ClusterObjects {
  nodes: Node[];
  namespaces: Namespace[];
  pods: Pod[];
  services: Service[];
  endpointSlices: EndpointSlice[];
  networkPolicies: NetworkPolicy[];
  /** Items of known kinds left out as invalid (parseClusterList fills it; absent on objects built in code). */
  rejected?: RejectedObject[];
}

export function emptyCluster(): ClusterObjects {
  return { nodes: [], namespaces: [], pods: [], services: [], endpointSlices: [], networkPolicies: [], rejected: [] };
}
