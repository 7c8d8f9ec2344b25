import type { ClusterObjects } from '@patchbay/schema';
import { cidrContains } from './ipv4.js';
import { nftAffinitySetName, nftEndpointBase, nftEndpointChainName, nftServiceBase, nftServiceChainName } from './names.js';
import { resolveOptions, type KubeProxyOptions } from './options.js';
import { endpointsForNode, type EndpointInfo, type ServicePortInfo } from './servicePorts.js';

// kube-proxy 1.36's nftables mode (pkg/proxy/nftables/proxier.go), as an `nft -f` script: pre-DNAT filter chains
// at -110, post-DNAT filter chains at 0, nat at ±100; the masquerade mark set inline (no mark chain); service
// chains that DNAT through one `numgen` map unless the service has ClientIP affinity (only then per-endpoint
// chains); hairpin traffic masqueraded through the `hairpin-connections` set rather than per-endpoint rules. The
// script first deletes any previous `table ip kube-proxy` (add-then-delete, since nft 1.0.6 has no `destroy`), so
// loading it twice is harmless. NodePorts answer on opts.nodeIPs only (nft mode's --nodeport-addresses=primary).

const T = 'ip kube-proxy';

interface Rule {
  chain: string;
  /** Matches (may be empty). */
  match: string;
  /** The statement that acts: verdict, dnat, mark, masquerade... */
  action: string;
  comment?: string;
  /** For rules whose match and verdict are one expression (vmap lookups): place the counter first. */
  counterFirst?: boolean;
}

class Script {
  readonly chains: string[] = [];
  readonly sets: string[] = [];
  readonly rules: Rule[] = [];
  readonly elements: string[] = [];
  private readonly seenElements = new Set<string>();
  constructor(private readonly counters: boolean) {}
  chain(name: string, spec?: string): void {
    this.chains.push(`add chain ${T} ${name}${spec ? ` { ${spec} ; }` : ''}`);
  }
  rule(r: Rule): void {
    this.rules.push(r);
  }
  /** Adds an element once: several service ports may name the same one (a ClusterIP, a hairpin endpoint). */
  element(set: string, elem: string): void {
    const line = `add element ${T} ${set} { ${elem} }`;
    if (this.seenElements.has(line)) return;
    this.seenElements.add(line);
    this.elements.push(line);
  }
  renderRule(r: Rule): string {
    const parts: string[] = [];
    if (this.counters && r.counterFirst) parts.push('counter');
    if (r.match) parts.push(r.match);
    if (this.counters && !r.counterFirst) parts.push('counter');
    parts.push(r.action);
    if (r.comment !== undefined) parts.push(`comment "${r.comment}"`);
    return `add rule ${T} ${r.chain} ${parts.join(' ')}`;
  }
  render(): string {
    return [
      `add table ${T}`,
      `delete table ${T}`,
      `add table ${T} { comment "rules for kube-proxy" ; }`,
      ...this.chains,
      ...this.sets,
      ...this.rules.map((r) => this.renderRule(r)),
      ...this.elements,
      '',
    ].join('\n');
  }
}

/** An `nft -f` script creating kube-proxy's `table ip kube-proxy` for one node. */
export function renderNftRules(cluster: ClusterObjects, opts: KubeProxyOptions): string {
  return renderNftFromPorts(endpointsForNode(cluster, opts.nodeName), opts);
}

export function renderNftFromPorts(ports: ServicePortInfo[], opts: KubeProxyOptions): string {
  const o = resolveOptions(opts);
  const s = new Script(o.counters);
  const masq = `mark set mark or ${o.mark}`;

  s.chain('filter-prerouting-pre-dnat', 'type filter hook prerouting priority -110');
  s.chain('filter-output-pre-dnat', 'type filter hook output priority -110');
  s.chain('filter-input', 'type filter hook input priority 0');
  s.chain('filter-forward', 'type filter hook forward priority 0');
  s.chain('filter-output', 'type filter hook output priority 0');
  s.chain('nat-prerouting', 'type nat hook prerouting priority -100');
  s.chain('nat-output', 'type nat hook output priority -100');
  s.chain('nat-postrouting', 'type nat hook postrouting priority 100');
  for (const c of ['nodeport-endpoints-check', 'service-endpoints-check', 'firewall-check', 'services', 'masquerading', 'cluster-ips-check']) s.chain(c);
  s.chain('reject-chain', 'comment "helper for @no-endpoint-services / @no-endpoint-nodeports"');

  const addrKey = 'ipv4_addr . inet_proto . inet_service';
  s.sets.push(
    `add set ${T} hairpin-connections { type ipv4_addr . ipv4_addr . inet_proto . inet_service ; comment "service hairpin connections" ; }`,
    `add set ${T} cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }`,
    `add set ${T} nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }`,
    `add map ${T} no-endpoint-services { type ${addrKey} : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }`,
    `add map ${T} no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }`,
    `add map ${T} firewall-ips { type ${addrKey} : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }`,
    `add map ${T} service-ips { type ${addrKey} : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`,
    `add map ${T} service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }`,
  );

  // Jump rules, in kube-proxy's nftablesJumpChains order.
  const ctNew = 'ct state new';
  s.rule({ chain: 'filter-input', match: ctNew, action: 'jump nodeport-endpoints-check' });
  s.rule({ chain: 'filter-input', match: ctNew, action: 'jump service-endpoints-check' });
  s.rule({ chain: 'filter-forward', match: ctNew, action: 'jump service-endpoints-check' });
  s.rule({ chain: 'filter-output', match: ctNew, action: 'jump service-endpoints-check' });
  s.rule({ chain: 'filter-prerouting-pre-dnat', match: ctNew, action: 'jump firewall-check' });
  s.rule({ chain: 'filter-output-pre-dnat', match: ctNew, action: 'jump firewall-check' });
  s.rule({ chain: 'nat-output', match: '', action: 'jump services' });
  s.rule({ chain: 'nat-prerouting', match: '', action: 'jump services' });
  s.rule({ chain: 'nat-postrouting', match: '', action: 'jump masquerading' });
  s.rule({ chain: 'filter-forward', match: ctNew, action: 'jump cluster-ips-check' });
  s.rule({ chain: 'filter-output', match: ctNew, action: 'jump cluster-ips-check' });

  // Marked packets are masqueraded once (the mark is cleared so a second pass does not); a pod that reaches itself
  // through a service is masqueraded too, or its reply would skip the un-DNAT.
  s.rule({ chain: 'masquerading', match: `mark and ${o.mark} != 0`, action: `mark set mark xor ${o.mark} masquerade fully-random` });
  s.rule({ chain: 'masquerading', match: 'ct status dnat ip saddr . ip daddr . meta l4proto . th dport @hairpin-connections', action: 'masquerade fully-random' });
  s.rule({ chain: 'cluster-ips-check', match: 'ip daddr @cluster-ips', action: 'reject', comment: 'Reject traffic to invalid ports of ClusterIPs' });
  s.rule({ chain: 'cluster-ips-check', match: `ip daddr { ${o.serviceCIDR} }`, action: 'drop', comment: 'Drop traffic to unallocated ClusterIPs' });
  s.rule({ chain: 'reject-chain', match: '', action: 'reject' });
  s.rule({ chain: 'service-endpoints-check', match: '', action: 'ip daddr . meta l4proto . th dport vmap @no-endpoint-services', counterFirst: true });
  s.rule({ chain: 'nodeport-endpoints-check', match: 'ip daddr @nodeport-ips', action: 'meta l4proto . th dport vmap @no-endpoint-nodeports', counterFirst: true });
  s.rule({ chain: 'firewall-check', match: '', action: 'ip daddr . meta l4proto . th dport vmap @firewall-ips', counterFirst: true });
  // Off-cluster sources (local detection by cluster CIDR) to any ClusterIP are masqueraded: one rule for all.
  s.rule({ chain: 'services', match: `ip daddr @cluster-ips ip saddr != ${o.clusterCIDR}`, action: masq, comment: 'masquerade clusterIP traffic from outside cluster' });
  s.rule({ chain: 'services', match: '', action: 'ip daddr . meta l4proto . th dport vmap @service-ips', counterFirst: true });
  s.rule({ chain: 'services', match: 'ip daddr @nodeport-ips', action: 'meta l4proto . th dport vmap @service-nodeports', counterFirst: true });

  for (const ip of o.nodeIPs) s.element('nodeport-ips', ip);

  for (const sp of ports) writeServicePort(s, sp, o.clusterCIDR, o.nodeIPs[0] ?? null, masq);
  return s.render();
}

function writeServicePort(s: Script, sp: ServicePortInfo, clusterCIDR: string, nodeIP: string | null, masq: string): void {
  const p = sp.protocol;
  const base = nftServiceBase(sp.namespace, sp.name, p, sp.portName);
  const svc = nftServiceChainName('service', base);
  const loc = nftServiceChainName('local', base);
  const ext = nftServiceChainName('external', base);
  const fw = nftServiceChainName('firewall', base);
  const usesCluster = !sp.internalPolicyLocal || (sp.externallyAccessible && !sp.externalPolicyLocal);
  const usesLocal = sp.internalPolicyLocal || sp.externalPolicyLocal;
  const cluster = usesCluster ? sp.clusterEndpoints : [];
  const local = usesLocal ? sp.localEndpoints : [];
  const hasEndpoints = sp.clusterEndpoints.length > 0;
  const hasInternal = sp.internalPolicyLocal ? local.length > 0 : hasEndpoints;
  const hasExternal = sp.externalPolicyLocal ? local.length > 0 : hasEndpoints;
  const internalChain = sp.internalPolicyLocal ? loc : svc;
  const externalPolicyChain = sp.externalPolicyLocal ? loc : svc;
  const usesExt = hasEndpoints && sp.externallyAccessible;
  // Unlike iptables mode, the firewall chain exists even without endpoints.
  const usesFw = sp.loadBalancerIPs.length > 0 && sp.loadBalancerSourceRanges.length > 0;
  const affinity = sp.affinityTimeout !== null;
  const reject = 'goto reject-chain';
  const intVerdict = hasEndpoints ? (hasInternal ? null : 'drop') : reject;
  const extVerdict = hasEndpoints ? (hasExternal ? null : 'drop') : reject;
  const key = (ip: string, port: number) => `${ip} . ${p} . ${port}`;

  const reachable = new Map<string, EndpointInfo>();
  for (const e of [...cluster, ...local]) reachable.set(e.endpoint, e);
  const epBase = (e: EndpointInfo) => nftEndpointBase(base, e.ip, e.port);
  for (const e of reachable.values()) {
    if (affinity) s.chain(nftEndpointChainName(epBase(e)));
    if (e.local) s.element('hairpin-connections', `${e.ip} . ${e.ip} . ${p} . ${e.port}`);
  }

  s.element('cluster-ips', sp.clusterIP);
  if (hasInternal) s.element('service-ips', `${key(sp.clusterIP, sp.port)} : goto ${internalChain}`);
  else if (intVerdict) s.element('no-endpoint-services', `${key(sp.clusterIP, sp.port)} comment "${sp.spn}" : ${intVerdict}`);
  for (const ip of sp.externalIPs) {
    if (hasEndpoints) s.element('service-ips', `${key(ip, sp.port)} : goto ${ext}`);
    if (extVerdict) s.element('no-endpoint-services', `${key(ip, sp.port)} comment "${sp.spn}" : ${extVerdict}`);
  }
  for (const ip of sp.loadBalancerIPs) {
    if (hasEndpoints) s.element('service-ips', `${key(ip, sp.port)} : goto ${ext}`);
    if (usesFw) s.element('firewall-ips', `${key(ip, sp.port)} : goto ${fw}`);
  }
  if (extVerdict)
    for (const ip of sp.loadBalancerIPs) s.element('no-endpoint-services', `${key(ip, sp.port)} comment "${sp.spn}" : ${extVerdict}`);
  if (sp.nodePort !== null) {
    if (hasEndpoints) s.element('service-nodeports', `${p} . ${sp.nodePort} : goto ${ext}`);
    if (extVerdict) s.element('no-endpoint-nodeports', `${p} . ${sp.nodePort} comment "${sp.spn}" : ${extVerdict}`);
  }

  if (cluster.length > 0) s.chain(svc);
  if (local.length > 0) s.chain(loc);
  if (usesExt) {
    s.chain(ext);
    if (!sp.externalPolicyLocal) {
      s.rule({ chain: ext, match: '', action: masq, comment: 'masquerade' });
    } else {
      s.rule({ chain: ext, match: `ip saddr ${clusterCIDR}`, action: `goto ${svc}`, comment: 'short-circuit pod traffic' });
      s.rule({ chain: ext, match: 'fib saddr type local', action: masq, comment: 'masquerade local traffic' });
      s.rule({ chain: ext, match: 'fib saddr type local', action: `goto ${svc}`, comment: 'short-circuit local traffic' });
    }
    if (hasExternal) s.rule({ chain: ext, match: '', action: `goto ${externalPolicyChain}` });
  }
  if (usesFw) {
    s.chain(fw);
    const sources = [...sp.loadBalancerSourceRanges];
    if (nodeIP !== null && sources.some((c) => cidrContains(c, nodeIP))) sources.push(...sp.loadBalancerIPs);
    s.rule({ chain: fw, match: `ip saddr != { ${sources.join(', ')} }`, action: 'drop' });
  }

  if (!affinity) {
    if (cluster.length > 0) writeDnatMap(s, p, svc, cluster);
    if (local.length > 0) writeDnatMap(s, p, loc, local);
    return;
  }
  for (const e of reachable.values())
    s.sets.push(`add set ${T} ${nftAffinitySetName(epBase(e))} { type ipv4_addr ; flags dynamic,timeout ; timeout ${sp.affinityTimeout}s ; }`);
  if (cluster.length > 0) writeAffinityJumps(s, svc, cluster, epBase);
  if (local.length > 0) writeAffinityJumps(s, loc, local, epBase);
  for (const e of reachable.values()) {
    const b = epBase(e);
    const chain = nftEndpointChainName(b);
    s.rule({ chain, match: '', action: `update @${nftAffinitySetName(b)} { ip saddr }` });
    s.rule({ chain, match: `meta l4proto ${p}`, action: `dnat to ${e.endpoint}` });
  }
}

/** Without affinity a service chain DNATs itself: numgen picks the entry of an address.port map. */
function writeDnatMap(s: Script, p: string, chain: string, eps: EndpointInfo[]): void {
  const entries = eps.map((e, i) => `${i} : ${e.ip} . ${e.port}`).join(' , ');
  s.rule({ chain, match: `meta l4proto ${p}`, action: `dnat ip addr . port to numgen random mod ${eps.length} map { ${entries} }` });
}

/** With affinity: a remembered source goes back to its endpoint chain, anything else is spread by numgen. */
function writeAffinityJumps(s: Script, chain: string, eps: EndpointInfo[], epBase: (e: EndpointInfo) => string): void {
  for (const e of eps) s.rule({ chain, match: `ip saddr @${nftAffinitySetName(epBase(e))}`, action: `goto ${nftEndpointChainName(epBase(e))}` });
  const targets = eps.map((e, i) => `${i} : goto ${nftEndpointChainName(epBase(e))}`).join(' , ');
  s.rule({ chain, match: '', action: `numgen random mod ${eps.length} vmap { ${targets} }`, counterFirst: true });
}
