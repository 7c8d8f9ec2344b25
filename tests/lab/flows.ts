// The flow matrix every "shop" scenario is tested with, and what each planted fault should change. The
// expectations are written out from the scenario's intent (see packages/lab/src/scenarios.ts), not computed:
//   nodes n1 192.0.2.11 (10.244.1.0/24), n2 192.0.2.12 (10.244.2.0/24), n3 192.0.2.13 (10.244.3.0/24)
//   n1: client-0, cache-0 (6379), web-0 (8080)   n2: web-1 (8080), api-0 (8080), dns-0 (53 udp+tcp)
//   n3: db-0 (5432), cart-0 (8080)
//   web 10.96.0.10:80 -> web-0|web-1   web-sticky 10.96.0.11:80 (ClientIP)   api NodePort 30080 -> api-0
//   checkout 10.96.0.30:80 (no endpoints)   db 10.96.0.40:5432   web-local NodePort 30050 eTP=Local
//   cart 10.96.0.60:80 -> cart-0   dns 10.96.0.53:53 udp/tcp -> dns-0   web-node-local 10.96.0.12:80 iTP=Local
//   web-lb LoadBalancer 192.0.2.224:80 eTP=Local, source ranges n1's pods and n1   api-ext externalIP 192.0.2.225:80
//   legacy 10.96.0.70:80 (selector-less, hand-made slice) -> cache-0:6379   orders 10.96.0.80:80 -> orders-0 (n3,
//   terminating: its only endpoint)   db-headless (no cluster IP)
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect } from 'vitest';
import type { Lab, ProbeOutcome, ProbeResult } from '@patchbay/lab';

export type From = { pod: string } | { node: string };
export type To = { pod: string; port?: number } | { ip: string; port?: number };
export interface Flow {
  id: string;
  from: From;
  to: To;
  proto: 'tcp' | 'udp' | 'icmp';
  size?: number;
}
/** Acceptable results: any of these outcomes, and when delivered, a server among `servers` (if given). */
export interface Expect {
  outcomes: ProbeOutcome[];
  servers?: string[];
}

const delivered = (...servers: string[]): Expect => ({ outcomes: ['delivered'], ...(servers.length ? { servers } : {}) });
const timeout: Expect = { outcomes: ['timeout'] };
const refused: Expect = { outcomes: ['refused'] };
/** A load-balanced service with one endpoint behind a broken path: some connections work, some time out. */
const deliveredOrTimeout = (...servers: string[]): Expect => ({ outcomes: ['delivered', 'timeout'], servers });

export const FLOWS: Flow[] = [
  { id: 'pod-pod same node', from: { pod: 'shop/client-0' }, to: { pod: 'shop/cache-0', port: 6379 }, proto: 'tcp' },
  { id: 'pod-pod n1->n2', from: { pod: 'shop/client-0' }, to: { pod: 'shop/api-0', port: 8080 }, proto: 'tcp' },
  { id: 'pod-pod n1->n2 udp', from: { pod: 'shop/client-0' }, to: { pod: 'default/dns-0', port: 53 }, proto: 'udp' },
  { id: 'pod-pod n1->n2 icmp', from: { pod: 'shop/client-0' }, to: { pod: 'shop/api-0' }, proto: 'icmp' },
  { id: 'pod-pod n1->n2 2000 bytes', from: { pod: 'shop/client-0' }, to: { pod: 'shop/api-0', port: 8080 }, proto: 'tcp', size: 2000 },
  { id: 'pod-pod n2->n1', from: { pod: 'shop/api-0' }, to: { pod: 'shop/cache-0', port: 6379 }, proto: 'tcp' },
  { id: 'pod-pod n1->n3', from: { pod: 'shop/client-0' }, to: { pod: 'shop/db-0', port: 5432 }, proto: 'tcp' },
  { id: 'node-pod n3->n2', from: { node: 'n3' }, to: { pod: 'shop/web-1', port: 8080 }, proto: 'tcp' },
  { id: 'node-pod n3->db-0 (same node)', from: { node: 'n3' }, to: { pod: 'shop/db-0', port: 5432 }, proto: 'tcp' },
  { id: 'pod-clusterIP web', from: { pod: 'shop/client-0' }, to: { ip: '10.96.0.10', port: 80 }, proto: 'tcp' },
  { id: 'pod-clusterIP db', from: { pod: 'shop/client-0' }, to: { ip: '10.96.0.40', port: 5432 }, proto: 'tcp' },
  { id: 'pod-clusterIP cart', from: { pod: 'shop/client-0' }, to: { ip: '10.96.0.60', port: 80 }, proto: 'tcp' },
  { id: 'pod-clusterIP dns udp', from: { pod: 'shop/client-0' }, to: { ip: '10.96.0.53', port: 53 }, proto: 'udp' },
  { id: 'pod-clusterIP iTP=Local, local endpoint', from: { pod: 'shop/client-0' }, to: { ip: '10.96.0.12', port: 80 }, proto: 'tcp' },
  { id: 'node-clusterIP iTP=Local, no local endpoint', from: { node: 'n3' }, to: { ip: '10.96.0.12', port: 80 }, proto: 'tcp' },
  { id: 'pod-service without endpoints', from: { pod: 'shop/client-0' }, to: { ip: '10.96.0.30', port: 80 }, proto: 'tcp' },
  { id: 'pod-own service (hairpin)', from: { pod: 'shop/web-0' }, to: { ip: '10.96.0.10', port: 80 }, proto: 'tcp' },
  { id: 'node-NodePort n3->n1:30080', from: { node: 'n3' }, to: { ip: '192.0.2.11', port: 30080 }, proto: 'tcp' },
  { id: 'node-NodePort eTP=Local, local endpoint', from: { node: 'n3' }, to: { ip: '192.0.2.11', port: 30050 }, proto: 'tcp' },
  { id: 'node-NodePort eTP=Local, no local endpoint', from: { node: 'n1' }, to: { ip: '192.0.2.13', port: 30050 }, proto: 'tcp' },
  { id: 'pod-LB IP, allowed source', from: { pod: 'shop/client-0' }, to: { ip: '192.0.2.224', port: 80 }, proto: 'tcp' },
  { id: 'pod-LB IP, source not in loadBalancerSourceRanges', from: { pod: 'shop/api-0' }, to: { ip: '192.0.2.224', port: 80 }, proto: 'tcp' },
  { id: 'pod-externalIP', from: { pod: 'shop/client-0' }, to: { ip: '192.0.2.225', port: 80 }, proto: 'tcp' },
  { id: 'pod-selector-less service', from: { pod: 'shop/client-0' }, to: { ip: '10.96.0.70', port: 80 }, proto: 'tcp' },
  { id: 'pod-service with only a terminating endpoint', from: { pod: 'shop/client-0' }, to: { ip: '10.96.0.80', port: 80 }, proto: 'tcp' },
];

export const BASELINE: Record<string, Expect> = {
  'pod-pod same node': delivered('cache-0'),
  'pod-pod n1->n2': delivered('api-0'),
  'pod-pod n1->n2 udp': delivered('dns-0'),
  'pod-pod n1->n2 icmp': delivered(),
  'pod-pod n1->n2 2000 bytes': delivered('api-0'),
  'pod-pod n2->n1': delivered('cache-0'),
  'pod-pod n1->n3': delivered('db-0'),
  'node-pod n3->n2': delivered('web-1'),
  'node-pod n3->db-0 (same node)': delivered('db-0'),
  'pod-clusterIP web': delivered('web-0', 'web-1'),
  'pod-clusterIP db': delivered('db-0'),
  'pod-clusterIP cart': delivered('cart-0'),
  'pod-clusterIP dns udp': delivered('dns-0'),
  // internalTrafficPolicy Local: only the caller's node's endpoints; none on n3, so kube-proxy drops.
  'pod-clusterIP iTP=Local, local endpoint': delivered('web-0'),
  'node-clusterIP iTP=Local, no local endpoint': timeout,
  'pod-service without endpoints': refused,
  'pod-own service (hairpin)': delivered('web-0', 'web-1'),
  'node-NodePort n3->n1:30080': delivered('api-0'),
  'node-NodePort eTP=Local, local endpoint': delivered('web-0'),
  // kube-proxy drops external traffic to an eTP=Local NodePort on a node without a local endpoint.
  'node-NodePort eTP=Local, no local endpoint': timeout,
  // Traffic from inside the cluster to a LoadBalancer IP is short-circuited to every endpoint (not only local
  // ones), after kube-proxy's source-range firewall: n1's pods pass, n2's are dropped.
  'pod-LB IP, allowed source': delivered('web-0', 'web-1'),
  'pod-LB IP, source not in loadBalancerSourceRanges': timeout,
  'pod-externalIP': delivered('api-0'),
  'pod-selector-less service': delivered('cache-0'),
  // No ready endpoint: kube-proxy uses the serving, terminating one.
  'pod-service with only a terminating endpoint': delivered('orders-0'),
};

/** Pods of n1 and n2 cannot talk (n1 is the fault's first node, n2 its second); everything else is untouched. */
const N1_N2_BROKEN: Record<string, Expect> = {
  'pod-pod n1->n2': timeout,
  'pod-pod n1->n2 udp': timeout,
  'pod-pod n1->n2 icmp': timeout,
  'pod-pod n1->n2 2000 bytes': timeout,
  'pod-pod n2->n1': timeout,
  'pod-clusterIP web': deliveredOrTimeout('web-0'),
  'pod-clusterIP dns udp': timeout,
  'pod-own service (hairpin)': deliveredOrTimeout('web-0'),
  'node-NodePort n3->n1:30080': timeout,
  'pod-LB IP, allowed source': deliveredOrTimeout('web-0'),
  'pod-externalIP': timeout,
};

/**
 * asymmetric-return in host-gw and calico-routed: n2's replies to n1's pods go through n3, whose conntrack sees
 * a SYN-ACK (or echo reply, or bare ACK) it never saw start: INVALID, dropped by KUBE-FORWARD. UDP has no
 * such state, so the UDP flows still work.
 */
const N1_N2_TCP_ICMP_BROKEN: Record<string, Expect> = {
  'pod-pod n1->n2': timeout,
  'pod-pod n1->n2 icmp': timeout,
  'pod-pod n1->n2 2000 bytes': timeout,
  'pod-pod n2->n1': timeout,
  'pod-clusterIP web': deliveredOrTimeout('web-0'),
  'pod-own service (hairpin)': deliveredOrTimeout('web-0'),
  'pod-LB IP, allowed source': deliveredOrTimeout('web-0'),
  // The NodePort's client, and a pod calling an externalIP (kube-proxy masquerades traffic to external
  // destinations), are masqueraded to n1's own address, which n2 reaches directly: unchanged.
};

/**
 * asymmetric-return in host-gw: as above, and flannel's FLANNEL-POSTRTG on n3 masquerades the pod traffic it
 * forwards between two other nodes (cluster -> cluster, neither local): n2's UDP replies reach n1's pods from
 * 192.0.2.13 and are not answers; n2 -> n1 connections are masqueraded on the way out, so their replies come
 * back through n3 too and the connection works.
 */
const HOSTGW_ASYMMETRIC: Record<string, Expect> = {
  ...N1_N2_TCP_ICMP_BROKEN,
  'pod-pod n1->n2 udp': timeout,
  'pod-clusterIP dns udp': timeout,
  'pod-pod n2->n1': delivered('cache-0'),
};

/** What each fault changes (flows not listed keep their baseline outcome). */
export const FAULT_CHANGES: Record<string, Record<string, Expect>> = {
  'missing-route': N1_N2_BROKEN,
  'missing-fdb': N1_N2_BROKEN,
  'asymmetric-return': N1_N2_BROKEN,
  'drop-rule': {
    'pod-pod n1->n3': timeout,
    'pod-clusterIP db': timeout,
    // 'node-pod n3->db-0 (same node)' stays delivered: the node's own packets go through OUTPUT, not FORWARD.
  },
  'down-veth': {
    'pod-pod n1->n3': timeout,
    'pod-clusterIP db': timeout,
    'node-pod n3->db-0 (same node)': timeout,
  },
  'stale-service-rule': {
    // The pod is gone and its EndpointSlice is empty (the API says "refused"), but the stale DNAT still sends
    // connections to the dead address.
    'pod-clusterIP cart': timeout,
  },
  'mtu-mismatch': {
    'pod-pod n1->n2 2000 bytes': timeout,
  },
};

export function expected(fault?: string, cni = 'flannel-vxlan'): Record<string, Expect> {
  let changes = fault ? FAULT_CHANGES[fault] : {};
  if (fault === 'asymmetric-return' && cni === 'calico-routed') changes = N1_N2_TCP_ICMP_BROKEN;
  if (fault === 'asymmetric-return' && cni === 'flannel-host-gw') changes = HOSTGW_ASYMMETRIC;
  return { ...BASELINE, ...changes };
}

function resolveFrom(lab: Lab, from: From): string {
  if ('node' in from) return lab.nodeNetns(from.node);
  const [ns, name] = from.pod.split('/') as [string, string];
  return lab.podNetns(ns, name);
}

function resolveIp(lab: Lab, to: To): string {
  if ('ip' in to) return to.ip;
  const p = lab.plan.pods.find((x) => x.key === to.pod);
  if (!p) throw new Error(`no pod ${to.pod}`);
  return p.ip;
}

export async function runFlow(lab: Lab, flow: Flow): Promise<ProbeResult> {
  return lab.probe(resolveFrom(lab, flow.from), { ip: resolveIp(lab, flow.to), port: flow.to.port, proto: flow.proto }, { size: flow.size });
}

/** Probes every flow (4 at a time) and returns {id: result}. */
export async function runMatrix(lab: Lab, flows: Flow[] = FLOWS): Promise<Record<string, ProbeResult>> {
  const out: Record<string, ProbeResult> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < flows.length) {
        const f = flows[next++]!;
        out[f.id] = await runFlow(lab, f);
      }
    }),
  );
  return out;
}

/** One assertion for the whole matrix, so a failure prints every flow's result next to its expectation. */
export function expectMatrix(results: Record<string, ProbeResult>, want: Record<string, Expect>): void {
  const wrong: string[] = [];
  for (const [id, exp] of Object.entries(want)) {
    const r = results[id];
    if (!r) {
      wrong.push(`${id}: not probed`);
      continue;
    }
    const okOutcome = exp.outcomes.includes(r.outcome);
    const okServer = r.outcome !== 'delivered' || !exp.servers || (r.server !== null && exp.servers.includes(r.server));
    if (!okOutcome || !okServer)
      wrong.push(`${id}: got ${r.outcome}${r.server ? ` by ${r.server}` : ''} (${r.detail}); want ${exp.outcomes.join('|')}${exp.servers ? ` by ${exp.servers.join('|')}` : ''}`);
  }
  expect(wrong, `flows with unexpected outcomes:\n${wrong.join('\n')}`).toEqual([]);
}

/** Namespaces and state files of the given lab prefixes still present (the leak check). */
export function leftovers(prefixes: Iterable<string>): string[] {
  const list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
  const ps = [...prefixes];
  // The lab's state file and per-node CNI files go with it too.
  const files = ps.flatMap((p) => [`/run/patchbay-lab/${p}.json`, `/run/patchbay-lab/${p}`]).filter((f) => existsSync(f));
  return [...list.filter((n) => ps.some((p) => n.startsWith(`${p}-`))), ...files];
}
