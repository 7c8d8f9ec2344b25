import { z } from 'zod';
import { Trace } from '@patchbay/schema';

// Input and output schemas of every procedure. Outputs are validated too, so the web app's types come from
// here and a builder that drifts from them fails loudly on the server rather than oddly in the browser.

const name = z.string().min(1).max(253);
const problem = z.object({ file: z.string(), path: z.string(), message: z.string() });
const sourceError = z.object({ at: z.string(), message: z.string(), problems: z.array(problem) });
/** A node served from its last good snapshot because its file went bad (since when, why). */
const staleNode = z.object({ node: z.string(), file: z.string(), since: z.string(), servedCapturedAt: z.string(), problems: z.array(problem) });
/** Why changes to the source may be missed right now. */
const watchError = z.object({ at: z.string(), message: z.string() });

export const SummaryOutput = z.object({
  source: z.string(),
  capturedAt: z.string().nullable(),
  loadedAt: z.string(),
  generation: z.number().int(),
  counts: z.object({ nodes: z.number(), observedNodes: z.number(), pods: z.number(), services: z.number(), namespaces: z.number(), devices: z.number(), networkPolicies: z.number() }),
  cni: z.array(z.object({ kind: z.string(), nodes: z.number() })),
  kubeProxy: z.array(z.object({ mode: z.string(), nodes: z.number() })),
  problemCount: z.number(),
  problems: z.array(problem),
  warnings: z.array(z.string()),
  lastReloadError: sourceError.nullable(),
  staleNodes: z.array(staleNode),
  watchError: watchError.nullable(),
});

export const ClusterMapInput = z.object({
  expandedNodes: z.array(name).max(2000).default([]),
  namespaces: z.array(name).max(1000).default([]),
  nodes: z.array(name).max(5000).default([]),
  focusNodes: z.array(name).max(50).default([]),
});

const mapNodeData = z.object({
  node: z.string().optional(),
  namespace: z.string().optional(),
  pod: z.string().optional(),
  ip: z.string().nullable().optional(),
  observed: z.boolean().optional(),
  expanded: z.boolean().optional(),
  pods: z.number().optional(),
  namespaces: z.number().optional(),
  cni: z.string().optional(),
  kubeProxy: z.string().optional(),
  podCIDRs: z.array(z.string()).optional(),
  internalIP: z.string().nullable().optional(),
  subnet: z.string().optional(),
  hostNetwork: z.boolean().optional(),
});

export const ClusterMapOutput = z.object({
  nodes: z.array(
    z.object({
      id: z.string(),
      kind: z.enum(['node', 'namespace', 'pod', 'segment']),
      parent: z.string().nullable(),
      label: z.string(),
      x: z.number(),
      y: z.number(),
      width: z.number(),
      height: z.number(),
      data: mapNodeData,
    }),
  ),
  edges: z.array(z.object({ id: z.string(), kind: z.enum(['underlay', 'tunnel', 'route']), source: z.string(), target: z.string(), label: z.string(), evidence: z.array(z.string()) })),
  allNamespaces: z.array(z.string()),
  bounds: z.object({ width: z.number(), height: z.number() }),
  totals: z.object({ nodes: z.number(), pods: z.number(), shownPods: z.number(), segments: z.number() }),
});

export const SearchInput = z.object({ q: z.string().max(200), limit: z.number().int().min(1).max(100).default(20) });
export const SearchHit = z.object({
  kind: z.enum(['pod', 'service', 'node', 'ip']),
  /** "NS/NAME" for pods and services, the name for nodes, the address for IPs. */
  key: z.string(),
  label: z.string(),
  detail: z.string(),
  /** Endpoints in the trace grammar this hit stands for (a service gives one per port). */
  endpoints: z.array(z.string()),
  /** For an address: the pod, node or service that has it (the first owner), so the hit can link to a page. */
  owner: z.object({ kind: z.enum(['pod', 'node', 'service']), key: z.string() }).nullable(),
  /** The node a pod (or an address's owning pod or node) is on, so the map can open it. */
  node: z.string().nullable(),
});
export const SearchOutput = z.array(SearchHit);

const vxlan = z
  .object({ vni: z.number().nullable(), local: z.string().nullable(), port: z.number().nullable(), dev: z.string().nullable(), fdb: z.array(z.object({ mac: z.string(), dst: z.string().nullable(), node: z.string().nullable() })) })
  .nullable();
export const DeviceRowSchema = z.object({
  id: z.string(),
  netns: z.string(),
  name: z.string(),
  kind: z.string(),
  up: z.boolean(),
  mtu: z.number(),
  mac: z.string().nullable(),
  addresses: z.array(z.string()),
  master: z.string().nullable(),
  peer: z.string().nullable(),
  vxlan,
});
const routeRow = z.object({ netns: z.string(), table: z.string(), dst: z.string(), gateway: z.string().nullable(), dev: z.string().nullable(), type: z.string(), protocol: z.string().nullable(), scope: z.string().nullable(), text: z.string() });

const ruleChain = z.object({ table: z.string(), chain: z.string(), rules: z.array(z.string()) });
const ruleEndpoint = z.object({ ip: z.string(), port: z.number(), share: z.number(), via: z.string() });
export const NodeServiceRulesSchema = z.object({
  node: z.string(),
  observed: z.boolean(),
  mode: z.string(),
  chains: z.array(ruleChain),
  endpoints: z.array(ruleEndpoint),
  note: z.string().nullable(),
});

export const NodeWiringOutput = z.object({
  node: z.string(),
  observed: z.boolean(),
  internalIP: z.string().nullable(),
  podCIDRs: z.array(z.string()),
  cni: z.string(),
  kubeProxy: z.string(),
  nodes: z.array(z.object({ id: z.string(), kind: z.enum(['netns', 'device', 'router']), parent: z.string().nullable(), label: z.string(), x: z.number(), y: z.number(), role: z.string(), up: z.boolean().nullable() })),
  edges: z.array(z.object({ id: z.string(), kind: z.enum(['veth', 'master', 'underlay', 'route']), source: z.string(), target: z.string(), label: z.string() })),
  bounds: z.object({ width: z.number(), height: z.number() }),
  pods: z.array(z.object({ pod: z.string(), netns: z.string().nullable(), ip: z.string().nullable(), hostNetwork: z.boolean(), eth0: z.string().nullable(), hostVeth: z.string().nullable(), hostVethName: z.string().nullable() })),
  devices: z.array(DeviceRowSchema),
  routes: z.array(routeRow),
  rules: z.array(z.object({ netns: z.string(), priority: z.number(), text: z.string() })),
  neighbours: z.array(z.object({ netns: z.string(), dst: z.string(), dev: z.string(), lladdr: z.string().nullable(), state: z.string() })),
  /** Every service's rules on this node, as the service rule table. */
  serviceRules: z.array(z.object({ service: z.string(), clusterIP: z.string().nullable(), chains: z.array(ruleChain), endpoints: z.array(ruleEndpoint), note: z.string().nullable() })),
  errors: z.array(z.object({ collector: z.string(), namespace: z.string().optional(), message: z.string() })),
});

export const NameInput = z.object({ name });
export const NamespacedInput = z.object({ namespace: name, name });

const servicePort = z.object({ name: z.string().nullable(), protocol: z.string(), port: z.number(), targetPort: z.union([z.number(), z.string()]).nullable(), nodePort: z.number().nullable() });
const apiEndpoint = z.object({ ip: z.string(), ports: z.record(z.string(), z.number()), pod: z.string().nullable(), node: z.string().nullable(), ready: z.boolean(), serving: z.boolean(), terminating: z.boolean() });

export const PodOutput = z.object({
  key: z.string(),
  namespace: z.string(),
  name: z.string(),
  node: z.string().nullable(),
  nodeObserved: z.boolean(),
  ip: z.string().nullable(),
  hostNetwork: z.boolean(),
  phase: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  netns: z.string().nullable(),
  devices: z.array(DeviceRowSchema),
  hostVeth: DeviceRowSchema.nullable(),
  routes: z.array(routeRow),
  services: z.array(z.object({ key: z.string(), ports: z.array(servicePort) })),
  policies: z.array(z.object({ key: z.string(), policyTypes: z.array(z.string()) })),
});

export const ServiceOutput = z.object({
  key: z.string(),
  namespace: z.string(),
  name: z.string(),
  type: z.string(),
  clusterIP: z.string().nullable(),
  selector: z.record(z.string(), z.string()).nullable(),
  ports: z.array(servicePort),
  endpoints: z.array(apiEndpoint),
  nodes: z.array(
    NodeServiceRulesSchema.extend({
      /** ip:port the API lists as ready but this node's rules do not send to. */
      missing: z.array(z.string()),
      /** ip:port this node's rules send to but the API does not list as ready. */
      extra: z.array(z.string()),
    }),
  ),
});

export const TraceInput = z.object({
  from: z.string().min(1).max(300),
  to: z.string().min(1).max(300),
  proto: z.enum(['tcp', 'udp', 'icmp']).default('tcp'),
  port: z.number().int().min(1).max(65535).nullable().default(null),
});
export const TraceOutput = Trace;

export const UpdateEvent = z.object({
  /** "watch": watchError changed (set or cleared), the data did not. */
  type: z.enum(['hello', 'loaded', 'rejected', 'watch']),
  generation: z.number(),
  loadedAt: z.string(),
  /** The last refused reload, if it is still the latest word. */
  error: sourceError.nullable(),
  staleNodes: z.array(staleNode),
  watchError: watchError.nullable(),
});
