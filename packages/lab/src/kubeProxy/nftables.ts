import type { ClusterObjects } from '@patchbay/schema';
import { cidrContains } from './ipv4.js';
import { nftAffinitySetName, nftEndpointBase, nftEndpointChainName, nftServiceBase, nftServiceChainName } from './names.js';
import { resolveOptions, type KubeProxyOptions } from './options.js';
import { endpointsForNode, type EndpointInfo, type ServicePortInfo } from './servicePorts.js';

// kube-proxy's nftables mode (pkg/proxy/nftables/proxier.go, current base-chain layout: pre-DNAT filter chains at
// -110, post-DNAT filter chains at 0), as an `nft -f` script. The script first deletes any previous
// `table ip kube-proxy` (add-then-delete, since nft 1.0.6 has no `destroy`), so loading it twice is harmless.
// NodePorts answer on opts.nodeIPs only (nft mode's default --nodeport-addresses=primary).

const T = 'ip kube-proxy';

interface Rule {
  chain: string;
  /** Matches (may be empty). */
  match: string;
  /** The statement that acts: verdict, dnat, map update... */
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
  constructor(private readonly counters: boolean) {}
  chain(name: string, spec?: string): void {
    this.chains.push(`add chain ${T} ${name}${spec ? ` { ${spec} ; }` : ''}`);
  }
  rule(r: Rule): void {
    this.rules.push(r);
  }
  element(set: string, elem: string): void {
    this.elements.push(`add element ${T} ${set} { ${elem} }`);
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

  s.chain('filter-prerouting-pre-dnat', 'type filter hook prerouting priority -110');
  s.chain('filter-output-pre-dnat', 'type filter hook output priority -110');
  s.chain('nat-prerouting', 'type nat hook prerouting priority -100');
  s.chain('nat-output', 'type nat hook output priority -100');
  s.chain('filter-input', 'type filter hook input priority 0');
  s.chain('filter-forward', 'type filter hook forward priority 0');
  s.chain('filter-output', 'type filter hook output priority 0');
  s.chain('nat-postrouting', 'type nat hook postrouting priority 100');
  for (const c of ['cluster-ips-check', 'firewall-check', 'mark-for-masquerade', 'masquerading', 'nodeport-endpoints-check', 'services', 'service-endpoints-check'])
    s.chain(c);
  s.chain('reject-chain', 'comment "helper for @no-endpoint-services / @no-endpoint-nodeports"');

  const addrKey = 'ipv4_addr . inet_proto . inet_service';
  s.sets.push(
    `add set ${T} cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }`,
    `add set ${T} nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }`,
    `add map ${T} firewall-ips { type ${addrKey} : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }`,
    `add map ${T} no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }`,
    `add map ${T} no-endpoint-services { type ${addrKey} : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }`,
    `add map ${T} service-ips { type ${addrKey} : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`,
    `add map ${T} service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }`,
  );

  const ctNew = 'ct state new';
  s.rule({ chain: 'filter-prerouting-pre-dnat', match: ctNew, action: 'jump firewall-check' });
  s.rule({ chain: 'filter-output-pre-dnat', match: ctNew, action: 'jump firewall-check' });
  s.rule({ chain: 'nat-prerouting', match: '', action: 'jump services' });
  s.rule({ chain: 'nat-output', match: '', action: 'jump services' });
  s.rule({ chain: 'filter-input', match: ctNew, action: 'jump nodeport-endpoints-check' });
  s.rule({ chain: 'filter-input', match: ctNew, action: 'jump service-endpoints-check' });
  s.rule({ chain: 'filter-forward', match: ctNew, action: 'jump service-endpoints-check' });
  s.rule({ chain: 'filter-forward', match: ctNew, action: 'jump cluster-ips-check' });
  s.rule({ chain: 'filter-output', match: ctNew, action: 'jump service-endpoints-check' });
  s.rule({ chain: 'filter-output', match: ctNew, action: 'jump cluster-ips-check' });
  s.rule({ chain: 'nat-postrouting', match: '', action: 'jump masquerading' });
  s.rule({
    chain: 'cluster-ips-check',
    match: 'ip daddr @cluster-ips',
    action: 'reject',
    comment: 'Reject traffic to invalid ports of ClusterIPs',
  });
  s.rule({
    chain: 'cluster-ips-check',
    match: `ip daddr { ${o.serviceCIDR} }`,
    action: 'drop',
    comment: 'Drop traffic to unallocated ClusterIPs',
  });
  s.rule({ chain: 'firewall-check', match: '', action: 'ip daddr . meta l4proto . th dport vmap @firewall-ips', counterFirst: true });
  s.rule({ chain: 'mark-for-masquerade', match: '', action: `mark set mark or ${o.mark}` });
  s.rule({ chain: 'masquerading', match: `mark and ${o.mark} == 0`, action: 'return' });
  s.rule({ chain: 'masquerading', match: '', action: `mark set mark xor ${o.mark}` });
  s.rule({ chain: 'masquerading', match: '', action: 'masquerade fully-random' });
  s.rule({ chain: 'nodeport-endpoints-check', match: 'ip daddr @nodeport-ips', action: 'meta l4proto . th dport vmap @no-endpoint-nodeports', counterFirst: true });
  s.rule({ chain: 'reject-chain', match: '', action: 'reject' });
  s.rule({ chain: 'services', match: '', action: 'ip daddr . meta l4proto . th dport vmap @service-ips', counterFirst: true });
  s.rule({ chain: 'services', match: 'ip daddr @nodeport-ips', action: 'meta l4proto . th dport vmap @service-nodeports', counterFirst: true });
  s.rule({ chain: 'service-endpoints-check', match: '', action: 'ip daddr . meta l4proto . th dport vmap @no-endpoint-services', counterFirst: true });

  for (const ip of o.nodeIPs) s.element('nodeport-ips', ip);

  for (const sp of ports) writeServicePort(s, sp, o.clusterCIDR, o.nodeIPs[0] ?? null);
  return s.render();
}

function writeServicePort(s: Script, sp: ServicePortInfo, clusterCIDR: string, nodeIP: string | null): void {
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
  const reject = 'goto reject-chain';
  const intVerdict = hasEndpoints ? (hasInternal ? null : 'drop') : reject;
  const extVerdict = hasEndpoints ? (hasExternal ? null : 'drop') : reject;
  const key = (ip: string, port: number) => `${ip} . ${p} . ${port}`;

  s.element('cluster-ips', sp.clusterIP);
  if (hasInternal) s.element('service-ips', `${key(sp.clusterIP, sp.port)} : goto ${internalChain}`);
  else if (intVerdict) s.element('no-endpoint-services', `${key(sp.clusterIP, sp.port)} comment "${sp.spn}" : ${intVerdict}`);
  for (const ip of sp.externalIPs) {
    if (hasEndpoints) s.element('service-ips', `${key(ip, sp.port)} : goto ${ext}`);
    if (extVerdict) s.element('no-endpoint-services', `${key(ip, sp.port)} comment "${sp.spn}" : ${extVerdict}`);
  }
  for (const ip of sp.loadBalancerIPs) {
    if (hasEndpoints) s.element('service-ips', `${key(ip, sp.port)} : goto ${ext}`);
    if (usesFw) s.element('firewall-ips', `${key(ip, sp.port)} comment "${sp.spn}" : goto ${fw}`);
    if (extVerdict) s.element('no-endpoint-services', `${key(ip, sp.port)} comment "${sp.spn}" : ${extVerdict}`);
  }
  if (sp.nodePort !== null) {
    if (hasEndpoints) s.element('service-nodeports', `${p} . ${sp.nodePort} : goto ${ext}`);
    if (extVerdict) s.element('no-endpoint-nodeports', `${p} . ${sp.nodePort} comment "${sp.spn}" : ${extVerdict}`);
  }
  if (usesFw) {
    s.chain(fw);
    const sources = [...sp.loadBalancerSourceRanges];
    if (nodeIP !== null && sources.some((c) => cidrContains(c, nodeIP))) sources.push(...sp.loadBalancerIPs);
    s.rule({ chain: fw, match: `ip saddr != { ${sources.join(', ')} }`, action: 'drop' });
  }
  if (!hasEndpoints) return;

  const reachable = new Map<string, EndpointInfo>();
  for (const e of [...cluster, ...local]) reachable.set(e.endpoint, e);
  const epBase = (e: EndpointInfo) => nftEndpointBase(base, e.ip, e.port);

  if (cluster.length > 0) writeBalancer(s, sp, svc, cluster, epBase, internalChain === svc && hasInternal, clusterCIDR);
  if (local.length > 0) writeBalancer(s, sp, loc, local, epBase, internalChain === loc && hasInternal, clusterCIDR);

  if (usesExt) {
    s.chain(ext);
    if (!sp.externalPolicyLocal) {
      s.rule({ chain: ext, match: '', action: 'jump mark-for-masquerade' });
    } else {
      s.rule({ chain: ext, match: `ip saddr ${clusterCIDR}`, action: `goto ${svc}`, comment: 'short-circuit pod traffic' });
      s.rule({ chain: ext, match: 'fib saddr type local', action: 'jump mark-for-masquerade', comment: 'masquerade local traffic' });
      s.rule({ chain: ext, match: 'fib saddr type local', action: `goto ${svc}`, comment: 'short-circuit local traffic' });
    }
    if (hasExternal) s.rule({ chain: ext, match: '', action: `goto ${externalPolicyChain}` });
  }

  for (const e of reachable.values()) {
    const b = epBase(e);
    const chain = nftEndpointChainName(b);
    s.chain(chain);
    s.rule({ chain, match: `ip saddr ${e.ip}`, action: 'jump mark-for-masquerade' });
    if (sp.affinityTimeout !== null) {
      const set = nftAffinitySetName(b);
      s.sets.push(`add set ${T} ${set} { type ipv4_addr ; flags dynamic,timeout ; timeout ${sp.affinityTimeout}s ; }`);
      s.rule({ chain, match: '', action: `update @${set} { ip saddr }` });
    }
    s.rule({ chain, match: `meta l4proto ${p}`, action: `dnat to ${e.endpoint}` });
  }
}

function writeBalancer(
  s: Script,
  sp: ServicePortInfo,
  chain: string,
  eps: EndpointInfo[],
  epBase: (e: EndpointInfo) => string,
  internal: boolean,
  clusterCIDR: string,
): void {
  s.chain(chain);
  if (internal) s.rule({ chain, match: `ip daddr ${sp.clusterIP} ip saddr != ${clusterCIDR}`, action: 'jump mark-for-masquerade' });
  if (sp.affinityTimeout !== null)
    for (const e of eps)
      s.rule({ chain, match: `ip saddr @${nftAffinitySetName(epBase(e))}`, action: `goto ${nftEndpointChainName(epBase(e))}` });
  const targets = eps.map((e, i) => `${i} : goto ${nftEndpointChainName(epBase(e))}`).join(' , ');
  s.rule({ chain, match: '', action: `numgen random mod ${eps.length} vmap { ${targets} }`, counterFirst: true });
}
