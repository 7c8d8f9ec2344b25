import type { ClusterObjects } from '@patchbay/schema';
import { cidrContains } from './ipv4.js';
import { endpointChainName, serviceChainName, type L4Proto } from './names.js';
import { resolveOptions, type KubeProxyOptions } from './options.js';
import { endpointsForNode, type EndpointInfo, type ServicePortInfo } from './servicePorts.js';

// kube-proxy's iptables mode (pkg/proxy/iptables/proxier.go syncProxyRules), written in the normalised form
// `iptables-save` (1.8.9, nf_tables backend) prints after kube-proxy's own restore: rules grouped by chain, user
// chains sorted, `-s/-d/-p` first, addresses with /32, comments quoted, MARK as --set-xmark, probabilities after
// the kernel's 2^31 fixed-point rounding. iptables-restore accepts this text unchanged, and a fresh namespace
// loaded with it saves back byte-identical (apart from the header comments).

/** kube-proxy switches to "large cluster mode" (no per-endpoint comments) above this many endpoints. */
const LARGE_CLUSTER_ENDPOINTS = 1000;

const BUILTIN: Record<Table, string[]> = {
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
};
type Table = 'mangle' | 'filter' | 'nat';

/** One table's chains in declaration order; rules appended per chain. */
class TableRules {
  readonly chains = new Map<string, string[]>();
  constructor(readonly name: Table) {
    for (const c of BUILTIN[name]) this.chains.set(c, []);
  }
  chain(name: string): void {
    if (!this.chains.has(name)) this.chains.set(name, []);
  }
  add(chain: string, rule: string): void {
    let list = this.chains.get(chain);
    if (!list) {
      list = [];
      this.chains.set(chain, list);
    }
    list.push(`-A ${chain} ${rule}`);
  }
  render(out: string[], counters: boolean): void {
    const builtins = BUILTIN[this.name];
    const user = [...this.chains.keys()].filter((c) => !builtins.includes(c)).sort(byteOrder);
    const prefix = counters ? '[0:0] ' : '';
    out.push(`*${this.name}`);
    for (const c of builtins) out.push(`:${c} ACCEPT [0:0]`);
    for (const c of user) out.push(`:${c} - [0:0]`);
    for (const c of [...builtins, ...user]) for (const r of this.chains.get(c) ?? []) out.push(prefix + r);
    out.push('COMMIT');
  }
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const q = (s: string) => `"${s}"`;
const cm = (s: string) => `-m comment --comment ${q(s)}`;
const host = (ip: string) => (ip.includes('/') ? ip : `${ip}/32`);

/** Probability as iptables-save prints it: kube-proxy writes %0.10f, the kernel keeps round(p * 2^31). */
export function statisticProbability(n: number): string {
  const written = Number((1 / n).toFixed(10));
  return (Math.round(written * 0x80000000) / 0x80000000).toFixed(11);
}

export interface IptablesRenderOptions {
  /** Prefix every rule with `[0:0] `, as `iptables-save -c` prints. */
  saveCounters?: boolean;
}

/** iptables-restore input (tables mangle, filter, nat) for one node, as kube-proxy (and kubelet) program it. */
export function renderIptablesRules(cluster: ClusterObjects, opts: KubeProxyOptions): string {
  return renderIptablesFromPorts(endpointsForNode(cluster, opts.nodeName), opts);
}

/** The same, from service ports already categorised for the node (lets a caller reuse one categorisation). */
export function renderIptablesFromPorts(ports: ServicePortInfo[], opts: KubeProxyOptions, render: IptablesRenderOptions = {}): string {
  const o = resolveOptions(opts);
  const markMatch = `${o.mark}/${o.mark}`;
  const notLocal = `! -s ${o.clusterCIDR}`;
  const mangle = new TableRules('mangle');
  const filter = new TableRules('filter');
  const nat = new TableRules('nat');

  // Fixed chains: kubelet's hint/canary/firewall and kube-proxy's own.
  for (const t of [mangle, filter, nat]) {
    t.chain('KUBE-KUBELET-CANARY');
    t.chain('KUBE-PROXY-CANARY');
  }
  mangle.chain('KUBE-IPTABLES-HINT');
  for (const c of ['KUBE-EXTERNAL-SERVICES', 'KUBE-FIREWALL', 'KUBE-FORWARD', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL', 'KUBE-SERVICES'])
    filter.chain(c);
  for (const c of ['KUBE-MARK-MASQ', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-SERVICES']) nat.chain(c);

  // Jump rules: kube-proxy prepends each (-I), so the last in iptablesJumpChains ends up first.
  const ctNew = '-m conntrack --ctstate NEW';
  filter.add('INPUT', `${ctNew} ${cm('kubernetes load balancer firewall')} -j KUBE-PROXY-FIREWALL`);
  filter.add('INPUT', `${cm('kubernetes health check service ports')} -j KUBE-NODEPORTS`);
  filter.add('INPUT', `${ctNew} ${cm('kubernetes externally-visible service portals')} -j KUBE-EXTERNAL-SERVICES`);
  filter.add('INPUT', '-j KUBE-FIREWALL');
  filter.add('FORWARD', `${ctNew} ${cm('kubernetes load balancer firewall')} -j KUBE-PROXY-FIREWALL`);
  filter.add('FORWARD', `${cm('kubernetes forwarding rules')} -j KUBE-FORWARD`);
  filter.add('FORWARD', `${ctNew} ${cm('kubernetes service portals')} -j KUBE-SERVICES`);
  filter.add('FORWARD', `${ctNew} ${cm('kubernetes externally-visible service portals')} -j KUBE-EXTERNAL-SERVICES`);
  filter.add('OUTPUT', `${ctNew} ${cm('kubernetes load balancer firewall')} -j KUBE-PROXY-FIREWALL`);
  filter.add('OUTPUT', `${ctNew} ${cm('kubernetes service portals')} -j KUBE-SERVICES`);
  filter.add('OUTPUT', '-j KUBE-FIREWALL');
  nat.add('PREROUTING', `${cm('kubernetes service portals')} -j KUBE-SERVICES`);
  nat.add('OUTPUT', `${cm('kubernetes service portals')} -j KUBE-SERVICES`);
  nat.add('POSTROUTING', `${cm('kubernetes postrouting rules')} -j KUBE-POSTROUTING`);

  // kubelet's KUBE-FIREWALL: no martian localhost traffic from outside.
  filter.add(
    'KUBE-FIREWALL',
    `! -s 127.0.0.0/8 -d 127.0.0.0/8 ${cm('block incoming localnet connections')} -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
  );

  nat.add('KUBE-MARK-MASQ', `-j MARK --set-xmark ${markMatch}`);
  nat.add('KUBE-POSTROUTING', `-m mark ! --mark ${markMatch} -j RETURN`);
  nat.add('KUBE-POSTROUTING', `-j MARK --set-xmark ${o.mark}/0x0`);
  nat.add('KUBE-POSTROUTING', `${cm('kubernetes service traffic requiring SNAT')} -j MASQUERADE --random-fully`);

  const totalEndpoints = ports.reduce((n, sp) => n + sp.allEndpoints.length, 0);
  const large = totalEndpoints > LARGE_CLUSTER_ENDPOINTS;
  const svcComment = (s: string) => (large ? '' : `${cm(s)} `);

  for (const sp of ports) writeServicePort(sp, { filter, nat, notLocal, local: `-s ${o.clusterCIDR}`, nodeIP: o.nodeIPs[0] ?? null, svcComment });

  nat.add(
    'KUBE-SERVICES',
    `${cm('kubernetes service nodeports; NOTE: this must be the last rule in this chain')} -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`,
  );
  filter.add('KUBE-FORWARD', '-m conntrack --ctstate INVALID -j DROP');
  filter.add('KUBE-FORWARD', `${cm('kubernetes forwarding rules')} -m mark --mark ${markMatch} -j ACCEPT`);
  filter.add('KUBE-FORWARD', `${cm('kubernetes forwarding conntrack rule')} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);

  const out: string[] = [];
  const counters = render.saveCounters ?? false;
  mangle.render(out, counters);
  filter.render(out, counters);
  nat.render(out, counters);
  out.push('');
  return out.join('\n');
}

interface Writer {
  filter: TableRules;
  nat: TableRules;
  notLocal: string;
  local: string;
  nodeIP: string | null;
  svcComment: (s: string) => string;
}

function portMatch(proto: L4Proto, port: number): string {
  return `-m ${proto} --dport ${port}`;
}

function writeServicePort(sp: ServicePortInfo, w: Writer): void {
  const { filter, nat } = w;
  const { spn, protocol: p } = sp;
  const svc = serviceChainName('SVC', spn, p);
  const svl = serviceChainName('SVL', spn, p);
  const ext = serviceChainName('EXT', spn, p);
  const fw = serviceChainName('FW', spn, p);
  const usesClusterEndpoints = !sp.internalPolicyLocal || (sp.externallyAccessible && !sp.externalPolicyLocal);
  const usesLocalEndpoints = sp.internalPolicyLocal || sp.externalPolicyLocal;
  const cluster = usesClusterEndpoints ? sp.clusterEndpoints : [];
  const local = usesLocalEndpoints ? sp.localEndpoints : [];
  const reachable = new Map<string, EndpointInfo>();
  for (const e of [...cluster, ...local]) reachable.set(e.endpoint, e);
  // CategorizeEndpoints' hasAnyEndpoints: usable endpoints anywhere, even when none is reachable from here.
  const hasEndpoints = sp.clusterEndpoints.length > 0;
  const hasInternal = sp.internalPolicyLocal ? local.length > 0 : hasEndpoints;
  const hasExternal = sp.externalPolicyLocal ? local.length > 0 : hasEndpoints;
  const internalChain = sp.internalPolicyLocal ? svl : svc;
  const externalPolicyChain = sp.externalPolicyLocal ? svl : svc;
  const usesExt = hasEndpoints && sp.externallyAccessible;
  const usesFw = hasEndpoints && sp.loadBalancerIPs.length > 0 && sp.loadBalancerSourceRanges.length > 0;
  const lbChain = usesFw ? fw : ext;

  let intFilter: [string, string] | null = null;
  let extFilter: [string, string] | null = null;
  if (!hasEndpoints) {
    intFilter = extFilter = ['REJECT --reject-with icmp-port-unreachable', `${spn} has no endpoints`];
  } else {
    if (!hasInternal) intFilter = ['DROP', `${spn} has no local endpoints`];
    if (!hasExternal) extFilter = ['DROP', `${spn} has no local endpoints`];
  }

  const cipMatch = `-d ${host(sp.clusterIP)} -p ${p}`;
  if (hasInternal) nat.add('KUBE-SERVICES', `${cipMatch} ${cm(`${spn} cluster IP`)} ${portMatch(p, sp.port)} -j ${internalChain}`);
  else if (intFilter) filter.add('KUBE-SERVICES', `${cipMatch} ${cm(intFilter[1])} ${portMatch(p, sp.port)} -j ${intFilter[0]}`);

  for (const ip of sp.externalIPs) {
    if (hasEndpoints) nat.add('KUBE-SERVICES', `-d ${host(ip)} -p ${p} ${cm(`${spn} external IP`)} ${portMatch(p, sp.port)} -j ${ext}`);
    if (extFilter) filter.add('KUBE-EXTERNAL-SERVICES', `-d ${host(ip)} -p ${p} ${cm(extFilter[1])} ${portMatch(p, sp.port)} -j ${extFilter[0]}`);
  }
  for (const ip of sp.loadBalancerIPs) {
    if (hasEndpoints) nat.add('KUBE-SERVICES', `-d ${host(ip)} -p ${p} ${cm(`${spn} loadbalancer IP`)} ${portMatch(p, sp.port)} -j ${lbChain}`);
    if (usesFw)
      filter.add('KUBE-PROXY-FIREWALL', `-d ${host(ip)} -p ${p} ${cm(`${spn} traffic not accepted by ${fw}`)} ${portMatch(p, sp.port)} -j DROP`);
  }
  if (extFilter)
    for (const ip of sp.loadBalancerIPs)
      filter.add('KUBE-EXTERNAL-SERVICES', `-d ${host(ip)} -p ${p} ${cm(extFilter[1])} ${portMatch(p, sp.port)} -j ${extFilter[0]}`);

  if (sp.nodePort !== null) {
    if (hasEndpoints) nat.add('KUBE-NODEPORTS', `-p ${p} ${cm(spn)} ${portMatch(p, sp.nodePort)} -j ${ext}`);
    if (extFilter)
      filter.add('KUBE-EXTERNAL-SERVICES', `-p ${p} ${cm(extFilter[1])} -m addrtype --dst-type LOCAL ${portMatch(p, sp.nodePort)} -j ${extFilter[0]}`);
  }
  if (sp.healthCheckNodePort !== null)
    filter.add('KUBE-NODEPORTS', `-p tcp ${cm(`${spn} health check node port`)} -m tcp --dport ${sp.healthCheckNodePort} -j ACCEPT`);

  if (!hasEndpoints) return;

  // Off-cluster sources to the ClusterIP are masqueraded (local detection by cluster CIDR).
  if (hasInternal) {
    nat.chain(internalChain);
    nat.add(internalChain, `${w.notLocal} ${cipMatch} ${cm(`${spn} cluster IP`)} ${portMatch(p, sp.port)} -j KUBE-MARK-MASQ`);
  }

  if (usesExt) {
    nat.chain(ext);
    if (!sp.externalPolicyLocal) {
      nat.add(ext, `${cm(`masquerade traffic for ${spn} external destinations`)} -j KUBE-MARK-MASQ`);
    } else {
      nat.add(ext, `${w.local} ${cm(`pod traffic for ${spn} external destinations`)} -j ${svc}`);
      nat.add(ext, `${cm(`masquerade LOCAL traffic for ${spn} external destinations`)} -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`);
      nat.add(ext, `${cm(`route LOCAL traffic for ${spn} external destinations`)} -m addrtype --src-type LOCAL -j ${svc}`);
    }
    if (hasExternal) nat.add(ext, `-j ${externalPolicyChain}`);
  }

  if (usesFw) {
    nat.chain(fw);
    const lb = cm(`${spn} loadbalancer IP`);
    for (const cidr of sp.loadBalancerSourceRanges) nat.add(fw, `-s ${host(cidr)} ${lb} -j ${ext}`);
    // The node itself reaches a VIP-like LB IP with the VIP as source.
    if (sp.loadBalancerSourceRanges.some((c) => w.nodeIP !== null && cidrContains(c, w.nodeIP)))
      for (const ip of sp.loadBalancerIPs) nat.add(fw, `-s ${host(ip)} ${lb} -j ${ext}`);
    nat.add(fw, `${lb} ${cm(`other traffic to ${spn} will be dropped by KUBE-PROXY-FIREWALL`)}`);
  }

  if (cluster.length > 0 && usesClusterEndpoints) writeBalancer(nat, sp, svc, cluster, w);
  if (local.length > 0 && usesLocalEndpoints) writeBalancer(nat, sp, svl, local, w);

  for (const ep of reachable.values()) {
    const sep = endpointChainName(spn, p, ep.endpoint);
    nat.chain(sep);
    const c = w.svcComment(spn);
    nat.add(sep, `-s ${host(ep.ip)} ${c}-j KUBE-MARK-MASQ`);
    const recent = sp.affinityTimeout !== null ? `-m recent --set --name ${sep} --mask 255.255.255.255 --rsource ` : '';
    nat.add(sep, `-p ${p} ${c}${recent}-m ${p} -j DNAT --to-destination ${ep.endpoint}`);
  }
}

function writeBalancer(nat: TableRules, sp: ServicePortInfo, chain: string, eps: EndpointInfo[], w: Writer): void {
  nat.chain(chain);
  const sep = (e: EndpointInfo) => endpointChainName(sp.spn, sp.protocol, e.endpoint);
  if (sp.affinityTimeout !== null)
    for (const e of eps)
      nat.add(
        chain,
        `${w.svcComment(`${sp.spn} -> ${e.endpoint}`)}-m recent --rcheck --seconds ${sp.affinityTimeout} --reap --name ${sep(e)} --mask 255.255.255.255 --rsource -j ${sep(e)}`,
      );
  eps.forEach((e, i) => {
    const stat = i < eps.length - 1 ? `-m statistic --mode random --probability ${statisticProbability(eps.length - i)} ` : '';
    nat.add(chain, `${w.svcComment(`${sp.spn} -> ${e.endpoint}`)}${stat}-j ${sep(e)}`);
  });
}
