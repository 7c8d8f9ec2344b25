import type { LabPlan, NodePlan } from './plan.js';

// The CNI's own netfilter rules (not kube-proxy's): flannel's FLANNEL-POSTRTG / FLANNEL-FWD as flanneld v0.28
// writes them, and a reduced Calico-style cali-* skeleton (forwarding accepted for workloads, nat-outgoing).
// Loaded with `iptables-restore --noflush` after kube-proxy's, so kube-proxy's jumps come first, as on a node.

export function flannelRules(plan: LabPlan, node: NodePlan): string {
  const cluster = plan.scenario.clusterCIDR;
  const c = '-m comment --comment "flanneld masq"';
  const f = '-m comment --comment "flanneld forward"';
  return [
    '*nat',
    ':FLANNEL-POSTRTG - [0:0]',
    `-A POSTROUTING ${c} -j FLANNEL-POSTRTG`,
    `-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 ${c} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${node.podCIDR} -d ${cluster} ${c} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${cluster} -d ${node.podCIDR} ${c} -j RETURN`,
    `-A FLANNEL-POSTRTG ! -s ${cluster} -d ${node.podCIDR} ${c} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${cluster} ! -d 224.0.0.0/4 ${c} -j MASQUERADE --random-fully`,
    `-A FLANNEL-POSTRTG ! -s ${cluster} -d ${cluster} ${c} -j MASQUERADE --random-fully`,
    'COMMIT',
    '*filter',
    ':FLANNEL-FWD - [0:0]',
    `-A FORWARD ${f} -j FLANNEL-FWD`,
    `-A FLANNEL-FWD -s ${cluster} ${f} -j ACCEPT`,
    `-A FLANNEL-FWD -d ${cluster} ${f} -j ACCEPT`,
    'COMMIT',
    '',
  ].join('\n');
}

export function calicoRules(plan: LabPlan): string {
  const cluster = plan.scenario.clusterCIDR;
  // Calico tags every rule with a 16-char hash comment; these are fixed per rule so dumps stay stable.
  const cali = (id: string) => `-m comment --comment "cali:${id}"`;
  return [
    '*nat',
    ':cali-POSTROUTING - [0:0]',
    ':cali-nat-outgoing - [0:0]',
    `-A POSTROUTING ${cali('O3lYWMrLQYEMJtB5')} -j cali-POSTROUTING`,
    `-A cali-POSTROUTING ${cali('Z-c7XtVd2Bq7s_hA')} -j cali-nat-outgoing`,
    `-A cali-nat-outgoing -s ${cluster} ! -d ${cluster} ${cali('flqWnvo8yq4ULQLa')} -j MASQUERADE --random-fully`,
    'COMMIT',
    '*filter',
    ':cali-FORWARD - [0:0]',
    ':cali-from-wl-dispatch - [0:0]',
    ':cali-to-wl-dispatch - [0:0]',
    `-A FORWARD ${cali('wUHhoiAYhphO9Mso')} -j cali-FORWARD`,
    `-A cali-FORWARD -i cali+ ${cali('X3vB2lGcBrfkYquC')} -j cali-from-wl-dispatch`,
    `-A cali-FORWARD -o cali+ ${cali('UtJ9FnhBnFbyQMvU')} -j cali-to-wl-dispatch`,
    // No policy enforcement in the lab: the dispatch chains accept (see README).
    `-A cali-from-wl-dispatch ${cali('zTj6P0TIgYvgz-md')} -j ACCEPT`,
    `-A cali-to-wl-dispatch ${cali('7KNphB1nNHw80nIO')} -j ACCEPT`,
    'COMMIT',
    '',
  ].join('\n');
}
