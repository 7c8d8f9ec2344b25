import { FAULTS, type FaultName } from './faultNames.js';
import { intToIp, ipToInt } from './ipv4.js';
import { hostVethName, nodeNetnsName, podNetnsName, switchNetnsName } from './names.js';
import type { Scenario, ScenarioPod } from './scenario.js';

// Turns a validated scenario into concrete names and addresses: which namespace, which veth, which IP. Pure, so
// the cluster.json writer, the builder and the faults agree on every address.

export const UNDERLAY_GATEWAY = '192.0.2.1';
export const CALICO_GATEWAY = '169.254.1.1';
export const VXLAN_MTU = 1450;
export const UNDERLAY_MTU = 1500;

export interface NodePlan {
  name: string;
  index: number;
  netns: string;
  internalIP: string;
  podCIDR: string;
  /** First address of the pod CIDR (cni0's address; flannel.1 gets the network address /32). */
  gateway: string;
  network: string;
  /** Deterministic VTEP MAC, also published in the node's flannel annotation. */
  vtepMac: string;
}

export interface PodPlan {
  pod: ScenarioPod;
  key: string;
  netns: string;
  ip: string;
  node: NodePlan;
  hostVeth: string;
  /** false when a fault removed the pod (stale-service-rule): its IP stays reserved, nothing is created. */
  present: boolean;
}

export interface FaultTargets {
  /** The node whose routing/FDB is broken, and the node it can no longer reach properly. */
  fromNode: NodePlan;
  toNode: NodePlan;
  /** A third node (asymmetric-return sends the return path through it in routed CNIs). */
  viaNode: NodePlan | null;
  /** The pod the drop rule and the down veth hit (label app=db). */
  dbPod: PodPlan | null;
  /** The pods a stale-service-rule fault deletes (label app=cart), and their service. */
  cartPods: PodPlan[];
}

export interface LabPlan {
  prefix: string;
  scenario: Scenario;
  switchNetns: string;
  nodes: NodePlan[];
  pods: PodPlan[];
  faults: FaultName[];
  targets: FaultTargets;
}

function vtepMac(ip: string): string {
  const n = ipToInt(ip);
  const bytes = [0x02, 0xfb, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export function planLab(scenario: Scenario, prefix: string, faults: FaultName[]): LabPlan {
  for (const f of faults) {
    if (!FAULTS[f].cni.includes(scenario.cni)) throw new Error(`fault ${f} does not apply to CNI ${scenario.cni} (only ${FAULTS[f].cni.join(', ')})`);
    if (f === 'stale-service-rule' && scenario.kubeProxy === 'none') throw new Error('fault stale-service-rule needs kube-proxy rules (kubeProxy is none)');
  }
  const nodes: NodePlan[] = scenario.nodes.map((n, i) => {
    const network = n.podCIDR.split('/')[0]!;
    return {
      name: n.name,
      index: i,
      netns: nodeNetnsName(prefix, n.name),
      internalIP: n.internalIP,
      podCIDR: n.podCIDR,
      network,
      gateway: intToIp(ipToInt(network) + 1),
      vtepMac: vtepMac(n.internalIP),
    };
  });
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const used = new Set(scenario.pods.map((p) => p.ip).filter((ip): ip is string => !!ip));
  const next = new Map(nodes.map((n) => [n.name, ipToInt(n.network) + 2]));
  const stale = faults.includes('stale-service-rule');
  const pods: PodPlan[] = scenario.pods.map((pod) => {
    const node = byName.get(pod.node)!;
    let ip = pod.ip;
    if (!ip) {
      let n = next.get(node.name)!;
      while (used.has(intToIp(n))) n++;
      if ((n & 255) >= 255) throw new Error(`node ${node.name} has no free pod address left in ${node.podCIDR}`);
      ip = intToIp(n);
      used.add(ip);
      next.set(node.name, n + 1);
    }
    return {
      pod,
      key: `${pod.namespace}/${pod.name}`,
      netns: podNetnsName(prefix, pod.namespace, pod.name),
      ip,
      node,
      hostVeth: hostVethName(scenario.cni, pod.namespace, pod.name),
      present: !(stale && pod.labels.app === 'cart'),
    };
  });
  if (faults.includes('asymmetric-return') && scenario.cni !== 'flannel-vxlan' && nodes.length < 3)
    throw new Error('fault asymmetric-return needs a third node to send the return path through');
  if (nodes.length < 2 && faults.some((f) => ['missing-route', 'mtu-mismatch', 'missing-fdb', 'asymmetric-return'].includes(f)))
    throw new Error('node-to-node faults need at least two nodes');
  const dbPod = pods.find((p) => p.pod.labels.app === 'db') ?? null;
  if (!dbPod && faults.some((f) => f === 'drop-rule' || f === 'down-veth')) throw new Error('faults drop-rule and down-veth need a pod labelled app=db');
  const cartPods = pods.filter((p) => p.pod.labels.app === 'cart');
  if (stale && cartPods.length === 0) throw new Error('fault stale-service-rule needs pods labelled app=cart behind a service');
  return {
    prefix,
    scenario,
    switchNetns: switchNetnsName(prefix),
    nodes,
    pods,
    faults,
    targets: { fromNode: nodes[0]!, toNode: nodes[1] ?? nodes[0]!, viaNode: nodes[2] ?? null, dbPod, cartPods },
  };
}
