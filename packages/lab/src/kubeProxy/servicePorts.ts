import type { ClusterObjects, EndpointSlice, Service } from '@patchbay/schema';
import { servicePortName, type L4Proto } from './names.js';

// The service ports kube-proxy programs on one node, with endpoints categorised the way
// pkg/proxy/topology.go CategorizeEndpoints does (minus topology hints, which the lab does not use).

export interface EndpointInfo {
  ip: string;
  port: number;
  /** "IP:port", the string kube-proxy hashes and prints. */
  endpoint: string;
  nodeName: string | null;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** On the node being programmed (endpoint.nodeName === node). */
  local: boolean;
}

export interface ServicePortInfo {
  namespace: string;
  name: string;
  /** The port's name, '' when unnamed. */
  portName: string;
  /** `ns/name:portName` (or `ns/name`). */
  spn: string;
  protocol: L4Proto;
  clusterIP: string;
  port: number;
  nodePort: number | null;
  externalIPs: string[];
  loadBalancerIPs: string[];
  loadBalancerSourceRanges: string[];
  healthCheckNodePort: number | null;
  externallyAccessible: boolean;
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
  /** ClientIP affinity timeout in seconds, null without affinity. */
  affinityTimeout: number | null;
  /** Every endpoint of the slices, ready or not, sorted by "IP:port". */
  allEndpoints: EndpointInfo[];
  /** Endpoints for Cluster policy: the ready ones, or serving+terminating ones if none is ready. */
  clusterEndpoints: EndpointInfo[];
  /** Endpoints for Local policy: the same rule applied to this node's endpoints. */
  localEndpoints: EndpointInfo[];
}

const DEFAULT_AFFINITY_SECONDS = 10800;

/** ready/serving default to true when unset (API: "nil should be interpreted as true"); terminating to false. */
function conditionsOf(c: { ready?: boolean; serving?: boolean; terminating?: boolean } | undefined) {
  const ready = c?.ready ?? true;
  return { ready, serving: c?.serving ?? ready, terminating: c?.terminating ?? false };
}

function usable(eps: EndpointInfo[]): EndpointInfo[] {
  const ready = eps.filter((e) => e.ready);
  if (ready.length > 0) return ready;
  return eps.filter((e) => e.serving && e.terminating);
}

function sliceServiceKey(slice: EndpointSlice): string | null {
  const svc = slice.metadata.labels?.['kubernetes.io/service-name'];
  return svc ? `${slice.metadata.namespace}/${svc}` : null;
}

/** Fields kube-proxy reads that the schema keeps only as loose extras. */
function extras(svc: Service): { lbIPs: string[]; sourceRanges: string[]; hcnp: number | null } {
  const spec = svc.spec as Record<string, unknown>;
  const status = (svc as Record<string, unknown>).status as { loadBalancer?: { ingress?: { ip?: unknown }[] } } | undefined;
  const lbIPs = (status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((ip): ip is string => typeof ip === 'string');
  const sourceRanges = Array.isArray(spec.loadBalancerSourceRanges)
    ? spec.loadBalancerSourceRanges.filter((r): r is string => typeof r === 'string')
    : [];
  const hcnp = typeof spec.healthCheckNodePort === 'number' ? spec.healthCheckNodePort : null;
  return { lbIPs: svc.spec.type === 'LoadBalancer' ? lbIPs : [], sourceRanges, hcnp };
}

function isIPv4(s: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(s);
}

/**
 * The IPv4 service ports kube-proxy would program on `nodeName`, in a stable order (namespace, name, port
 * order in the spec). Headless and ExternalName services are skipped, as kube-proxy skips them.
 */
export function endpointsForNode(cluster: ClusterObjects, nodeName: string): ServicePortInfo[] {
  const slicesBySvc = new Map<string, EndpointSlice[]>();
  for (const slice of cluster.endpointSlices) {
    if (slice.addressType !== 'IPv4') continue;
    const key = sliceServiceKey(slice);
    if (!key) continue;
    const list = slicesBySvc.get(key);
    if (list) list.push(slice);
    else slicesBySvc.set(key, [slice]);
  }
  const services = [...cluster.services].sort((a, b) =>
    a.metadata.namespace === b.metadata.namespace
      ? cmp(a.metadata.name, b.metadata.name)
      : cmp(a.metadata.namespace, b.metadata.namespace),
  );
  const out: ServicePortInfo[] = [];
  for (const svc of services) {
    if (svc.spec.type === 'ExternalName') continue;
    const clusterIP = svc.spec.clusterIP;
    if (!clusterIP || clusterIP === 'None' || !isIPv4(clusterIP)) continue;
    const { namespace, name } = svc.metadata;
    const { lbIPs, sourceRanges, hcnp } = extras(svc);
    const slices = slicesBySvc.get(`${namespace}/${name}`) ?? [];
    const externalIPs = (svc.spec.externalIPs ?? []).filter(isIPv4);
    for (const sp of svc.spec.ports) {
      const portName = sp.name ?? '';
      const protocol = sp.protocol.toLowerCase() as L4Proto;
      const nodePort = svc.spec.type === 'NodePort' || svc.spec.type === 'LoadBalancer' ? (sp.nodePort ?? null) : null;
      const externallyAccessible = nodePort !== null || externalIPs.length > 0 || lbIPs.length > 0;
      const allEndpoints = collectEndpoints(slices, portName, sp.protocol, nodeName);
      const clusterEndpoints = usable(allEndpoints);
      const localEndpoints = usable(allEndpoints.filter((e) => e.local));
      out.push({
        namespace,
        name,
        portName,
        spn: servicePortName(namespace, name, portName),
        protocol,
        clusterIP,
        port: sp.port,
        nodePort,
        externalIPs,
        loadBalancerIPs: lbIPs,
        loadBalancerSourceRanges: sourceRanges,
        // The API server allocates health-check node ports for LoadBalancer services with eTP=Local only.
        healthCheckNodePort: svc.spec.type === 'LoadBalancer' && svc.spec.externalTrafficPolicy === 'Local' ? hcnp : null,
        externallyAccessible,
        externalPolicyLocal: externallyAccessible && svc.spec.externalTrafficPolicy === 'Local',
        internalPolicyLocal: svc.spec.internalTrafficPolicy === 'Local',
        affinityTimeout:
          svc.spec.sessionAffinity === 'ClientIP'
            ? (svc.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS)
            : null,
        allEndpoints,
        clusterEndpoints,
        localEndpoints,
      });
    }
  }
  return out;
}

function collectEndpoints(slices: EndpointSlice[], portName: string, protocol: string, nodeName: string): EndpointInfo[] {
  const seen = new Map<string, EndpointInfo>();
  for (const slice of slices) {
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === portName && p.protocol === protocol)?.port;
    if (port === undefined) continue;
    for (const ep of slice.endpoints ?? []) {
      const ip = ep.addresses[0];
      if (ip === undefined) continue;
      const endpoint = `${ip}:${port}`;
      if (seen.has(endpoint)) continue;
      const node = ep.nodeName ?? null;
      seen.set(endpoint, { ip, port, endpoint, nodeName: node, ...conditionsOf(ep.conditions), local: node === nodeName });
    }
  }
  return [...seen.values()].sort((a, b) => cmp(a.endpoint, b.endpoint));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The same ports seen from another node: only Local-policy ports depend on the node, so the rest are shared.
 * Lets a caller categorise once and render many nodes cheaply.
 */
export function localizePorts(ports: ServicePortInfo[], nodeName: string): ServicePortInfo[] {
  return ports.map((sp) => {
    if (!sp.internalPolicyLocal && !sp.externalPolicyLocal) return sp;
    const allEndpoints = sp.allEndpoints.map((e) => ({ ...e, local: e.nodeName === nodeName }));
    return { ...sp, allEndpoints, clusterEndpoints: usable(allEndpoints), localEndpoints: usable(allEndpoints.filter((e) => e.local)) };
  });
}
