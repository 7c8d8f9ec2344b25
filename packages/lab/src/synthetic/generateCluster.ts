import { createHash } from 'node:crypto';
import type { ClusterObjects, EndpointSlice, Namespace, NetworkPolicy, Node, Pod, Service } from '@patchbay/schema';
import { z } from 'zod';
import { CLUSTER_CIDR, SERVICE_CIDR, nodeAddress, podBlock, podBlockPrefix, podsPerBlock, serviceIP } from './addressPlan.js';
import { fnv1a, mulberry32 } from './prng.js';

// A large, deterministic cluster: what `kubectl get nodes,namespaces,pods,services,endpointslices,
// networkpolicies -A -o json` would print for it, and the same objects as ClusterObjects.

export const GenerateClusterOptions = z.strictObject({
  nodes: z.number().int().min(1).max(100_000),
  podsPerNode: z.number().int().min(0),
  services: z.number().int().min(0).max(60_000),
  /** Ready endpoints per service (default 3); a few services get none and a few endpoints are not ready. */
  endpointsPerService: z.number().int().min(0).optional(),
  seed: z.number().int().optional(),
});
export type GenerateClusterOptions = z.input<typeof GenerateClusterOptions>;

export interface SyntheticCluster {
  /** A kubectl List (apiVersion v1, kind List) holding every object below. */
  clusterList: { apiVersion: 'v1'; kind: 'List'; metadata: { resourceVersion: string }; items: unknown[] };
  cluster: ClusterObjects;
}

/** Share of generated services of each kind (the rest are plain ClusterIP). */
const NODEPORT_SHARE = 0.08;
const AFFINITY_SHARE = 0.02;
const NO_ENDPOINTS_SHARE = 0.01;
const NOT_READY_SHARE = 0.01;
/** Services that also expose a metrics port (brings 10,000 services to kube-proxy's ~16 MB of rules). */
const METRICS_PORT_SHARE = 0.25;
const NODEPORT_RANGE: [number, number] = [30000, 32767];
const SERVICES_PER_NAMESPACE = 200;
const BACKEND_DATA = 'flannel.alpha.coreos.com/backend-data';

/** The VXLAN VTEP MAC flannel publishes for node i (locally administered, unicast). */
export function vtepMac(nodeName: string): string {
  const h = fnv1a(`vtep/${nodeName}`);
  return ['0a', '58', ...[24, 16, 8, 0].map((s) => ((h >>> s) & 255).toString(16).padStart(2, '0'))].join(':');
}

function suffix(text: string, n: number): string {
  // kube-style random suffixes, but stable: lower-case alphanumerics from a hash.
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let h = fnv1a(text);
  let out = '';
  for (let i = 0; i < n; i++) {
    out += alphabet[h % alphabet.length];
    h = Math.floor(h / alphabet.length) || fnv1a(out + text);
  }
  return out;
}

function uid(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function generateCluster(input: GenerateClusterOptions): SyntheticCluster {
  const opts = GenerateClusterOptions.parse(input);
  const rng = mulberry32(opts.seed ?? 1);
  const eps = opts.endpointsPerService ?? 3;
  const prefix = podBlockPrefix(opts.nodes);
  if (opts.podsPerNode > podsPerBlock(prefix))
    throw new Error(`podsPerNode ${opts.podsPerNode} does not fit a /${prefix} pod block (${podsPerBlock(prefix)} pods) for ${opts.nodes} nodes`);
  const created = '2026-11-01T00:00:00Z';

  const nodes: Node[] = [];
  for (let i = 0; i < opts.nodes; i++) {
    const name = `node-${String(i).padStart(4, '0')}`;
    const addr = nodeAddress(i);
    const block = podBlock(i, prefix);
    nodes.push({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        uid: uid(`node/${name}`),
        creationTimestamp: created,
        labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'topology.kubernetes.io/zone': `zone-${i % 3}` },
        annotations: {
          [BACKEND_DATA]: JSON.stringify({ VNI: 1, VtepMAC: vtepMac(name) }),
          'flannel.alpha.coreos.com/backend-type': 'vxlan',
          'flannel.alpha.coreos.com/public-ip': addr.ip,
        },
      },
      spec: { podCIDR: block.cidr, podCIDRs: [block.cidr] },
      status: {
        addresses: [
          { type: 'InternalIP', address: addr.ip },
          { type: 'Hostname', address: name },
        ],
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    });
  }

  const nsCount = Math.max(1, Math.ceil(opts.services / SERVICES_PER_NAMESPACE));
  const nsNames = ['default', 'kube-system', ...Array.from({ length: nsCount }, (_, i) => `team-${String(i).padStart(3, '0')}`), 'idle'];
  const namespaces: Namespace[] = nsNames.map((name) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, uid: uid(`ns/${name}`), labels: { 'kubernetes.io/metadata.name': name } },
  }));

  // Pod p lives on node p % nodes in slot floor(p / nodes), so consecutive pods (one service's endpoints) land
  // on different nodes. Pods 0 and 1 are CoreDNS; each generated service takes the next `eps` pods.
  const totalPods = opts.nodes * opts.podsPerNode;
  const podOwner: ({ ns: string; app: string; name: string; port: number; metrics?: boolean } | undefined)[] = new Array<undefined>(totalPods);
  const services: Service[] = [];
  const slices: EndpointSlice[] = [];
  let nextPod = 0;
  const takePod = (): number | null => {
    if (totalPods === 0) return null;
    return nextPod++ % totalPods;
  };
  const slice = (ns: string, svc: string, ports: EndpointSlice['ports'], endpoints: EndpointSlice['endpoints']): EndpointSlice => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      namespace: ns,
      name: `${svc}-${suffix(`slice/${ns}/${svc}`, 5)}`,
      labels: { 'kubernetes.io/service-name': svc, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
    },
    addressType: 'IPv4',
    ports,
    endpoints,
  });
  const podEndpoint = (p: number, ready: boolean) => {
    const owner = podOwner[p];
    const node = nodes[p % opts.nodes];
    const ip = podBlock(p % opts.nodes, prefix).podIP(Math.floor(p / opts.nodes));
    return {
      addresses: [ip],
      conditions: { ready, serving: ready, terminating: false },
      nodeName: node?.metadata.name,
      targetRef: { kind: 'Pod', namespace: owner?.ns, name: owner?.name },
    };
  };

  // The API server and DNS, as every cluster has them.
  services.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: 'default', name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1'], ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: 6443 }], sessionAffinity: 'None' },
  });
  slices.push({
    ...slice('default', 'kubernetes', [{ name: 'https', port: 6443, protocol: 'TCP' }], [
      { addresses: [nodeAddress(0).ip], conditions: { ready: true, serving: true, terminating: false } },
    ]),
    metadata: { namespace: 'default', name: 'kubernetes', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
  });
  const dnsPods: number[] = [];
  for (let i = 0; i < 2; i++) {
    const p = takePod();
    if (p === null) break;
    podOwner[p] = { ns: 'kube-system', app: 'kube-dns', name: `coredns-${suffix('coredns', 10)}-${suffix(`coredns/${i}`, 5)}`, port: 53 };
    dnsPods.push(p);
  }
  services.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: 'kube-system', name: 'kube-dns', labels: { 'k8s-app': 'kube-dns' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10'],
      selector: { app: 'kube-dns' },
      sessionAffinity: 'None',
      ports: [
        { name: 'dns', protocol: 'UDP', port: 53, targetPort: 53 },
        { name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: 53 },
      ],
    },
  });
  slices.push(
    slice(
      'kube-system',
      'kube-dns',
      [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      ],
      dnsPods.map((p) => podEndpoint(p, true)),
    ),
  );

  const nodePorts = NODEPORT_RANGE[1] - NODEPORT_RANGE[0] + 1;
  let nextNodePort = 0;
  // externalTrafficPolicy Local makes a node's rules depend on its own endpoints; keep it rare so almost every
  // node shares one identical iptables-save text.
  const localQuota = opts.services >= 100 ? Math.max(1, Math.round(opts.services / 5000)) : 0;
  let localCount = 0;
  for (let k = 0; k < opts.services; k++) {
    const ns = nsNames[2 + (k % nsCount)] ?? 'default';
    const name = `svc-${String(k).padStart(5, '0')}`;
    const app = `app-${k}`;
    const nodePort = rng.chance(NODEPORT_SHARE) && nextNodePort < nodePorts ? NODEPORT_RANGE[0] + nextNodePort++ : null;
    const affinity = rng.chance(AFFINITY_SHARE);
    const noEndpoints = rng.chance(NO_ENDPOINTS_SHARE);
    const metrics = rng.chance(METRICS_PORT_SHARE);
    const local = nodePort !== null && !noEndpoints && localCount < localQuota;
    if (local) localCount++;
    const clusterIP = serviceIP(k);
    services.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { namespace: ns, name, uid: uid(`svc/${ns}/${name}`), labels: { app } },
      spec: {
        type: nodePort === null ? 'ClusterIP' : 'NodePort',
        clusterIP,
        clusterIPs: [clusterIP],
        selector: { app },
        ports: [
          { name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', ...(nodePort === null ? {} : { nodePort }) },
          ...(metrics ? [{ name: 'metrics', protocol: 'TCP' as const, port: 9090, targetPort: 9090 }] : []),
        ],
        sessionAffinity: affinity ? 'ClientIP' : 'None',
        ...(affinity ? { sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } } } : {}),
        internalTrafficPolicy: 'Cluster',
        ...(nodePort === null ? {} : { externalTrafficPolicy: local ? 'Local' : 'Cluster' }),
      },
    });
    const endpoints: NonNullable<EndpointSlice['endpoints']> = [];
    if (!noEndpoints)
      for (let e = 0; e < eps; e++) {
        const p = takePod();
        if (p === null) break;
        podOwner[p] ??= { ns, app, name: `${name}-${suffix(`rs/${name}`, 10)}-${suffix(`pod/${name}/${e}`, 5)}`, port: 8080, metrics };
        endpoints.push(podEndpoint(p, !rng.chance(NOT_READY_SHARE)));
      }
    const slicePorts = [{ name: 'http', port: 8080, protocol: 'TCP' as const }, ...(metrics ? [{ name: 'metrics', port: 9090, protocol: 'TCP' as const }] : [])];
    slices.push(slice(ns, name, slicePorts, endpoints));
  }

  const pods: Pod[] = [];
  for (let p = 0; p < totalPods; p++) {
    const i = p % opts.nodes;
    const node = nodes[i];
    if (!node) continue;
    const owner = podOwner[p] ?? { ns: 'idle', app: 'idle', name: `idle-${suffix(`idle/${p}`, 5)}-${p}`, port: 8080 };
    const ip = podBlock(i, prefix).podIP(Math.floor(p / opts.nodes));
    const ports =
      owner.app === 'kube-dns'
        ? [
            { name: 'dns', containerPort: 53, protocol: 'UDP' as const },
            { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' as const },
          ]
        : [
            { name: 'http', containerPort: owner.port, protocol: 'TCP' as const },
            ...(owner.metrics ? [{ name: 'metrics', containerPort: 9090, protocol: 'TCP' as const }] : []),
          ];
    pods.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { namespace: owner.ns, name: owner.name, uid: uid(`pod/${owner.ns}/${owner.name}`), labels: { app: owner.app } },
      spec: { nodeName: node.metadata.name, containers: [{ name: owner.app, ports }] },
      status: {
        phase: 'Running',
        podIP: ip,
        podIPs: [{ ip }],
        hostIP: nodeAddress(i).ip,
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    });
  }

  const networkPolicies = policies(nsNames.slice(2, 2 + Math.min(nsCount, 5)));
  const cluster: ClusterObjects = { nodes, namespaces, pods, services, endpointSlices: slices, networkPolicies };
  return {
    clusterList: {
      apiVersion: 'v1',
      kind: 'List',
      metadata: { resourceVersion: '' },
      items: [...nodes, ...namespaces, ...pods, ...services, ...slices, ...networkPolicies],
    },
    cluster,
  };
}

/** A handful of common policies: default deny, same-namespace allow, DNS egress, a cross-namespace allow. */
function policies(ns: string[]): NetworkPolicy[] {
  const out: NetworkPolicy[] = [];
  const np = (namespace: string, name: string, spec: NetworkPolicy['spec']): NetworkPolicy => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { namespace, name },
    spec,
  });
  const [a, b, c, d, e] = ns;
  if (a) out.push(np(a, 'default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] }));
  if (b) out.push(np(b, 'allow-same-namespace', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: {} }] }] }));
  if (c)
    out.push(
      np(c, 'egress-dns-only', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { app: 'kube-dns' } } }],
            ports: [
              { protocol: 'UDP', port: 53 },
              { protocol: 'TCP', port: 53 },
            ],
          },
        ],
      }),
    );
  if (d && a)
    out.push(
      np(d, 'allow-from-team', {
        podSelector: { matchLabels: { app: 'app-3' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': a } } }], ports: [{ protocol: 'TCP', port: 'http' }] }],
      }),
    );
  if (e)
    out.push(
      np(e, 'allow-cidr', {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ ipBlock: { cidr: '192.0.2.0/24', except: ['192.0.2.128/25'] } }], ports: [{ protocol: 'TCP', port: 8080, endPort: 8090 }] }],
      }),
    );
  return out;
}

export { CLUSTER_CIDR, SERVICE_CIDR };
