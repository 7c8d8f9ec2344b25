import { ParseError, chainWarnings, type IptablesChain, type IptablesMatch, type IptablesRule, type IptablesRuleset, type IptablesTarget } from '@patchbay/parse';
import { ipToInt } from '@patchbay/resolve';
import { loopText } from '../../limits.js';
import { compileCidr, hex, inCompiled, protoNum, stripCounters } from '../shared.js';
import type { BaseChain, Hook, HookContext, HookOutcome, NetfilterEvaluator, NfPacket, NfStep } from '../types.js';

// Evaluates iptables-save rules the way the kernel's x_tables does: rules in order, every match must hold,
// jump/goto/RETURN with a call stack, built-in chain policies. `-m statistic` forks the walk into weighted
// branches (one per load-balanced endpoint). Long chains (kube-proxy's KUBE-SERVICES) are indexed by destination
// address or port so a lookup does not scan every rule.

const HOOK_CHAIN: Record<Hook, string> = { prerouting: 'PREROUTING', input: 'INPUT', forward: 'FORWARD', output: 'OUTPUT', postrouting: 'POSTROUTING' };

/** Kernel priorities (NF_IP_PRI_*) of each table on each hook. */
const TABLE_PRIO: Record<string, Partial<Record<Hook, number>>> = {
  raw: { prerouting: -300, output: -300 },
  mangle: { prerouting: -150, input: -150, forward: -150, output: -150, postrouting: -150 },
  nat: { prerouting: -100, output: -100, input: 100, postrouting: 100 },
  filter: { input: 0, forward: 0, output: 0 },
  security: { input: 50, forward: 50, output: 50 },
};

type MatchResult = boolean | { probability: number } | { unknown: string };

interface ChainIndex {
  key: 'dst' | 'dport' | null;
  byKey: Map<number, number[]>;
  generic: number[];
  merged: Map<number, number[]>;
}

const INDEX_MIN_RULES = 24;

function exactDst(rule: IptablesRule): number | null {
  for (const m of rule.matches) if (m.kind === 'dst' && !m.negate && m.prefixLen === 32) return ipToInt(m.addr);
  return null;
}

function exactDport(rule: IptablesRule): number | null {
  for (const m of rule.matches) {
    if ((m.kind === 'tcp' || m.kind === 'udp' || m.kind === 'sctp') && m.dport && !m.dport.negate && m.dport.lo === m.dport.hi) return m.dport.lo;
  }
  return null;
}

function buildIndex(chain: IptablesChain): ChainIndex {
  const rules = chain.rules;
  if (rules.length < INDEX_MIN_RULES) return { key: null, byKey: new Map(), generic: [], merged: new Map() };
  const dsts = rules.map(exactDst);
  const dports = rules.map(exactDport);
  const nDst = dsts.filter((d) => d !== null).length;
  const nPort = dports.filter((d) => d !== null).length;
  const key: ChainIndex['key'] = nDst >= rules.length / 2 ? 'dst' : nPort >= rules.length / 2 ? 'dport' : null;
  const byKey = new Map<number, number[]>();
  const generic: number[] = [];
  if (key) {
    const keys = key === 'dst' ? dsts : dports;
    keys.forEach((k, i) => {
      if (k === null) generic.push(i);
      else (byKey.get(k) ?? byKey.set(k, []).get(k)!).push(i);
    });
  }
  return { key, byKey, generic, merged: new Map() };
}

function candidates(idx: ChainIndex, chain: IptablesChain, pkt: NfPacket): number[] | null {
  if (!idx.key) return null;
  const k = idx.key === 'dst' ? ipToInt(pkt.dst) : pkt.dport;
  if (k === null) return idx.generic;
  let list = idx.merged.get(k);
  if (list) return list;
  const own = idx.byKey.get(k) ?? [];
  list = [...own, ...idx.generic].sort((a, b) => a - b);
  if (idx.merged.size > 50_000) idx.merged.clear();
  idx.merged.set(k, list);
  void chain;
  return list;
}

function ifaceMatch(m: { name: string; wildcard: boolean; prefix: string; negate: boolean }, dev: string | null): boolean {
  const hit = dev !== null && (m.wildcard ? dev.startsWith(m.prefix) : dev === m.name);
  return m.negate ? !hit : hit;
}

function addrMatch(m: { cidr: string; negate: boolean }, ip: string): boolean | { unknown: string } {
  const c = compileCidr(m.cidr);
  const n = ipToInt(ip);
  if (!c) return { unknown: `address ${m.cidr} is not IPv4` };
  const hit = n !== null && inCompiled(c, n);
  return m.negate ? !hit : hit;
}

function portIn(p: { lo: number; hi: number; negate: boolean }, port: number): boolean {
  const hit = port >= p.lo && port <= p.hi;
  return p.negate ? !hit : hit;
}

const ICMP_TYPES: Record<string, number> = { 'echo-reply': 0, 'destination-unreachable': 3, 'echo-request': 8, 'time-exceeded': 11 };

function addrTypeOf(ctx: HookContext, ip: string): string[] {
  const n = ipToInt(ip) ?? 0;
  if (ctx.isLocal(ip)) return ['LOCAL'];
  if (n >>> 28 === 14) return ['MULTICAST'];
  if (n === 0xffffffff) return ['BROADCAST'];
  return ['UNICAST'];
}

function listHit(values: string[], have: string[]): boolean {
  return values.some((v) => have.includes(v.toUpperCase()));
}

function ctStates(ctx: HookContext): string[] {
  const s: string[] = [ctx.ct.state];
  if (ctx.ct.dnat) s.push('DNAT');
  if (ctx.ct.snat) s.push('SNAT');
  return s;
}

/** One match against one packet. Exported for unit tests. */
export function evalMatch(m: IptablesMatch, ctx: HookContext, pkt: NfPacket): MatchResult {
  switch (m.kind) {
    case 'src':
      return addrMatch(m, pkt.src);
    case 'dst':
      return addrMatch(m, pkt.dst);
    case 'in':
      return ifaceMatch(m, ctx.inDev);
    case 'out':
      return ifaceMatch(m, ctx.outDev);
    case 'proto': {
      const want = protoNum(m.proto);
      const hit = want === 0 || want === protoNum(pkt.proto);
      return m.negate ? !hit : hit;
    }
    case 'fragment':
      return m.negate;
    case 'tcp':
    case 'udp':
    case 'sctp':
    case 'udplite':
    case 'dccp': {
      if (pkt.proto !== m.kind) return false;
      if (m.sport && !portIn(m.sport, pkt.sport)) return false;
      if (m.dport && !portIn(m.dport, pkt.dport)) return false;
      if (m.tcpFlags) {
        const set = ctx.ct.dir === 'ORIGINAL' && ctx.ct.state === 'NEW' ? ['SYN'] : ctx.ct.dir === 'REPLY' && ctx.ct.state !== 'ESTABLISHED' ? ['SYN', 'ACK'] : ['ACK'];
        const mask = m.tcpFlags.mask.includes('ALL') ? ['SYN', 'ACK', 'FIN', 'RST', 'URG', 'PSH'] : m.tcpFlags.mask;
        const comp = m.tcpFlags.comp.includes('NONE') ? [] : m.tcpFlags.comp;
        const hit = mask.every((f) => set.includes(f) === comp.includes(f));
        if (m.tcpFlags.negate ? hit : !hit) return false;
      }
      if (m.tcpOption) return { unknown: '--tcp-option' };
      if (m.extra?.length) return { unknown: `-m ${m.kind} ${m.extra.map((e) => e.name).join(' ')}` };
      return true;
    }
    case 'icmp': {
      if (pkt.proto !== 'icmp') return false;
      if (m.icmpType.type === 'any') return !m.icmpType.negate;
      const t = ICMP_TYPES[m.icmpType.type] ?? Number(m.icmpType.type);
      const have = ctx.ct.dir === 'ORIGINAL' ? 8 : 0;
      const hit = t === have;
      return m.icmpType.negate ? !hit : hit;
    }
    case 'icmp6':
      return false;
    case 'multiport': {
      if (pkt.proto === 'icmp') return false;
      const inList = (l: { negate: boolean; ports: { lo: number; hi: number }[] }, ports: number[]) => {
        const hit = l.ports.some((r) => ports.some((p) => p >= r.lo && p <= r.hi));
        return l.negate ? !hit : hit;
      };
      if (m.sports && !inList(m.sports, [pkt.sport])) return false;
      if (m.dports && !inList(m.dports, [pkt.dport])) return false;
      if (m.ports && !inList(m.ports, [pkt.sport, pkt.dport])) return false;
      return true;
    }
    case 'comment':
    case 'nfacct':
    case 'limit':
      return true;
    case 'mark': {
      const hit = ((pkt.mark & m.mark.mask) >>> 0) === ((m.mark.value & m.mark.mask) >>> 0);
      return m.mark.negate ? !hit : hit;
    }
    case 'connmark': {
      // Connection marks are not captured; a fresh connection has mark 0.
      const hit = (m.mark.value & m.mark.mask) >>> 0 === 0;
      return m.mark.negate ? !hit : hit;
    }
    case 'conntrack': {
      if (m.ctstate) {
        const hit = listHit(m.ctstate.values, ctStates(ctx));
        if (m.ctstate.negate ? hit : !hit) return false;
      }
      if (m.ctstatus) {
        const have = [...(ctx.ct.state === 'NEW' ? [] : ['CONFIRMED', 'SEEN_REPLY']), ...(ctx.ct.dnat ? ['DNAT'] : []), ...(ctx.ct.snat ? ['SNAT'] : [])];
        const hit = listHit(m.ctstatus.values, have);
        if (m.ctstatus.negate ? hit : !hit) return false;
      }
      if (m.ctdir && m.ctdir !== ctx.ct.dir) return false;
      if (m.ctorigdst) {
        const r = addrMatch(m.ctorigdst, ctx.ct.orig.dst);
        if (r !== true) return r;
      }
      if (m.ctorigsrc) {
        const r = addrMatch(m.ctorigsrc, ctx.ct.orig.src);
        if (r !== true) return r;
      }
      if (m.ctorigdstport && !portIn(m.ctorigdstport, ctx.ct.orig.dport)) return false;
      if (m.ctproto) {
        const hit = protoNum(m.ctproto.value) === protoNum(pkt.proto);
        if (m.ctproto.negate ? hit : !hit) return false;
      }
      if (m.ctreplsrc || m.ctrepldst || m.ctreplsrcport || m.ctrepldstport || m.ctexpire || m.ctorigsrcport) return { unknown: 'conntrack reply-tuple/expiry matches' };
      return true;
    }
    case 'state': {
      const hit = listHit(m.state.values, ctStates(ctx));
      return m.state.negate ? !hit : hit;
    }
    case 'statistic': {
      const p = m.mode === 'random' ? (m.probability ?? 1) : 1 / (m.every ?? 1);
      // `! --probability p` matches with 1-p.
      const q = m.negate ? 1 - p : p;
      if (q >= 1) return true;
      if (q <= 0) return false;
      return { probability: q };
    }
    case 'addrtype': {
      if (m.srcType) {
        const hit = listHit(m.srcType.values, addrTypeOf(ctx, pkt.src));
        if (m.srcType.negate ? hit : !hit) return false;
      }
      if (m.dstType) {
        const hit = listHit(m.dstType.values, addrTypeOf(ctx, pkt.dst));
        if (m.dstType.negate ? hit : !hit) return false;
      }
      return true;
    }
    case 'set': {
      const r = ctx.ipsetMember(m.name, m.dirs, pkt);
      if (r === null) return { unknown: `ipset ${m.name} was not captured` };
      return m.negate ? !r : r;
    }
    case 'physdev': {
      if (m.isBridged && (m.isBridged.negate ? ctx.bridged : !ctx.bridged)) return false;
      if (m.isIn && (m.isIn.negate ? ctx.physIn !== null : ctx.physIn === null)) return false;
      if (m.isOut && (m.isOut.negate ? ctx.physOut !== null : ctx.physOut === null)) return false;
      if (m.physdevIn && !ifaceMatch(m.physdevIn, ctx.physIn)) return false;
      if (m.physdevOut && !ifaceMatch(m.physdevOut, ctx.physOut)) return false;
      return true;
    }
    case 'recent': {
      // xt_recent lists are not captured: a first connection is in no list; --set/--remove always match.
      const hit = m.mode === 'set' || m.mode === 'remove';
      return m.negate ? !hit : hit;
    }
    case 'rpfilter': {
      const ok = ctx.rpfilter(m.loose);
      return m.invert ? !ok : ok;
    }
    case 'pkttype': {
      const hit = m.pktType.value.toLowerCase() === 'unicast';
      return m.pktType.negate ? !hit : hit;
    }
    case 'iprange': {
      const inRange = (r: { from: string; to: string; negate: boolean }, ip: string) => {
        const n = ipToInt(ip) ?? -1;
        const hit = n >= (ipToInt(r.from) ?? 0) && n <= (ipToInt(r.to) ?? -1);
        return r.negate ? !hit : hit;
      };
      if (m.srcRange && !inRange(m.srcRange, pkt.src)) return false;
      if (m.dstRange && !inRange(m.dstRange, pkt.dst)) return false;
      return true;
    }
    case 'owner':
    case 'mac':
    case 'socket':
    case 'devgroup':
      return { unknown: `-m ${m.kind} (state the snapshot does not carry)` };
    case 'unknown':
      return { unknown: `-m ${m.module} (not modelled)` };
  }
}

interface Frame {
  chain: IptablesChain;
  /** Next position in `order` (or in chain.rules when order is null). */
  pos: number;
  order: number[] | null;
  /** The chains a `-g` (goto) left for this one, outermost first: still on the path, though not on the stack. */
  via: readonly IptablesChain[];
}

/**
 * How many chains deep a walk may nest (jumps, plus the chains a goto left). x_tables has no fixed constant: the
 * kernel sizes a table's jump stack by its number of jump rules, and refuses loops when the table is loaded
 * (mark_source_chains). Rulesets people run nest a handful of chains (kube-proxy: PREROUTING, KUBE-SERVICES,
 * KUBE-SVC-*, KUBE-SEP-*, KUBE-MARK-MASQ; Calico about ten), so 256, 16 times nft's fixed jump stack, is far
 * past anything real while keeping each walk's stack, and the loop check over it, small.
 */
export const IPTABLES_MAX_DEPTH = 256;

/** The chains a walk is in, outermost first: each frame's goto predecessors, then its own chain. */
function pathOf(stack: Frame[]): IptablesChain[] {
  return stack.flatMap((f) => [...f.via, f.chain]);
}

interface Walk {
  pkt: NfPacket;
  weight: number;
  steps: NfStep[];
  stack: Frame[];
}

function targetText(t: IptablesTarget | null): string {
  if (!t) return 'count only';
  switch (t.kind) {
    case 'jump':
      return `jump ${t.chain}`;
    case 'goto':
      return `goto ${t.chain}`;
    case 'dnat':
      return `DNAT`;
    case 'snat':
      return 'SNAT';
    case 'mark':
      return `MARK ${t.written}`;
    case 'other':
      return t.name;
    default:
      return t.kind.toUpperCase();
  }
}

function natAddr(t: { to: { addrFrom?: string; portFrom?: number }[] }, pkt: NfPacket, which: 'dst' | 'src'): NfPacket {
  const r = t.to[0];
  if (!r) return pkt;
  const out = { ...pkt };
  if (which === 'dst') {
    if (r.addrFrom) out.dst = r.addrFrom;
    if (r.portFrom !== undefined) out.dport = r.portFrom;
  } else {
    if (r.addrFrom) out.src = r.addrFrom;
    if (r.portFrom !== undefined) out.sport = r.portFrom;
  }
  return out;
}

export class IptablesEvaluator implements NetfilterEvaluator {
  readonly backend = 'iptables' as const;
  /**
   * Always empty: what the parser could not read is told per trace, for the chains that trace reads (see
   * `enter`), so a trace names only the rules it passed and the dump's other chains are never read.
   */
  readonly warnings: string[] = [];
  private readonly indexes = new Map<IptablesChain, ChainIndex>();
  private readonly notes = new Map<IptablesChain, string[]>();
  private readonly wheres = new Map<IptablesChain, string>();
  private readonly chainsByHook = new Map<Hook, BaseChain[]>();

  constructor(
    readonly ruleset: IptablesRuleset,
    readonly label = 'iptables',
  ) {}

  baseChains(hook: Hook): BaseChain[] {
    let list = this.chainsByHook.get(hook);
    if (list) return list;
    list = [];
    for (const [tableName, table] of Object.entries(this.ruleset.tables)) {
      const prio = TABLE_PRIO[tableName]?.[hook];
      const chain = table.chains[HOOK_CHAIN[hook]];
      if (prio === undefined || !chain) continue;
      list.push({
        backend: 'iptables',
        hook,
        prio,
        name: `${tableName}/${chain.name}`,
        nat: tableName === 'nat',
        run: (ctx, pkt) => this.runBase(tableName, chain, ctx, pkt),
      });
    }
    this.chainsByHook.set(hook, list);
    return list;
  }

  /** "iptables-nft filter/KUBE-A", made once per chain: a trace may keep hundreds of thousands of steps. */
  private where(tableName: string, chain: IptablesChain): string {
    let w = this.wheres.get(chain);
    if (w === undefined) this.wheres.set(chain, (w = `${this.label} ${tableName}/${chain.name}`));
    return w;
  }

  private index(chain: IptablesChain): ChainIndex {
    let i = this.indexes.get(chain);
    if (!i) this.indexes.set(chain, (i = buildIndex(chain)));
    return i;
  }

  /**
   * The frame that walks `chain` for this packet, after telling the trace what the parser could not read in
   * it; or, when a rule of the chain cannot be read at all, why not.
   */
  private enter(chain: IptablesChain, ctx: HookContext, pkt: NfPacket): Frame | string {
    let notes = this.notes.get(chain);
    try {
      if (notes === undefined) {
        notes = chainWarnings(chain).slice(0, 20).map((w) => `iptables-save line ${w.line}: ${w.message}`);
        this.notes.set(chain, notes);
      }
      for (const n of notes) ctx.warn(n);
      return { chain, pos: 0, order: candidates(this.index(chain), chain, pkt), via: [] };
    } catch (err) {
      if (err instanceof ParseError) return `the rules of ${chain.table}/${chain.name} cannot be read: ${err.message}`;
      throw err;
    }
  }

  /**
   * Whether entering `target` from the chains of `stack` is a jump loop or nests too deep; null when neither.
   * The kernel refuses both when the table is loaded, so such a bundle's rules cannot be what ran: the path is
   * `unknown`, naming the loop.
   */
  private nestingProblem(tableName: string, stack: Frame[], target: IptablesChain): { action: string; reason: string } | null {
    const path = pathOf(stack);
    const at = path.indexOf(target);
    if (at >= 0) {
      const loop = loopText([...path.slice(at), target].map((c) => c.name));
      return { action: 'jump loop', reason: `jump loop in ${this.label} ${tableName}: ${loop} (the kernel refuses a table whose chains loop, so these rules cannot be what ran)` };
    }
    if (path.length >= IPTABLES_MAX_DEPTH) {
      return { action: 'too deep', reason: `${this.label} ${tableName}: entering ${target.name} would nest more than ${IPTABLES_MAX_DEPTH} chains deep (from ${loopText(path.map((c) => c.name))}), past what the tracer follows` };
    }
    return null;
  }

  /** Runs one table's built-in chain for one hook; returns one outcome per statistic branch. */
  runBase(tableName: string, base: IptablesChain, ctx: HookContext, pkt: NfPacket): HookOutcome[] {
    const where = `${this.label} ${tableName}/${base.name}`;
    const done: HookOutcome[] = [];
    const first = this.enter(base, ctx, pkt);
    if (typeof first === 'string') return [{ weight: 1, verdict: 'unknown', reason: first, pkt, steps: [] }];
    const budget = ctx.budget;
    const work: Walk[] = [{ pkt, weight: 1, steps: [], stack: [first] }];
    while (work.length > 0) {
      const w = work.pop()!;
      for (;;) {
        // Every rule looked at is paid for by the trace; once it is spent, this walk and every one still
        // queued end here, together, with the reason (their weights summed, so the outcomes still add up).
        const spent = budget.visit();
        if (spent !== null) {
          // One outcome for this walk and every branch still queued: a spent budget must not leave thousands.
          const weight = work.splice(0).reduce((sum, x) => sum + x.weight, w.weight);
          done.push({ weight, verdict: 'unknown', reason: spent, pkt: w.pkt, steps: w.steps });
          break;
        }
        const f = w.stack[w.stack.length - 1];
        if (!f) {
          // Fell off the built-in chain: its policy decides.
          const policy = base.policy ?? 'ACCEPT';
          if (policy === 'DROP') {
            w.steps.push({ where, action: `policy DROP of ${tableName}/${base.name}`, evidence: `:${base.name} DROP` });
            budget.keep(1);
            done.push({ weight: w.weight, verdict: 'drop', reason: `the policy of ${tableName}/${base.name} is DROP`, pkt: w.pkt, steps: w.steps });
          } else done.push({ weight: w.weight, verdict: 'accept', reason: null, pkt: w.pkt, steps: w.steps });
          break;
        }
        const n = f.order ? f.order.length : f.chain.rules.length;
        if (f.pos >= n) {
          w.stack.pop();
          continue;
        }
        const rule = f.chain.rules[f.order ? f.order[f.pos]! : f.pos]!;
        f.pos += 1;
        let matched = true;
        let prob = 1;
        let unknown: string | null = null;
        for (const m of rule.matches) {
          const r = evalMatch(m, ctx, w.pkt);
          if (r === true) continue;
          if (r === false) {
            matched = false;
            break;
          }
          if ('probability' in r) prob *= r.probability;
          else unknown = r.unknown;
        }
        if (!matched) continue;
        if (unknown !== null) {
          if (rule.target === null || rule.target.kind === 'log' || (rule.target.kind === 'other' && /^(NFLOG|TRACE|AUDIT)$/.test(rule.target.name))) continue;
          w.steps.push({ where: this.where(tableName, f.chain), action: `cannot evaluate ${unknown}`, evidence: stripCounters(rule.raw) });
          budget.keep(1);
          done.push({ weight: w.weight, verdict: 'unknown', reason: `rule needs ${unknown}: ${stripCounters(rule.raw)}`, pkt: w.pkt, steps: w.steps });
          break;
        }
        if (prob < 1) {
          // Fork: the packets that do not match continue with the next rule.
          work.push({ pkt: w.pkt, weight: w.weight * (1 - prob), steps: [...w.steps], stack: w.stack.map((x) => ({ ...x })) });
          budget.fork(w.steps.length + w.stack.length);
          w.weight *= prob;
        }
        const step: NfStep = { where: this.where(tableName, f.chain), action: targetText(rule.target), evidence: stripCounters(rule.raw) };
        w.steps.push(step);
        budget.keep(1);
        const t = rule.target;
        if (!t) continue;
        const end = (verdict: HookOutcome['verdict'], reason: string | null) => done.push({ weight: w.weight, verdict, reason, pkt: w.pkt, steps: w.steps });
        let stop = false;
        switch (t.kind) {
          case 'accept':
            end('accept', null);
            stop = true;
            break;
          case 'drop':
            end('drop', `DROP in ${tableName}/${rule.chain}`);
            stop = true;
            break;
          case 'reject':
            step.action = `REJECT${t.with ? ` --reject-with ${t.with}` : ''}`;
            end('reject', `REJECT in ${tableName}/${rule.chain}`);
            stop = true;
            break;
          case 'return':
            w.stack.pop();
            break;
          case 'jump':
          case 'goto': {
            const target = this.ruleset.tables[tableName]?.chains[t.chain];
            const bad = target ? this.nestingProblem(tableName, w.stack, target) : null;
            if (bad !== null) step.action = `${step.action}: ${bad.action}`;
            const next = !target ? `${t.kind === 'jump' ? 'jump to' : 'goto'} undefined chain ${t.chain}` : bad !== null ? bad.reason : this.enter(target, ctx, w.pkt);
            if (typeof next === 'string') {
              end('unknown', next);
              stop = true;
            } else {
              if (t.kind === 'goto') {
                // The kernel replaces the current chain (a RETURN goes back past it), but the chain is still on
                // the path: a goto loop (A -g B, B -g A) never grows the stack and must be seen all the same.
                const left = w.stack.pop()!;
                next.via = [...left.via, left.chain];
              }
              w.stack.push(next);
            }
            break;
          }
          case 'dnat':
            w.pkt = natAddr(t, w.pkt, 'dst');
            step.action = `DNAT to ${w.pkt.dst}:${w.pkt.dport}`;
            end('accept', null);
            stop = true;
            break;
          case 'snat':
            w.pkt = natAddr(t, w.pkt, 'src');
            step.action = `SNAT to ${w.pkt.src}`;
            end('accept', null);
            stop = true;
            break;
          case 'masquerade': {
            const src = ctx.masqueradeSource();
            if (!src) {
              end('drop', `MASQUERADE: ${ctx.outDev ?? 'the outgoing device'} has no IPv4 address`);
            } else {
              w.pkt = { ...w.pkt, src };
              step.action = `MASQUERADE to ${src}${t.randomFully ? ' (port randomised)' : ''}`;
              end('accept', null);
            }
            stop = true;
            break;
          }
          case 'redirect': {
            const a = ctx.inDevAddress() ?? '127.0.0.1';
            w.pkt = { ...w.pkt, dst: a, dport: t.toPorts?.from ?? w.pkt.dport };
            step.action = `REDIRECT to ${a}:${w.pkt.dport}`;
            end('accept', null);
            stop = true;
            break;
          }
          case 'mark':
            w.pkt = { ...w.pkt, mark: (((w.pkt.mark & ~t.mask) ^ t.value) >>> 0) };
            step.action = `MARK ${t.written} (mark now ${hex(w.pkt.mark)})`;
            break;
          case 'connmark':
            if (t.op === 'restore') w.pkt = { ...w.pkt, mark: (w.pkt.mark & ~(t.nfmask ?? 0xffffffff)) >>> 0 };
            break;
          case 'log':
          case 'notrack':
          case 'ct':
            break;
          case 'other':
            if (/^(NFQUEUE|QUEUE|TPROXY|TEE|SYNPROXY)$/.test(t.name)) {
              end('unknown', `target ${t.name} hands the packet to something the snapshot does not show`);
              stop = true;
            }
            break;
        }
        if (stop) break;
      }
    }
    return done;
  }
}
