import type { ClusterObjects } from '@patchbay/schema';
import { endpointsForNode, localizePorts } from '../kubeProxy/servicePorts.js';
import { renderIptablesFromPorts } from '../kubeProxy/iptables.js';
import { CLUSTER_CIDR, SERVICE_CIDR } from './addressPlan.js';

// `iptables-save -c` text for every node, computed once per distinct text: only nodes that host endpoints of a
// Local-policy service differ, every other node gets the very same string object.

/** ctime(3) style, as iptables-save prints its header: "Sun Nov  1 00:00:00 2026" (UTC). */
export function ctime(iso: string): string {
  const d = new Date(iso);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  const two = (n: number) => String(n).padStart(2, '0');
  return `${day} ${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

export function iptablesTexts(cluster: ClusterObjects, nodeNames: string[], capturedAt: string): Map<string, string> {
  const generic = '\u0000generic';
  const ports = endpointsForNode(cluster, generic);
  const special = new Set<string>();
  for (const sp of ports)
    if (sp.internalPolicyLocal || sp.externalPolicyLocal) for (const e of sp.allEndpoints) if (e.nodeName) special.add(e.nodeName);
  // Shared ports render once: later nodes replay their recorded rules.
  const cache = new WeakMap();
  const render = (nodeName: string, p = ports) =>
    renderIptablesFromPorts(
      p,
      // nfacct: what kube-proxy 1.36 writes on a kernel with nfnetlink_acct, like the lab nodes' kernel.
      { nodeName, nodeIPs: [], clusterCIDR: CLUSTER_CIDR, serviceCIDR: SERVICE_CIDR, nfacct: true },
      { saveCounters: true, savedAt: ctime(capturedAt), cache },
    );
  const out = new Map<string, string>();
  let shared: string | undefined;
  for (const name of nodeNames) {
    if (special.has(name)) out.set(name, render(name, localizePorts(ports, name)));
    else out.set(name, (shared ??= render(name)));
  }
  return out;
}
