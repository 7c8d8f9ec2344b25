import { intToIp, ipToInt } from '../kubeProxy/ipv4.js';

// Addresses for synthetic clusters.
//
// Node underlay: DESIGN.md's plan has 192.0.2.0/24 and 198.51.100.0/24, i.e. 506 node addresses (.2-.254 of
// each; .1 is the gateway). Nodes beyond the 506th get addresses from 198.18.0.0/15 (RFC 2544 benchmarking
// space). That is OUTSIDE the lab address plan, which is acceptable only because synthetic data never touches a
// kernel: it feeds parsers, the tracer and the dashboard. Clusters of <= 506 nodes stay inside the plan.
//
// Pods: 10.244.0.0/16 split into equal per-node blocks: /24 while the cluster has <= 256 nodes (as the plan
// says), otherwise the smallest block that gives every node its own (/25 up to 512 nodes, /26 up to 1,024,
// /27 up to 2,048 ...). Block .0 is the flannel.1 address, .1 is cni0, pods start at .2, the last is broadcast.

export const IN_PLAN_NODES = 506;
export const CLUSTER_CIDR = '10.244.0.0/16';
export const SERVICE_CIDR = '10.96.0.0/16';

export interface NodeAddress {
  ip: string;
  /** Prefix length of the underlay subnet (24, or 15 for 198.18.0.0/15). */
  prefixlen: number;
  subnet: string;
  gateway: string;
}

export function nodeAddress(i: number): NodeAddress {
  if (i < 253) return { ip: `192.0.2.${i + 2}`, prefixlen: 24, subnet: '192.0.2.0/24', gateway: '192.0.2.1' };
  if (i < IN_PLAN_NODES) return { ip: `198.51.100.${i - 253 + 2}`, prefixlen: 24, subnet: '198.51.100.0/24', gateway: '198.51.100.1' };
  const n = i - IN_PLAN_NODES + 2;
  if (n >= 2 ** 17 - 1) throw new Error(`too many nodes for the synthetic address plan: ${i + 1}`);
  return { ip: intToIp(ipToInt('198.18.0.0') + n), prefixlen: 15, subnet: '198.18.0.0/15', gateway: '198.18.0.1' };
}

/** Prefix length of each node's pod block for a cluster of `nodes` nodes. */
export function podBlockPrefix(nodes: number): number {
  const bits = Math.max(0, Math.ceil(Math.log2(Math.max(1, nodes))));
  const prefix = Math.max(24, 16 + bits);
  if (prefix > 30) throw new Error(`10.244.0.0/16 cannot give ${nodes} nodes a pod block each`);
  return prefix;
}

/** Pods that fit in one block: all addresses minus network (flannel.1), gateway (cni0) and broadcast. */
export function podsPerBlock(prefix: number): number {
  return 2 ** (32 - prefix) - 3;
}

export interface PodBlock {
  cidr: string;
  network: string;
  gateway: string;
  prefixlen: number;
  podIP(k: number): string;
}

export function podBlock(i: number, prefix: number): PodBlock {
  const size = 2 ** (32 - prefix);
  const base = ipToInt('10.244.0.0') + i * size;
  const network = intToIp(base);
  return { cidr: `${network}/${prefix}`, network, gateway: intToIp(base + 1), prefixlen: prefix, podIP: (k) => intToIp(base + 2 + k) };
}

export function serviceIP(k: number): string {
  // 10.96.0.1 (kubernetes) and 10.96.0.10 (kube-dns) are taken; generated services start at 10.96.0.16.
  const n = 16 + k;
  if (n >= 65535) throw new Error(`10.96.0.0/16 cannot hold ${k + 1} generated services`);
  return intToIp(ipToInt('10.96.0.0') + n);
}
