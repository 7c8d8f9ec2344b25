import { parseNftRuleset, type NftChain, type NftElement, type NftExpr, type NftModel, type NftRule, type NftSet, type NftStatement } from '@patchbay/parse';
import type { NftRuleset } from '@patchbay/schema';
import { ipToInt } from '@patchbay/resolve';
import { loopText } from '../../limits.js';
import { compileCidr, hex, inCompiled, protoNum } from '../shared.js';
import type { BaseChain, Hook, HookContext, HookOutcome, NetfilterEvaluator, NfPacket, NfStep } from '../types.js';

// Evaluates nftables (`nft -j list ruleset`) the way nf_tables does: base chains by hook and priority, rules in
// order, statements left to right, verdict maps, named sets, jump/goto/return. `numgen random mod N` forks the
// walk into N equally weighted branches. Tables written by iptables-nft are skipped: the iptables evaluator
// reads them from iptables-save, so each rule is evaluated once.

type V = string | number | V[] | null;

interface Frame {
  chain: NftChain;
  pos: number;
  /** The chains a goto left for this one, outermost first: still on the path, though not on the stack. */
  via: readonly NftChain[];
}

interface Walk {
  pkt: NfPacket;
  weight: number;
  steps: NfStep[];
  stack: Frame[];
  /** Set when a verdict applied to a forked branch could not be followed (a loop, too deep): why. */
  stop?: string;
}

/**
 * How many chains a walk may enter below its base chain (jumps and gotos alike). nf_tables keeps a jump stack
 * of NFT_JUMP_STACK_SIZE (16) and refuses, when the ruleset is loaded, any loop and any nesting past it
 * (nft_chain_validate), so a deeper bundle cannot be what ran. kube-proxy's nft mode nests three.
 */
export const NFT_MAX_DEPTH = 16;

/**
 * The most branches one expression may fork into (`numgen ... mod N`, and the product over a concatenation):
 * one per endpoint of a service, so far above any real service, but a bundle's `mod 4294967295` must not
 * allocate billions of branches before the trace's budget is ever consulted.
 */
const MAX_FORK = 65_536;

const HOOKS = new Set<Hook>(['prerouting', 'input', 'forward', 'output', 'postrouting']);

function literal(v: string | number | boolean): V {
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}

/** A set element's key compared to a value (exact, prefix, range, concatenation). */
function keyMatches(key: NftExpr, v: V): boolean {
  switch (key.kind) {
    case 'value':
      return eqValue(literal(key.value), v);
    case 'prefix': {
      const c = compileCidr(`${key.addr}/${key.len}`);
      const n = typeof v === 'string' ? ipToInt(v) : null;
      return c !== null && n !== null && inCompiled(c, n);
    }
    case 'range': {
      const lo = key.from.kind === 'value' ? literal(key.from.value) : null;
      const hi = key.to.kind === 'value' ? literal(key.to.value) : null;
      const toN = (x: V) => (typeof x === 'number' ? x : typeof x === 'string' ? (ipToInt(x) ?? Number(x)) : NaN);
      return lo !== null && hi !== null && toN(v) >= toN(lo) && toN(v) <= toN(hi);
    }
    case 'concat':
      return Array.isArray(v) && v.length === key.parts.length && key.parts.every((p, i) => keyMatches(p, v[i]!));
    default:
      return false;
  }
}

function eqValue(a: V, b: V): boolean {
  if (a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => eqValue(x, b[i]!));
  if (a === b) return true;
  // Protocols and ports may be names or numbers.
  const pa = typeof a === 'string' ? protoNum(a) : a;
  const pb = typeof b === 'string' ? protoNum(b) : b;
  return pa !== -1 && pa === pb && (typeof a === 'number' || typeof b === 'number' || protoNum(String(a)) > 0);
}

function exactKey(e: NftElement): string | null {
  const k = e.key;
  if (k.kind === 'value') return String(normal(literal(k.value)));
  if (k.kind === 'concat' && k.parts.every((p) => p.kind === 'value')) return k.parts.map((p) => String(normal(literal((p as { value: string | number }).value)))).join(' . ');
  return null;
}

/** Protocol names as numbers so "tcp" and 6 index alike. */
function normal(v: V): V {
  if (typeof v === 'string') {
    const p = protoNum(v);
    if (p > 0 && !/^\d+$/.test(v) && ipToInt(v) === null) return p;
  }
  return v;
}

interface SetIndex {
  exact: Map<string, NftElement>;
  other: NftElement[];
}

export class NftEvaluator implements NetfilterEvaluator {
  readonly backend = 'nft' as const;
  readonly warnings: string[] = [];
  readonly model: NftModel | null = null;
  private readonly chainsByHook = new Map<Hook, BaseChain[]>();
  private readonly setIndex = new Map<NftSet | NftElement[], SetIndex>();

  constructor(ruleset: NftRuleset) {
    try {
      this.model = parseNftRuleset(ruleset);
      for (const w of this.model.warnings.slice(0, 20)) this.warnings.push(`nft: ${w.message}`);
    } catch (err) {
      this.warnings.push(`nft ruleset could not be parsed: ${(err as Error).message}`);
    }
  }

  get hasChains(): boolean {
    return (this.model?.tables ?? []).some((t) => t.managedBy === null && (t.family === 'ip' || t.family === 'inet') && Object.values(t.chains).some((c) => c.base));
  }

  baseChains(hook: Hook): BaseChain[] {
    let list = this.chainsByHook.get(hook);
    if (list) return list;
    list = [];
    for (const t of this.model?.tables ?? []) {
      if (t.managedBy !== null || (t.family !== 'ip' && t.family !== 'inet')) continue;
      for (const c of Object.values(t.chains)) {
        if (!c.base || c.base.hook !== hook || !HOOKS.has(hook)) continue;
        const chain = c;
        list.push({ backend: 'nft', hook, prio: c.base.prio, name: `${t.family} ${t.name}/${c.name}`, nat: c.base.type === 'nat', run: (ctx, pkt) => this.runBase(chain, ctx, pkt) });
      }
    }
    this.chainsByHook.set(hook, list);
    return list;
  }

  private table(chain: NftChain) {
    return this.model!.tables.find((t) => t.family === chain.family && t.name === chain.table)!;
  }

  private index(key: NftSet | NftElement[]): SetIndex {
    let idx = this.setIndex.get(key);
    if (idx) return idx;
    const elements = Array.isArray(key) ? key : key.elements;
    idx = { exact: new Map(), other: [] };
    for (const e of elements) {
      const k = exactKey(e);
      if (k !== null) idx.exact.set(k, e);
      else idx.other.push(e);
    }
    this.setIndex.set(key, idx);
    return idx;
  }

  private lookup(chain: NftChain, data: NftExpr, v: V): NftElement | null | undefined {
    let elements: NftSet | NftElement[] | null = null;
    if (data.kind === 'setref') elements = this.table(chain).sets[data.name.replace(/^@/, '')] ?? null;
    else if (data.kind === 'set') elements = data.elements;
    if (!elements) return undefined;
    const idx = this.index(elements);
    const k = Array.isArray(v) ? v.map((x) => String(normal(x))).join(' . ') : String(normal(v));
    return idx.exact.get(k) ?? idx.other.find((e) => keyMatches(e.key, v)) ?? null;
  }

  /** An expression's value(s): one, or several weighted ones when numgen forks. */
  private value(e: NftExpr, ctx: HookContext, pkt: NfPacket, chain: NftChain): { v: V; w: number }[] | { unknown: string } {
    switch (e.kind) {
      case 'value':
        return [{ v: literal(e.value), w: 1 }];
      case 'payload': {
        const f = e.field;
        if (e.protocol === 'ip') {
          if (f === 'saddr') return [{ v: pkt.src, w: 1 }];
          if (f === 'daddr') return [{ v: pkt.dst, w: 1 }];
          if (f === 'protocol') return [{ v: protoNum(pkt.proto), w: 1 }];
          return { unknown: `ip ${f}` };
        }
        if (e.protocol === 'th' || e.protocol === pkt.proto) {
          if (pkt.proto === 'icmp') return [{ v: null, w: 1 }];
          if (f === 'dport') return [{ v: pkt.dport, w: 1 }];
          if (f === 'sport') return [{ v: pkt.sport, w: 1 }];
          return { unknown: `${e.protocol} ${f}` };
        }
        // `tcp dport` on a UDP packet: no value, the match fails.
        if (e.protocol === 'tcp' || e.protocol === 'udp' || e.protocol === 'icmp' || e.protocol === 'sctp') return [{ v: null, w: 1 }];
        return { unknown: `payload ${e.protocol} ${f}` };
      }
      case 'meta':
        switch (e.key) {
          case 'l4proto':
          case 'protocol':
            return [{ v: e.key === 'protocol' ? 'ip' : protoNum(pkt.proto), w: 1 }];
          case 'mark':
            return [{ v: pkt.mark, w: 1 }];
          case 'iifname':
          case 'iif':
            return [{ v: ctx.inDev, w: 1 }];
          case 'oifname':
          case 'oif':
            return [{ v: ctx.outDev, w: 1 }];
          case 'nfproto':
            return [{ v: 'ipv4', w: 1 }];
          case 'pkttype':
            return [{ v: 'host', w: 1 }];
          default:
            return { unknown: `meta ${e.key}` };
        }
      case 'ct':
        if (e.key === 'state') return [{ v: ctx.ct.state.toLowerCase(), w: 1 }];
        if (e.key === 'status') return [{ v: [ctx.ct.dnat ? 'dnat' : '', ctx.ct.snat ? 'snat' : ''].filter(Boolean).join(',') || 'none', w: 1 }];
        if (e.key === 'mark') return [{ v: 0, w: 1 }];
        if (e.key === 'direction') return [{ v: ctx.ct.dir === 'ORIGINAL' ? 'original' : 'reply', w: 1 }];
        return { unknown: `ct ${e.key}` };
      case 'fib': {
        if (e.result !== 'type') return { unknown: `fib ${e.flags.join(' ')} ${e.result}` };
        const ip = e.flags.includes('saddr') ? pkt.src : pkt.dst;
        const n = ipToInt(ip) ?? 0;
        return [{ v: ctx.isLocal(ip) ? 'local' : n >>> 28 === 14 ? 'multicast' : 'unicast', w: 1 }];
      }
      case 'numgen':
        if (e.mode !== 'random' && e.mode !== 'inc') return { unknown: `numgen ${e.mode}` };
        if (!Number.isInteger(e.mod) || e.mod < 1 || e.mod > MAX_FORK) return { unknown: `numgen mod ${e.mod} (the tracer follows 1 to ${MAX_FORK} branches)` };
        return Array.from({ length: e.mod }, (_, i) => ({ v: i + e.offset, w: 1 / e.mod }));
      case 'concat': {
        let acc: { v: V[]; w: number }[] = [{ v: [], w: 1 }];
        for (const p of e.parts) {
          const r = this.value(p, ctx, pkt, chain);
          if (!Array.isArray(r)) return r;
          if (acc.length * r.length > MAX_FORK) return { unknown: `a concatenation forking into ${acc.length * r.length} branches (the tracer follows up to ${MAX_FORK})` };
          acc = acc.flatMap((a) => r.map((x) => ({ v: [...a.v, x.v], w: a.w * x.w })));
        }
        return acc;
      }
      case 'binop': {
        const l = this.value(e.left, ctx, pkt, chain);
        const r = this.value(e.right, ctx, pkt, chain);
        if (!Array.isArray(l)) return l;
        if (!Array.isArray(r)) return r;
        const a = Number(l[0]!.v);
        const b = Number(r[0]!.v);
        const out = e.op === '&' ? a & b : e.op === '|' ? a | b : e.op === '^' ? a ^ b : e.op === '<<' ? a << b : a >>> b;
        return [{ v: out >>> 0, w: 1 }];
      }
      case 'map': {
        const keys = this.value(e.key, ctx, pkt, chain);
        if (!Array.isArray(keys)) return keys;
        const out: { v: V; w: number }[] = [];
        for (const k of keys) {
          const el = this.lookup(chain, e.data, k.v);
          if (el === undefined) return { unknown: 'map lookup in an unknown set' };
          if (!el?.value) continue;
          const val = el.value.kind === 'concat' ? el.value.parts.map((p) => (p.kind === 'value' ? literal(p.value) : null)) : el.value.kind === 'value' ? literal(el.value.value) : null;
          out.push({ v: val, w: k.w });
        }
        return out;
      }
      default:
        return { unknown: `expression ${e.kind}` };
    }
  }

  private test(op: string, left: V, right: NftExpr, ctx: HookContext, pkt: NfPacket, chain: NftChain): boolean | { unknown: string } {
    let hit: boolean;
    if (right.kind === 'setref' || right.kind === 'set') {
      const el = this.lookup(chain, right, left);
      if (el === undefined) return { unknown: `set ${right.kind === 'setref' ? right.name : '{…}'}` };
      hit = el !== null;
    } else if (right.kind === 'value' || right.kind === 'prefix' || right.kind === 'range' || right.kind === 'concat') {
      if (op === 'in' && typeof left === 'string' && right.kind === 'value') {
        // Flag sets (ct state new,established): the left value is one flag.
        hit = String(right.value).split(',').map((x) => x.trim()).includes(left);
      } else if (op === '<' || op === '>' || op === '<=' || op === '>=') {
        const r = right.kind === 'value' ? Number(literal(right.value)) : NaN;
        const l = Number(left);
        return op === '<' ? l < r : op === '>' ? l > r : op === '<=' ? l <= r : l >= r;
      } else hit = keyMatches(right, left);
    } else {
      const r = this.value(right, ctx, pkt, chain);
      if (!Array.isArray(r)) return r;
      hit = eqValue(left, r[0]!.v);
    }
    return op === '!=' ? !hit : hit;
  }

  runBase(base: NftChain, ctx: HookContext, pkt: NfPacket): HookOutcome[] {
    const done: HookOutcome[] = [];
    const budget = ctx.budget;
    const work: Walk[] = [{ pkt, weight: 1, steps: [], stack: [{ chain: base, pos: 0, via: [] }] }];
    while (work.length > 0) {
      const w = work.pop()!;
      const end = (verdict: HookOutcome['verdict'], reason: string | null) => done.push({ weight: w.weight, verdict, reason, pkt: w.pkt, steps: w.steps });
      if (w.stop !== undefined) {
        end('unknown', w.stop);
        continue;
      }
      outer: for (;;) {
        // Every rule looked at is paid for by the trace; once it is spent, this walk and every one still
        // queued end here, together, with the reason (their weights summed, so the outcomes still add up).
        const spent = budget.visit();
        if (spent !== null) {
          // One outcome for this walk and every branch still queued: a spent budget must not leave thousands.
          w.weight = work.splice(0).reduce((sum, x) => sum + x.weight, w.weight);
          end('unknown', spent);
          break;
        }
        const f = w.stack[w.stack.length - 1];
        if (!f) {
          const policy = base.base?.policy ?? 'accept';
          if (policy === 'drop') {
            w.steps.push({ where: this.where(base), action: 'policy drop', evidence: `chain ${base.name} { policy drop; }` });
            end('drop', `the policy of nft chain ${base.name} is drop`);
          } else end('accept', null);
          break;
        }
        if (f.pos >= f.chain.rules.length) {
          w.stack.pop();
          continue;
        }
        const rule = f.chain.rules[f.pos]!;
        f.pos += 1;
        // Statements left to right; a failed match ends the rule.
        const kept = w.steps.length;
        const r = this.runRule(rule, f.chain, ctx, w);
        budget.keep(w.steps.length - kept);
        if (r.kind === 'nomatch') continue;
        if (r.kind === 'fork') {
          for (const b of r.branches) {
            budget.fork(b.steps.length + b.stack.length);
            work.push(b);
          }
          break;
        }
        if (r.kind === 'unknown') {
          end('unknown', r.reason);
          break;
        }
        if (r.kind === 'continue') continue;
        switch (r.kind) {
          case 'accept':
            end('accept', null);
            break outer;
          case 'drop':
            end('drop', `drop in ${this.where(f.chain)}`);
            break outer;
          case 'reject':
            end('reject', `reject in ${this.where(f.chain)}`);
            break outer;
          case 'return':
            w.stack.pop();
            continue;
          case 'jump':
          case 'goto': {
            const bad = this.enterChain(w, r.kind, r.target, f.chain);
            if (bad !== null) {
              end('unknown', bad);
              break outer;
            }
            continue;
          }
        }
      }
    }
    return done;
  }

  /**
   * Enters `target` by a jump or goto from `from`, or says why not: an undefined chain, a loop (the target is
   * already on the path), or nesting past NFT_MAX_DEPTH. The kernel refuses the last two when the ruleset is
   * loaded, so such a bundle's rules cannot be what ran.
   */
  private enterChain(w: Walk, verb: 'jump' | 'goto', name: string, from: NftChain): string | null {
    const target = this.table(from).chains[name];
    if (!target) return `${verb} to undefined nft chain ${name}`;
    const path = w.stack.flatMap((x) => [...x.via, x.chain]);
    const at = path.indexOf(target);
    if (at >= 0) {
      const loop = loopText([...path.slice(at), target].map((c) => c.name));
      return `jump loop in nft ${from.family} ${from.table}: ${loop} (the kernel refuses a ruleset whose chains loop, so these rules cannot be what ran)`;
    }
    if (path.length > NFT_MAX_DEPTH) {
      return `nft ${from.family} ${from.table}: entering ${target.name} would nest more than ${NFT_MAX_DEPTH} chains below the base chain (from ${loopText(path.map((c) => c.name))}); the kernel refuses such a ruleset`;
    }
    let via: readonly NftChain[] = [];
    if (verb === 'goto') {
      // Replaces the current chain on the stack (a return goes back past it), but the chain stays on the path:
      // a goto loop (a goto b, b goto a) never grows the stack and must be seen all the same.
      const left = w.stack.pop();
      if (left) via = [...left.via, left.chain];
    }
    w.stack.push({ chain: target, pos: 0, via });
    return null;
  }

  private where(chain: NftChain): string {
    return `nft ${chain.family} ${chain.table}/${chain.name}`;
  }

  /**
   * Runs one rule's statements on a walk. Returns what the rule decided; a numgen fork returns the branches
   * (each already past this rule's verdict, with the verdict applied by re-running the rule per branch).
   */
  private runRule(
    rule: NftRule,
    chain: NftChain,
    ctx: HookContext,
    w: Walk,
  ):
    | { kind: 'nomatch' | 'continue' | 'accept' | 'drop' | 'reject' | 'return' }
    | { kind: 'jump' | 'goto'; target: string }
    | { kind: 'fork'; branches: Walk[] }
    | { kind: 'unknown'; reason: string } {
    const step: NfStep = { where: this.where(chain), action: '', evidence: rule.evidence.text };
    // A `counter` statement counts every packet that reaches it, even when a later match or lookup fails: such
    // rules are hops too (their counters move), marked as not matching.
    let counted = false;
    const noMatch = (why: string): { kind: 'nomatch' } => {
      if (counted) w.steps.push({ ...step, action: `counted, then ${why}` });
      return { kind: 'nomatch' };
    };
    const verdictOf = (v: NftExpr | undefined) => {
      if (!v || v.kind !== 'verdict') return null;
      return v;
    };
    for (let i = 0; i < rule.statements.length; i++) {
      const s: NftStatement = rule.statements[i]!;
      switch (s.kind) {
        case 'match': {
          const left = this.value(s.left, ctx, w.pkt, chain);
          if (!Array.isArray(left)) return { kind: 'unknown', reason: `cannot evaluate ${left.unknown}: ${rule.evidence.text}` };
          if (left.length > 1) return { kind: 'unknown', reason: `a forking match: ${rule.evidence.text}` };
          const t = this.test(s.op, left[0]!.v, s.right, ctx, w.pkt, chain);
          if (t === false) return noMatch('no match');
          if (t !== true) return { kind: 'unknown', reason: `cannot evaluate ${t.unknown}: ${rule.evidence.text}` };
          break;
        }
        case 'vmap': {
          const keys = this.value(s.key, ctx, w.pkt, chain);
          if (!Array.isArray(keys)) return { kind: 'unknown', reason: `cannot evaluate ${keys.unknown}: ${rule.evidence.text}` };
          if (keys.length > 1) {
            // numgen: one branch per value, each continuing as if the vmap had chosen it.
            const branches: Walk[] = [];
            for (const k of keys) {
              const el = this.lookup(chain, s.data, k.v);
              const v = verdictOf(el?.value);
              if (!v) continue;
              const b: Walk = { pkt: { ...w.pkt }, weight: w.weight * k.w, steps: [...w.steps, { ...step, action: `vmap ${String(k.v)} -> ${v.verdict}${v.target ? ` ${v.target}` : ''}` }], stack: w.stack.map((x) => ({ ...x })) };
              this.applyVerdict(b, v, chain);
              branches.push(b);
            }
            return { kind: 'fork', branches };
          }
          const el = this.lookup(chain, s.data, keys[0]!.v);
          if (el === undefined) return { kind: 'unknown', reason: `vmap over an unknown set: ${rule.evidence.text}` };
          const v = verdictOf(el?.value ?? undefined);
          if (!v) return noMatch(`no element for ${JSON.stringify(keys[0]!.v)}`);
          step.action = `vmap -> ${v.verdict}${v.target ? ` ${v.target}` : ''}`;
          w.steps.push(step);
          return v.verdict === 'jump' || v.verdict === 'goto' ? { kind: v.verdict, target: v.target ?? '' } : { kind: v.verdict === 'continue' ? 'continue' : v.verdict };
        }
        case 'dnat':
        case 'snat': {
          const addr = s.addr ? this.value(s.addr, ctx, w.pkt, chain) : [{ v: null as V, w: 1 }];
          if (!Array.isArray(addr)) return { kind: 'unknown', reason: `cannot evaluate ${addr.unknown}: ${rule.evidence.text}` };
          const port = s.port ? this.value(s.port, ctx, w.pkt, chain) : [{ v: null as V, w: 1 }];
          if (!Array.isArray(port)) return { kind: 'unknown', reason: `cannot evaluate ${port.unknown}: ${rule.evidence.text}` };
          const apply = (b: Walk, a: V, p: V) => {
            let ip = a;
            let pt = p;
            if (Array.isArray(a)) [ip, pt] = [a[0] ?? null, a[1] ?? pt];
            const pkt = { ...b.pkt };
            if (s.kind === 'dnat') {
              if (typeof ip === 'string') pkt.dst = ip;
              if (typeof pt === 'number') pkt.dport = pt;
            } else {
              if (typeof ip === 'string') pkt.src = ip;
              if (typeof pt === 'number') pkt.sport = pt;
            }
            b.pkt = pkt;
            b.steps.push({ ...step, action: s.kind === 'dnat' ? `dnat to ${pkt.dst}:${pkt.dport}` : `snat to ${pkt.src}` });
          };
          if (addr.length > 1) {
            return {
              kind: 'fork',
              branches: addr.map((a) => {
                const b: Walk = { pkt: { ...w.pkt }, weight: w.weight * a.w, steps: [...w.steps], stack: [] };
                apply(b, a.v, port[0]!.v);
                // NAT ends the nat chain: accept.
                b.stack = [];
                return b;
              }),
            };
          }
          apply(w, addr[0]!.v, port[0]!.v);
          return { kind: 'accept' };
        }
        case 'masquerade': {
          const src = ctx.masqueradeSource();
          if (!src) return { kind: 'drop' };
          w.pkt = { ...w.pkt, src };
          w.steps.push({ ...step, action: `masquerade to ${src}` });
          return { kind: 'accept' };
        }
        case 'redirect': {
          const a = ctx.inDevAddress() ?? '127.0.0.1';
          w.pkt = { ...w.pkt, dst: a };
          w.steps.push({ ...step, action: `redirect to ${a}` });
          return { kind: 'accept' };
        }
        case 'mangle': {
          if (s.key.kind === 'meta' && s.key.key === 'mark') {
            const v = this.value(s.value, ctx, w.pkt, chain);
            if (!Array.isArray(v)) return { kind: 'unknown', reason: `cannot evaluate ${v.unknown}: ${rule.evidence.text}` };
            w.pkt = { ...w.pkt, mark: Number(v[0]!.v) >>> 0 };
            step.action = `mark set ${hex(w.pkt.mark)}`;
            break;
          }
          if (s.key.kind === 'ct') break;
          return { kind: 'unknown', reason: `cannot evaluate mangle: ${rule.evidence.text}` };
        }
        case 'accept':
        case 'drop':
        case 'return':
        case 'continue':
          step.action ||= s.kind;
          w.steps.push(step);
          return { kind: s.kind };
        case 'reject':
          step.action = 'reject';
          w.steps.push(step);
          return { kind: 'reject' };
        case 'jump':
        case 'goto':
          step.action ||= `${s.kind} ${s.target}`;
          w.steps.push(step);
          return { kind: s.kind, target: s.target };
        case 'counter':
          counted = true;
          break;
        case 'setop':
        case 'log':
        case 'limit':
        case 'notrack':
          break;
        case 'xt':
          return { kind: 'unknown', reason: `iptables extension ${s.name} inside nft: ${rule.evidence.text}` };
        case 'unknown':
          return { kind: 'unknown', reason: `statement ${s.name}: ${rule.evidence.text}` };
      }
    }
    // All statements passed without a verdict: the rule matched and the chain continues.
    if (step.action) w.steps.push(step);
    else w.steps.push({ ...step, action: 'matched' });
    return { kind: 'continue' };
  }

  private applyVerdict(b: Walk, v: { verdict: string; target?: string }, chain: NftChain): void {
    const top = b.stack[b.stack.length - 1];
    if (!top) return;
    if (v.verdict === 'jump' || v.verdict === 'goto') {
      const bad = this.enterChain(b, v.verdict, v.target ?? '', chain);
      if (bad !== null) b.stop = bad;
    } else if (v.verdict === 'return') b.stack.pop();
    else if (v.verdict === 'accept') b.stack.length = 0;
  }
}
