import { IptablesParseCache, ipsetContains, parseIpsetSave, parseIptablesSave, type IpsetSet } from '@patchbay/parse';
import type { NodeModel, RulesetModel, ClusterModel } from '@patchbay/resolve';
import { IptablesEvaluator } from './iptables/evaluate.js';
import { IpvsEvaluator } from './ipvs/evaluate.js';
import { NftEvaluator } from './nft/evaluate.js';
import type { BaseChain, Hook, HookContext, HookOutcome, NetfilterEvaluator, NfPacket } from './types.js';

// Chooses the evaluators a node needs (one per backend present) and runs a hook across all of them in kernel
// priority order. Evaluators are built once per distinct ruleset and kept in RulesetModel.compiled, so 1,000
// nodes with the same kube-proxy rules share one parsed, indexed copy.

export interface NodeNetfilter {
  evaluators: NetfilterEvaluator[];
  chains: Map<Hook, BaseChain[]>;
  warnings: string[];
  ipsets: Map<string, IpsetSet> | null;
}

const KEY = 'trace/netfilter';
/** One per model: the nodes' dumps differ in a few rules, so later parses share the first one's matches. */
const parseCaches = new WeakMap<ClusterModel, IptablesParseCache>();

export function netfilterFor(model: ClusterModel, node: NodeModel): NodeNetfilter | null {
  if (!node.ruleset) return null;
  const rs = model.rulesets.get(node.ruleset);
  if (!rs) return null;
  const cached = rs.compiled.get(KEY) as NodeNetfilter | undefined;
  if (cached) return cached;
  let cache = parseCaches.get(model);
  if (!cache) parseCaches.set(model, (cache = new IptablesParseCache()));
  const nf = build(rs, cache);
  rs.compiled.set(KEY, nf);
  return nf;
}

function build(rs: RulesetModel, cache: IptablesParseCache): NodeNetfilter {
  const evaluators: NetfilterEvaluator[] = [];
  const warnings: string[] = [];
  if (rs.iptables) {
    try {
      evaluators.push(new IptablesEvaluator(parseIptablesSave(rs.iptables, { cache }), `iptables${rs.iptablesBackend ? `-${rs.iptablesBackend}` : ''}`));
    } catch (err) {
      warnings.push(`iptables-save could not be parsed: ${(err as Error).message}`);
    }
  }
  if (rs.nft) {
    const nft = new NftEvaluator(rs.nft);
    if (nft.hasChains) evaluators.push(nft);
    warnings.push(...nft.warnings);
  }
  let ipsets: Map<string, IpsetSet> | null = null;
  if (rs.ipsets !== null) {
    try {
      ipsets = parseIpsetSave(rs.ipsets);
    } catch (err) {
      warnings.push(`ipset save could not be parsed: ${(err as Error).message}`);
    }
  }
  if (rs.ipvs) {
    const ipvs = new IpvsEvaluator(rs.ipvs);
    if (ipvs.hasServices) evaluators.push(ipvs);
    warnings.push(...ipvs.warnings);
  }
  const chains = new Map<Hook, BaseChain[]>();
  for (const hook of ['prerouting', 'input', 'forward', 'output', 'postrouting'] as const) {
    chains.set(
      hook,
      evaluators.flatMap((e) => e.baseChains(hook)).sort((a, b) => a.prio - b.prio),
    );
  }
  return { evaluators, chains, warnings, ipsets };
}

/** -m set membership: one key part per dimension of the set, taken from the packet per direction. */
export function ipsetMember(set: IpsetSet, dirs: ReadonlyArray<'src' | 'dst'>, pkt: NfPacket): boolean {
  const parts = set.dimensions.map((d, i) => {
    const dir = dirs[i] ?? dirs[dirs.length - 1] ?? 'dst';
    if (d === 'port') return { proto: pkt.proto, port: dir === 'src' ? pkt.sport : pkt.dport };
    return dir === 'src' ? pkt.src : pkt.dst;
  });
  return ipsetContains(set, ...(parts as Parameters<typeof ipsetContains> extends [IpsetSet, ...infer K] ? K : never));
}

export interface HookRun {
  outcomes: HookOutcome[];
}

/**
 * Runs every base chain of a hook in priority order; each chain may fork the packet (load balancing), so the
 * result is a list of weighted outcomes. NAT chains run only for a connection's first packet.
 */
export function runHook(nf: NodeNetfilter | null, ctx: HookContext, pkt: NfPacket, natAllowed: boolean): HookOutcome[] {
  let live: HookOutcome[] = [{ weight: 1, verdict: 'accept', reason: null, pkt, steps: [] }];
  if (!nf) return live;
  // A trace that has spent its budget decides nothing more: every hook it still reaches ends the path.
  const spent = ctx.budget.check();
  if (spent !== null) return [{ weight: 1, verdict: 'unknown', reason: spent, pkt, steps: [] }];
  const chains = nf.chains.get(ctx.hook) ?? [];
  const done: HookOutcome[] = [];
  for (const chain of chains) {
    if (chain.nat && !natAllowed) continue;
    const next: HookOutcome[] = [];
    for (const o of live) {
      if (o.ipvsForward) {
        next.push(o);
        continue;
      }
      const dnat = ctx.ct.dnat || o.pkt.dst !== ctx.ct.orig.dst || o.pkt.dport !== ctx.ct.orig.dport;
      const snat = ctx.ct.snat || o.pkt.src !== ctx.ct.orig.src;
      const c = dnat === ctx.ct.dnat && snat === ctx.ct.snat ? ctx : { ...ctx, ct: { ...ctx.ct, dnat, snat } };
      for (const r of chain.run(c, o.pkt)) {
        // The earlier chains' steps are copied into each outcome of this one.
        if (o.steps.length > 0) ctx.budget.keep(o.steps.length);
        const merged: HookOutcome = { ...r, weight: o.weight * r.weight, steps: [...o.steps, ...r.steps] };
        if (r.ipvsForward) merged.ipvsForward = true;
        if (merged.weight <= 0) continue;
        if (r.verdict === 'accept') next.push(merged);
        else done.push(merged);
      }
    }
    live = next;
    if (live.length === 0) break;
  }
  return [...done, ...live];
}
