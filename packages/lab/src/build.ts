import { calicoRules, flannelRules } from './cniRules.js';
import { ipBatch, must, mustIn } from './exec.js';
import { CALICO_GATEWAY, UNDERLAY_GATEWAY, UNDERLAY_MTU, VXLAN_MTU, type LabPlan, type NodePlan, type PodPlan } from './plan.js';

// Wires a planned lab out of network namespaces. Every command names its namespace (`ip -n`, `ip netns exec`);
// nothing is created, moved or addressed in the namespace the lab runs in.

/** Runs tasks with bounded parallelism (2 cores here; forking hundreds at once only thrashes). */
export async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}

export function labNamespaces(plan: LabPlan): string[] {
  return [plan.switchNetns, ...plan.nodes.map((n) => n.netns), ...plan.pods.filter((p) => p.present).map((p) => p.netns)];
}

export async function createNamespaces(plan: LabPlan): Promise<void> {
  await inParallel(labNamespaces(plan), 6, (ns) => must('ip', ['netns', 'add', ns]).then(() => undefined));
}

function isBridgeCni(plan: LabPlan): boolean {
  return plan.scenario.cni !== 'calico-routed';
}

function podMtu(plan: LabPlan): number {
  return plan.scenario.cni === 'flannel-vxlan' ? VXLAN_MTU : UNDERLAY_MTU;
}

/**
 * The underlay: one macvlan child per node on a parent in the switch namespace, so nodes share an L2 segment
 * without being joined to the switch by a veth (the agent follows veth peers and must not wander off).
 * 192.0.2.1 in the switch namespace is the nodes' default gateway: it answers ARP and forwards nothing.
 */
export async function buildUnderlay(plan: LabPlan): Promise<void> {
  const sw = plan.switchNetns;
  const lines = ['link set lo up', 'link add up0 type veth peer name up1', 'link set up0 up', 'link set up1 up'];
  lines.push('link add gw link up0 type macvlan mode bridge', `addr add ${UNDERLAY_GATEWAY}/24 dev gw`, 'link set gw up');
  plan.nodes.forEach((n, i) => {
    lines.push(`link add mvn${i} link up0 type macvlan mode bridge`, `link set mvn${i} netns ${n.netns}`);
  });
  await ipBatch(sw, lines);
}

function nodeLines(plan: LabPlan, node: NodePlan): string[] {
  const i = node.index;
  const lines = [
    'link set lo up',
    `link set mvn${i} name eth0`,
    `link set eth0 mtu ${UNDERLAY_MTU}`,
    `addr add ${node.internalIP}/24 dev eth0`,
    'link set eth0 up',
    `route add default via ${UNDERLAY_GATEWAY} dev eth0`,
  ];
  const remotes = plan.nodes.filter((n) => n !== node);
  const cni = plan.scenario.cni;
  if (cni === 'flannel-vxlan' || cni === 'flannel-host-gw') {
    const mtu = podMtu(plan);
    lines.push('link add cni0 type bridge', `link set cni0 mtu ${mtu}`, `addr add ${node.gateway}/24 dev cni0`, 'link set cni0 up');
    if (cni === 'flannel-vxlan') {
      lines.push(
        `link add flannel.1 address ${node.vtepMac} type vxlan id 1 local ${node.internalIP} dev eth0 dstport 8472 nolearning`,
        `link set flannel.1 mtu ${VXLAN_MTU}`,
        `addr add ${node.network}/32 dev flannel.1`,
        'link set flannel.1 up',
      );
      for (const r of remotes) {
        lines.push(`route add ${r.podCIDR} via ${r.network} dev flannel.1 onlink`, `neigh add ${r.network} dev flannel.1 lladdr ${r.vtepMac} nud permanent`);
      }
    } else {
      for (const r of remotes) lines.push(`route add ${r.podCIDR} via ${r.internalIP} dev eth0`);
    }
    for (const p of podsOf(plan, node)) {
      lines.push(
        `link add ${p.hostVeth} mtu ${mtu} type veth peer name eth0 netns ${p.netns}`,
        `link set ${p.hostVeth} master cni0`,
        `link set ${p.hostVeth} type bridge_slave hairpin on`,
        `link set ${p.hostVeth} up`,
      );
    }
  } else {
    // Calico without a tunnel: the IPAM block is a blackhole (felix's own block route), remote blocks via BIRD.
    lines.push(`route add blackhole ${node.podCIDR} proto 80`);
    for (const r of remotes) lines.push(`route add ${r.podCIDR} via ${r.internalIP} dev eth0 proto bird`);
    for (const p of podsOf(plan, node)) {
      lines.push(
        `link add ${p.hostVeth} address ee:ee:ee:ee:ee:ee type veth peer name eth0 netns ${p.netns}`,
        `link set ${p.hostVeth} up`,
        `route add ${p.ip}/32 dev ${p.hostVeth} scope link`,
      );
    }
  }
  return lines;
}

function podsOf(plan: LabPlan, node: NodePlan): PodPlan[] {
  return plan.pods.filter((p) => p.present && p.node === node);
}

function nodeSysctls(plan: LabPlan, node: NodePlan): string[] {
  const s = [
    'net.ipv4.ip_forward=1',
    // Strict reverse-path filtering, as RHEL-family nodes ship it; the asymmetric-return fault relies on it.
    'net.ipv4.conf.all.rp_filter=1',
    'net.ipv4.conf.default.rp_filter=1',
    // kubeadm's preflight requires this: bridged pod traffic must see iptables (pod -> ClusterIP -> same-bridge pod).
    'net.bridge.bridge-nf-call-iptables=1',
  ];
  if (plan.scenario.cni === 'calico-routed') {
    for (const p of podsOf(plan, node)) {
      s.push(`net.ipv4.conf.${p.hostVeth}.proxy_arp=1`, `net.ipv4.neigh.${p.hostVeth}.proxy_delay=0`, `net.ipv4.conf.${p.hostVeth}.forwarding=1`);
    }
  }
  return s;
}

export async function buildNode(plan: LabPlan, node: NodePlan): Promise<void> {
  // sysctls that must exist before interfaces (bridge-nf) go first; per-interface ones after the veths exist.
  const sys = nodeSysctls(plan, node);
  await mustIn(node.netns, 'sysctl', ['-q', '-w', ...sys.filter((x) => !x.includes('.cali'))]);
  await ipBatch(node.netns, nodeLines(plan, node));
  const perIface = sys.filter((x) => x.includes('.cali'));
  if (perIface.length > 0) await mustIn(node.netns, 'sysctl', ['-q', '-w', ...perIface]);
  if (plan.scenario.cni === 'flannel-vxlan') {
    const fdb = plan.nodes.filter((n) => n !== node).map((r) => `fdb append ${r.vtepMac} dev flannel.1 dst ${r.internalIP} self permanent`);
    if (fdb.length > 0) await must('bridge', ['-n', node.netns, '-batch', '-'], { input: `${fdb.join('\n')}\n` });
  }
}

export async function buildPod(plan: LabPlan, pod: PodPlan): Promise<void> {
  const lines = ['link set lo up'];
  if (isBridgeCni(plan)) {
    lines.push(`link set eth0 mtu ${podMtu(plan)}`, `addr add ${pod.ip}/24 dev eth0`, 'link set eth0 up', `route add default via ${pod.node.gateway} dev eth0`);
  } else {
    lines.push(
      `addr add ${pod.ip}/32 dev eth0`,
      'link set eth0 up',
      `route add ${CALICO_GATEWAY} dev eth0 scope link`,
      `route add default via ${CALICO_GATEWAY} dev eth0`,
    );
  }
  await ipBatch(pod.netns, lines);
}

/**
 * The CNI's own rules (flannel's or Calico's, as their daemons write them). kube-proxy's are never written here:
 * the real kube-proxy writes them (./kubernetes/kubeProxyDaemons.ts).
 */
export async function loadRules(plan: LabPlan, node: NodePlan): Promise<void> {
  const cni = plan.scenario.cni === 'calico-routed' ? calicoRules(plan) : flannelRules(plan, node);
  await mustIn(node.netns, 'iptables-restore', ['--noflush'], { input: cni });
}
