import { z } from 'zod';
import { formatProblem, zodProblems } from '@patchbay/schema';
import { FAULT_NAMES } from './faultNames.js';
import { inCidr } from './ipv4.js';

// A declarative description of a lab: what the cluster intends (nodes, pods, services, policies), which CNI and
// kube-proxy mode wire it, and which faults are planted. Everything is checked against DESIGN.md's address plan
// before a single namespace is created.

const Name = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS label (lower-case letters, digits, -)').max(40);
const Ipv4 = z.string().regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/, 'must be an IPv4 address');
const Labels = z.record(z.string(), z.string());
const Proto = z.enum(['TCP', 'UDP']);

export const ScenarioNode = z.strictObject({
  name: Name,
  /** A /24 inside 10.244.0.0/16. */
  podCIDR: z.string().refine((c) => /\/24$/.test(c) && inCidr(c.split('/')[0] ?? '', '10.244.0.0/16'), 'must be a /24 inside 10.244.0.0/16'),
  /** The node's underlay address (eth0), inside 192.0.2.0/24 or 198.51.100.0/24. */
  internalIP: Ipv4.refine((a) => inCidr(a, '192.0.2.0/24') || inCidr(a, '198.51.100.0/24'), 'must be inside 192.0.2.0/24 or 198.51.100.0/24'),
});
export type ScenarioNode = z.infer<typeof ScenarioNode>;

export const ScenarioPort = z.strictObject({
  name: z.string().max(15).optional(),
  containerPort: z.number().int().min(1).max(65535),
  protocol: Proto.default('TCP'),
});

export const ScenarioPod = z.strictObject({
  namespace: Name,
  name: Name,
  node: Name,
  labels: Labels.default({}),
  /** What the pod's server listens on; also the pod's containerPorts in cluster.json. */
  ports: z.array(ScenarioPort).default([]),
  /** Fixed pod IP inside the node's podCIDR; allocated in order (.2, .3, ...) when absent. */
  ip: Ipv4.optional(),
  /**
   * Deleted through the API while a finalizer holds it: it keeps running and serving, and the EndpointSlice
   * controller lists it as serving and terminating, not ready (a rolling update's old pod).
   */
  terminating: z.boolean().default(false),
});
export type ScenarioPod = z.infer<typeof ScenarioPod>;

export const ScenarioServicePort = z.strictObject({
  name: z.string().optional(),
  protocol: Proto.default('TCP'),
  port: z.number().int().min(1).max(65535),
  targetPort: z.union([z.number().int().min(1).max(65535), z.string().min(1)]).optional(),
  nodePort: z.number().int().min(30000).max(32767).optional(),
});

/** LoadBalancer ingress IPs and externalIPs: a slice of the underlay no node, gateway or control plane uses. */
export const EXTERNAL_SERVICE_RANGE = '192.0.2.224/28';
const ExternalIp = Ipv4.refine((a) => inCidr(a, EXTERNAL_SERVICE_RANGE), `must be inside ${EXTERNAL_SERVICE_RANGE}`);
const Cidr = z.string().regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/, 'must be an IPv4 CIDR');

/** One endpoint of a hand-made EndpointSlice (a selector-less service). */
export const ScenarioEndpoint = z.strictObject({
  ip: Ipv4,
  /** The node the address lives on, when it is a lab pod's. */
  node: Name.optional(),
});

export const ScenarioService = z.strictObject({
  namespace: Name,
  name: Name,
  type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).default('ClusterIP'),
  /** 'None': a headless service (DNS only; kube-proxy writes nothing for it). */
  clusterIP: z.union([z.literal('None'), Ipv4.refine((a) => inCidr(a, '10.96.0.0/16'), 'must be inside 10.96.0.0/16')]),
  ports: z.array(ScenarioServicePort).min(1),
  /** Absent: a selector-less service; its EndpointSlice is the lab's, from `endpoints`. */
  selector: Labels.optional(),
  /** A selector-less service's endpoints (the lab writes the EndpointSlice, as an operator would). */
  endpoints: z.array(ScenarioEndpoint).optional(),
  /** LoadBalancer: the ingress IPs a load-balancer controller would publish in status.loadBalancer. */
  loadBalancerIPs: z.array(ExternalIp).default([]),
  loadBalancerSourceRanges: z.array(Cidr).default([]),
  externalIPs: z.array(ExternalIp).default([]),
  sessionAffinity: z.enum(['None', 'ClientIP']).default('None'),
  externalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
  internalTrafficPolicy: z.enum(['Cluster', 'Local']).default('Cluster'),
});
export type ScenarioService = z.infer<typeof ScenarioService>;

export const Scenario = z
  .strictObject({
    name: Name,
    description: z.string().default(''),
    cni: z.enum(['flannel-vxlan', 'flannel-host-gw', 'calico-routed']),
    kubeProxy: z.enum(['iptables', 'nftables', 'none']),
    clusterCIDR: z.literal('10.244.0.0/16').default('10.244.0.0/16'),
    serviceCIDR: z.literal('10.96.0.0/16').default('10.96.0.0/16'),
    namespaces: z.array(Name).default(['default']),
    nodes: z.array(ScenarioNode).min(1).max(8),
    pods: z.array(ScenarioPod).default([]),
    services: z.array(ScenarioService).default([]),
    /** NetworkPolicy objects as the API prints them (validated by @patchbay/schema when cluster.json is read). */
    networkPolicies: z.array(z.looseObject({ metadata: z.looseObject({ name: Name, namespace: Name }), spec: z.looseObject({}) })).default([]),
    faults: z.array(z.enum(FAULT_NAMES)).default([]),
  })
  .superRefine((s, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const nodes = new Map(s.nodes.map((n) => [n.name, n]));
    if (nodes.size !== s.nodes.length) issue(['nodes'], 'node names must be unique');
    const cidrs = new Set(s.nodes.map((n) => n.podCIDR));
    if (cidrs.size !== s.nodes.length) issue(['nodes'], 'node podCIDRs must be unique');
    const ips = new Set(s.nodes.map((n) => n.internalIP));
    if (ips.size !== s.nodes.length) issue(['nodes'], 'node internalIPs must be unique');
    const nsSet = new Set(s.namespaces);
    const podKeys = new Set<string>();
    const podIps = new Set<string>();
    s.pods.forEach((p, i) => {
      const key = `${p.namespace}/${p.name}`;
      if (podKeys.has(key)) issue(['pods', i, 'name'], `duplicate pod ${key}`);
      podKeys.add(key);
      if (!nsSet.has(p.namespace)) issue(['pods', i, 'namespace'], `namespace ${p.namespace} is not in namespaces`);
      const node = nodes.get(p.node);
      if (!node) issue(['pods', i, 'node'], `no node named ${p.node}`);
      if (p.ip) {
        if (node && !inCidr(p.ip, node.podCIDR)) issue(['pods', i, 'ip'], `${p.ip} is outside ${p.node}'s podCIDR ${node.podCIDR}`);
        if (p.ip.endsWith('.0') || p.ip.endsWith('.1') || p.ip.endsWith('.255')) issue(['pods', i, 'ip'], 'pod IPs .0, .1 and .255 are reserved');
        if (podIps.has(p.ip)) issue(['pods', i, 'ip'], `duplicate pod IP ${p.ip}`);
        podIps.add(p.ip);
      }
    });
    const svcKeys = new Set<string>();
    const vips = new Set<string>();
    const nodePorts = new Set<number>();
    s.services.forEach((svc, i) => {
      const key = `${svc.namespace}/${svc.name}`;
      if (svcKeys.has(key)) issue(['services', i, 'name'], `duplicate service ${key}`);
      svcKeys.add(key);
      if (!nsSet.has(svc.namespace)) issue(['services', i, 'namespace'], `namespace ${svc.namespace} is not in namespaces`);
      if (svc.clusterIP !== 'None') {
        if (vips.has(svc.clusterIP)) issue(['services', i, 'clusterIP'], `duplicate clusterIP ${svc.clusterIP}`);
        vips.add(svc.clusterIP);
      } else if (svc.type !== 'ClusterIP') issue(['services', i, 'clusterIP'], 'a headless service must be type ClusterIP');
      if (svc.endpoints && svc.selector) issue(['services', i, 'endpoints'], 'endpoints are for a selector-less service; this one has a selector');
      if (svc.loadBalancerIPs.length > 0 && svc.type !== 'LoadBalancer') issue(['services', i, 'loadBalancerIPs'], 'loadBalancerIPs need type LoadBalancer');
      if (svc.loadBalancerSourceRanges.length > 0 && svc.type !== 'LoadBalancer') issue(['services', i, 'loadBalancerSourceRanges'], 'loadBalancerSourceRanges need type LoadBalancer');
      for (const ip of [...svc.loadBalancerIPs, ...svc.externalIPs]) {
        if (vips.has(ip)) issue(['services', i], `duplicate external address ${ip}`);
        vips.add(ip);
      }
      if (svc.ports.length > 1 && svc.ports.some((p) => !p.name)) issue(['services', i, 'ports'], 'a service with several ports must name each');
      svc.ports.forEach((p, j) => {
        if (p.nodePort !== undefined) {
          if (svc.type === 'ClusterIP') issue(['services', i, 'ports', j, 'nodePort'], 'nodePort needs type NodePort or LoadBalancer');
          if (nodePorts.has(p.nodePort)) issue(['services', i, 'ports', j, 'nodePort'], `duplicate nodePort ${p.nodePort}`);
          nodePorts.add(p.nodePort);
        } else if (svc.type !== 'ClusterIP') issue(['services', i, 'ports', j, 'nodePort'], `a ${svc.type} service needs a nodePort on every port (the lab pins them)`);
      });
      if (svc.externalTrafficPolicy && svc.type === 'ClusterIP' && svc.externalIPs.length === 0)
        issue(['services', i, 'externalTrafficPolicy'], 'externalTrafficPolicy needs type NodePort or LoadBalancer, or externalIPs');
    });
  });
export type Scenario = z.infer<typeof Scenario>;
export type ScenarioInput = z.input<typeof Scenario>;

/** Validates a scenario, throwing an Error that lists every problem with its JSON path. */
export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  const r = Scenario.safeParse(input);
  if (r.success) return r.data;
  const problems = zodProblems(source, r.error);
  throw new Error(`invalid scenario:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
}
