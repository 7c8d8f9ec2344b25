// iptables-save (and ip6tables-save, -c or not) text to the rule model. One pass over lines indexes the dump:
// tables, chain declarations, and for every rule line its chain, counters and place. Structural damage (no
// table, no COMMIT, -A to an undeclared chain, an unterminated quote, bad counters) always throws ParseError
// with the line at once. A rule's words are read left to right into matches and a target either in that same
// pass (`strict`, or a dump without a header) or, for a lenient parse of a dump whose header names its writer,
// when its chain's rules are first read (see ChainBodies). Unknown options, modules and targets are warnings
// unless `strict`.

import { ParseError, WarningSink, type ParseWarning } from '../errors.js';
import { normaliseProto } from '../net.js';
import { ChainIndex } from './chainIndex.js';
import { DumpChain, type ChainBodyReader } from './dumpChain.js';
import { InternTable, LineCursor } from './lineCursor.js';
import type { IptablesParseCache } from './parseCache.js';
import { RuleIndex } from './ruleIndex.js';
import { SegmentCache } from './segmentCache.js';
import type { SliceMap } from './sliceMap.js';
import { buildMatch, knownMatchWords, moduleArity, parseAddr, parseIface, type BuildContext } from './matches.js';
import { NO_OPTIONS, internWords, internedWord, isRuleLevel, readOptions, type RawOption } from './options.js';
import { MODELLED_TARGETS, buildTarget, knownTargetWords, targetArityOf } from './targets.js';
import { TokenizeError } from './tokenize.js';
import type { Counters, DanglingJump, IptablesChain, IptablesMatch, IptablesRule, IptablesRuleset, IptablesTable, IptablesTarget, ParseIptablesOptions } from './types.js';

const BUILTIN_CHAINS: Record<string, readonly string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** The implicit module `-p tcp --dport 80` loads when no `-m tcp` is written. */
const IMPLICIT_MODULE: Record<string, string> = { tcp: 'tcp', udp: 'udp', sctp: 'sctp', icmp: 'icmp', 'ipv6-icmp': 'icmp6', udplite: 'udplite', dccp: 'dccp' };

interface OpenTable {
  table: IptablesTable;
  chains: ChainIndex;
  /** Targets read in this table (a name may be a chain in one table and an extension target in another). */
  targets: SegmentCache<IptablesTarget>;
  /** This table's targets in the cross-parse cache. */
  persistentTargets: SliceMap<IptablesTarget> | null;
  /** Read at once: each chain's rule origin, by ordinal, built with the origin known when it was declared. */
  origins: string[];
  /** That origin's prefix ("iptables-save v4 nft"); the rules are fixed up at the end if it turns out wrong. */
  originPrefix: string;
  /** "<originPrefix> / <table> / ", flat, once per table: each chain's origin is this joined to its name. */
  chainPrefix: string;
}

export function parseIptablesSave(text: string, options: ParseIptablesOptions = {}): IptablesRuleset {
  try {
    return readDump(text, options);
  } finally {
    clearScratch();
  }
}

/** The warnings of each chain's rules, as they were read (a chain without any has no entry). */
const warningsByChain = new WeakMap<IptablesChain, ParseWarning[]>();

/**
 * The warnings of one chain's rules, in line order (reads the rules if they were not read yet, and so may throw
 * the ParseError of a rule that cannot be read). Jumps to chains that do not exist are not among them; they
 * are in the ruleset's `danglingJumps`. A chain that did not come from parseIptablesSave has none.
 */
export function chainWarnings(chain: IptablesChain): readonly ParseWarning[] {
  void chain.rules;
  return warningsByChain.get(chain) ?? NO_WARNINGS;
}

const NO_WARNINGS: readonly ParseWarning[] = Object.freeze([]);

function readDump(text: string, opts: ParseIptablesOptions): IptablesRuleset {
  if (typeof text !== 'string') throw new ParseError(0, 'iptables-save input must be a string', typeof text);
  const sink = new WarningSink(opts.strict === true);
  const tables: Record<string, IptablesTable> = Object.create(null) as Record<string, IptablesTable>;
  let tool = 'iptables-save';
  let family: 'ipv4' | 'ipv6' | null = opts.family ?? null;
  let backend: 'nft' | 'legacy' | null = null;
  let version: string | null = null;
  let headerSeen = false;
  let open: OpenTable | null = null;
  let lineNo = 0;

  const ctx = new RuleContext(sink);
  const cur = new LineCursor();
  const shared = new Shared(opts.cache ?? null);
  // Decided at the first table. Lazily only when every rule's origin and the family are known before any rule
  // is read: from the header, or from the caller. Without them the addresses tell the family, so every rule
  // is read now; `strict` reads every rule now so that the first problem throws from this call.
  let bodies: ChainBodies | null = null;
  let decided = false;
  let lastChain: DumpChain | null = null;
  let lastOrigin = '';
  let lastOrdinal = -1;
  // Read at once: the current chain's rules collect here and are copied out once, at exact size, when the
  // chain changes (iptables-save writes a chain's rules together): no half-empty growth arrays per chain. A
  // chain written in pieces (restore-format input interleaves them) grows by push, not by a copy per piece.
  // Counted, not emptied with `length = 0`: that gives the array's store back, and every chain regrew it.
  const pending: IptablesRule[] = [];
  let pendingCount = 0;
  const flush = (): void => {
    if (lastChain !== null && pendingCount > 0) {
      const had = lastChain.rules;
      if (had.length === 0) lastChain.rules = pending.slice(0, pendingCount);
      else for (let i = 0; i < pendingCount; i++) had.push(pending[i]!);
      pendingCount = 0;
    }
  };
  // Kept past COMMIT for the origin fix-up, the jump check and the lazy reads.
  const indexes: OpenTable[] = [];
  const originNow = (): string => opts.origin ?? `${tool} ${family === 'ipv6' ? 'v6' : 'v4'}${backend ? ` ${backend}` : ''}`;

  // Lines are found in place rather than split out, so the rule reader can read the flat text itself.
  const special = new SpecialChars(text);
  let nextStart = 0;
  let lastStart = 0;
  let lastEnd = 0;
  while (nextStart < text.length) {
    const lineStart = nextStart;
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = text.length;
    nextStart = lineEnd + 1;
    lineNo++;
    if (lineEnd > lineStart && text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
    if (lineEnd === lineStart) continue;
    lastStart = lineStart;
    lastEnd = lineEnd;
    const c0 = text.charCodeAt(lineStart);
    if (c0 === 58 /* : */) {
      if (!open) throw new ParseError(lineNo, 'chain declared before any table (*filter, *nat, ...)', text.slice(lineStart, lineEnd));
      declareChain(open, text, lineStart, lineEnd, lineNo, shared, bodies);
      continue;
    }

    if (c0 === 91 /* [ */ || c0 === 45 /* - */) {
      let counters: Counters | null = null;
      let at = lineStart;
      if (c0 === 91) {
        let close = text.indexOf(']', lineStart);
        if (close >= lineEnd) close = -1;
        counters = prefixCounters(text, lineStart, lineEnd, close, lineNo, shared);
        at = close + 1;
        while (at < lineEnd && text.charCodeAt(at) === 32) at++;
      }
      if (text.startsWith('-A ', at) || text.startsWith('-I ', at) || text.startsWith('--append ', at)) {
        if (!open) throw new ParseError(lineNo, 'rule before any table (*filter, *nat, ...)', text.slice(lineStart, lineEnd));
        // A lazy index reads a plain line (most are) in place; a rule read now keeps its line as `raw`.
        let line = '';
        if (bodies !== null && special.plain(lineStart, lineEnd)) cur.resetInPlace(text, at, lineEnd);
        else {
          line = text.slice(lineStart, lineEnd);
          try {
            cur.reset(line, at - lineStart, text, lineStart);
          } catch (e) {
            if (e instanceof TokenizeError) throw new ParseError(lineNo, e.message, line);
            throw e;
          }
        }
        cur.next(); // -A
        if (!cur.next()) throw new ParseError(lineNo, '-A without a chain name', text.slice(lineStart, lineEnd));
        // iptables-save writes a chain's rules together, so the previous rule's chain is almost always the one.
        let chain: DumpChain | null = lastChain;
        if (!chain || !cur.is(chain.name)) {
          flush();
          const ordinal = cur.findChain(open.chains, lastOrdinal);
          if (ordinal < 0) throw new ParseError(lineNo, `-A to undeclared chain ${cur.value()} in table ${open.table.name}`, text.slice(lineStart, lineEnd));
          chain = open.chains.chain(ordinal);
          lastOrigin = bodies === null ? open.origins[ordinal]! : '';
          lastOrdinal = ordinal;
        }
        lastChain = chain;
        if (bodies !== null) {
          chain.link(bodies.index.add(lineStart, lineEnd, lineNo, at - lineStart), bodies.index);
          continue;
        }
        ctx.line = lineNo;
        ctx.raw = line;
        ctx.chain = chain;
        pending[pendingCount] = parseRule(cur, ctx, open, chain, counters, shared, chain.rules.length + pendingCount, lastOrigin);
        pendingCount++;
        continue;
      }
      throw new ParseError(lineNo, 'not an iptables-save line', text.slice(lineStart, lineEnd));
    }

    const line = text.slice(lineStart, lineEnd);
    if (c0 === 35 /* # */) {
      // "# Generated by iptables-save v1.8.9 (nf_tables) on ..." / "(legacy)"
      if (line.startsWith('# Generated by ')) {
        const m = /^# Generated by (ip6?tables)(?:-(?:nft|legacy))?-save v(\S+)(?: \((nf_tables|legacy)\))?/.exec(line);
        if (m) {
          headerSeen = true;
          tool = `${m[1]!}-save`;
          version = m[2]!;
          if (m[3]) backend = m[3] === 'nf_tables' ? 'nft' : 'legacy';
          // The writer says the family: iptables-save dumps IPv4 rules, ip6tables-save IPv6.
          if (!opts.family) family = m[1] === 'ip6tables' ? 'ipv6' : 'ipv4';
        }
      }
      continue;
    }

    if (c0 === 42 /* * */) {
      const name = line.slice(1).trim();
      if (open) throw new ParseError(lineNo, `table ${name} starts before COMMIT of table ${open.table.name}`, line);
      if (name === '' || /\s/.test(name)) throw new ParseError(lineNo, 'bad table header', line);
      if (tables[name]) throw new ParseError(lineNo, `table ${name} appears twice`, line);
      if (!BUILTIN_CHAINS[name]) sink.warn(lineNo, `unknown table ${name}`);
      if (!decided) {
        decided = true;
        const known = headerSeen || (opts.origin !== undefined && opts.family !== undefined);
        // About one rule per 100 bytes of dump.
        if (opts.strict !== true && known) bodies = new ChainBodies(text, new RuleIndex((text.length / 100) | 0), shared, sink, ctx, cur);
      }
      const table: IptablesTable = { name, line: lineNo, chains: Object.create(null) as Record<string, IptablesChain> };
      tables[name] = table;
      const originPrefix = originNow();
      open = {
        table,
        chains: new ChainIndex(),
        targets: new SegmentCache(),
        persistentTargets: shared.persistent?.targetsOf(name) ?? null,
        origins: [],
        originPrefix,
        chainPrefix: [originPrefix, name, ''].join(' / '),
      };
      indexes.push(open);
      shared.useTable(open);
      bodies?.tables.set(name, open);
      flush();
      lastChain = null;
      lastOrdinal = -1;
      continue;
    }

    if (line === 'COMMIT') {
      flush();
      if (!open) throw new ParseError(lineNo, 'COMMIT outside a table', line);
      open = null;
      continue;
    }

    throw new ParseError(lineNo, 'not an iptables-save line', line);
  }
  if (open) throw new ParseError(lineNo, `input ends inside table ${open.table.name} (missing COMMIT; truncated dump?)`, text.slice(lastStart, lastEnd));

  if (bodies !== null) {
    bodies.origin = originNow();
    return bodies.ruleset({ family: family ?? 'ipv4', backend, version, origin: bodies.origin, tables, warnings: [], danglingJumps: [] });
  }

  // Without a header, the addresses tell the family (checked once per distinct -s/-d segment).
  if (!family) family = shared.sawV6 && !shared.sawV4 ? 'ipv6' : 'ipv4';
  if (family === 'ipv6' && !headerSeen && shared.sawV6 && !shared.sawV4) tool = 'ip6tables-save';
  const origin = originNow();
  for (const t of indexes) {
    // Only a dump whose header came late or not at all (the family then told by its addresses) gets here.
    if (t.originPrefix === origin) continue;
    const prefix = [origin, t.table.name, ''].join(' / ');
    for (let k = 0; k < t.chains.count; k++) {
      const chain = t.chains.chain(k);
      const o = prefix + chain.name;
      const rules = chain.rules;
      for (let i = 0; i < rules.length; i++) rules[i]!.origin = o;
    }
  }
  const dangling = danglingOf(shared, indexes);
  for (const d of dangling) sink.warn(d.line, `jump from ${d.table}/${d.chain} to undefined chain ${d.target}`);
  return { family, backend, version, origin, tables, warnings: sink.warnings, danglingJumps: dangling };
}

/** The jumps recorded as dangling, less those naming a chain declared after them (only a hand-written dump). */
function danglingOf(shared: Shared, indexes: readonly OpenTable[]): DanglingJump[] {
  return shared.dangling.filter((d) => indexes.find((t) => t.table.name === d.table)!.chains.indexOf(d.target, 0, d.target.length) < 0);
}

/** The `[packets:bytes]` prefix of the rule line text[lineStart, lineEnd); `close` is where its "]" is, or -1. */
function prefixCounters(text: string, lineStart: number, lineEnd: number, close: number, lineNo: number, shared: Shared): Counters {
  let counters = close > lineStart ? (shared.counters.lookup(text, lineStart, close) ?? null) : null;
  if (counters === null) {
    counters = close > lineStart ? parseCounters(text.slice(lineStart + 1, close)) : null;
    if (!counters) throw new ParseError(lineNo, 'bad [packets:bytes] counter prefix', text.slice(lineStart, lineEnd));
    shared.counters.store(text, lineStart, close, counters);
  }
  return counters;
}

/**
 * Tells whether a line holds a quote, a backslash or a tab, by where each next occurs in the dump: each is
 * looked for again only once the lines have passed it, so the dump is searched about once for each.
 */
class SpecialChars {
  private backslash = -1;
  private tab = -1;
  private dquote = -1;
  private squote = -1;

  constructor(private readonly text: string) {}

  plain(start: number, end: number): boolean {
    if (this.backslash < start) this.backslash = this.find('\\', start);
    if (this.tab < start) this.tab = this.find('\t', start);
    if (this.dquote < start) this.dquote = this.find('"', start);
    if (this.squote < start) this.squote = this.find("'", start);
    return this.backslash >= end && this.tab >= end && this.dquote >= end && this.squote >= end;
  }

  private find(c: string, from: number): number {
    const at = this.text.indexOf(c, from);
    return at < 0 ? this.text.length : at;
  }
}

/**
 * Builds the rules of one chain of an indexed dump when they are first read, from the rule lines the index
 * linked to it, with the same reader and sharing caches as a parse that reads them at once. A problem in a
 * rule is thrown then, as a ParseError naming its line; warnings join the ruleset's, which reads every chain
 * when they (or the dangling jumps) are asked for.
 */
class ChainBodies implements ChainBodyReader {
  /** The ruleset's origin prefix, final once the whole dump is indexed. */
  origin = '';
  /** The dump's tables by name, in dump order. */
  readonly tables = new Map<string, OpenTable>();

  constructor(
    private readonly text: string,
    readonly index: RuleIndex,
    private readonly shared: Shared,
    private readonly sink: WarningSink,
    private readonly ctx: RuleContext,
    private readonly cur: LineCursor,
  ) {}

  read(chain: DumpChain, first: number, count: number): IptablesRule[] {
    const open = this.tables.get(chain.table)!;
    const { text, index, shared, ctx, cur } = this;
    shared.useTable(open);
    const origin = `${this.origin} / ${chain.table} / ${chain.name}`;
    const rules = new Array<IptablesRule>(count);
    const warned = this.sink.warnings.length;
    try {
      for (let i = 0, id = first; i < count; i++, id = index.next[id]!) {
        const lineStart = index.start[id]!;
        const lineEnd = index.end[id]!;
        const line = text.slice(lineStart, lineEnd);
        const lineNo = index.line[id]!;
        const counters = line.charCodeAt(0) === 91 ? prefixCounters(text, lineStart, lineEnd, lineStart + line.indexOf(']'), lineNo, shared) : null;
        cur.reset(line, index.body[id]!, text, lineStart);
        cur.next(); // -A
        cur.next(); // the chain
        ctx.line = lineNo;
        ctx.raw = line;
        ctx.chain = chain;
        rules[i] = parseRule(cur, ctx, open, chain, counters, shared, i, origin);
      }
    } catch (e) {
      // Read again next time, from the start: the warnings of this attempt would come twice.
      this.sink.warnings.length = warned;
      warningsByChain.delete(chain);
      throw e;
    } finally {
      clearScratch();
    }
    return rules;
  }

  /** The ruleset, its warnings and dangling jumps read (every chain's rules) when first asked for. */
  ruleset(base: IptablesRuleset): IptablesRuleset {
    const sink = this.sink;
    const indexes = [...this.tables.values()];
    let done: { warnings: ParseWarning[]; dangling: DanglingJump[] } | null = null;
    const complete = (): { warnings: ParseWarning[]; dangling: DanglingJump[] } => {
      if (done !== null) return done;
      for (const t of indexes) for (let k = 0; k < t.chains.count; k++) void t.chains.chain(k).rules;
      // Chains read in any order leave their warnings in that order: back to line order (a stable sort), then
      // the jump findings, as a parse that reads every rule at once gives them.
      sink.warnings.sort((a, b) => a.line - b.line);
      const dangling = danglingOf(this.shared, indexes).sort((a, b) => a.line - b.line);
      for (const d of dangling) sink.warn(d.line, `jump from ${d.table}/${d.chain} to undefined chain ${d.target}`);
      done = { warnings: sink.warnings, dangling };
      return done;
    };
    Object.defineProperty(base, 'warnings', { enumerable: true, configurable: true, get: () => complete().warnings });
    Object.defineProperty(base, 'danglingJumps', { enumerable: true, configurable: true, get: () => complete().dangling });
    return base;
  }
}

function parseCounters(text: string): Counters | null {
  const colon = text.indexOf(':');
  if (colon <= 0) return null;
  const p = Number(text.slice(0, colon));
  const b = Number(text.slice(colon + 1));
  if (!Number.isInteger(p) || !Number.isInteger(b) || p < 0 || b < 0 || colon === text.length - 1) return null;
  return [p, b];
}

/** ":NAME POLICY [p:b]" at text[start, end); POLICY is "-" for user chains. */
function declareChain(open: OpenTable, text: string, start: number, end: number, lineNo: number, shared: Shared, bodies: ChainBodies | null): void {
  let sp1 = text.indexOf(' ', start);
  if (sp1 < 0 || sp1 > end) sp1 = -1;
  let sp2 = sp1 < 0 ? -1 : text.indexOf(' ', sp1 + 1);
  if (sp2 > end) sp2 = -1;
  if (sp1 <= start + 1 || (sp2 < 0 ? end : sp2) === sp1 + 1) throw new ParseError(lineNo, 'bad chain declaration (want ":NAME POLICY [packets:bytes]")', text.slice(start, end));
  const policyEnd = sp2 < 0 ? end : sp2;
  let policy: 'ACCEPT' | 'DROP' | null;
  if (policyEnd === sp1 + 2 && text.charCodeAt(sp1 + 1) === 45 /* - */) policy = null;
  else if (policyEnd - sp1 - 1 === 6 && text.startsWith('ACCEPT', sp1 + 1)) policy = 'ACCEPT';
  else if (policyEnd - sp1 - 1 === 4 && text.startsWith('DROP', sp1 + 1)) policy = 'DROP';
  else throw new ParseError(lineNo, `chain ${text.slice(start + 1, sp1)} has an unknown policy ${text.slice(sp1 + 1, policyEnd)}`, text.slice(start, end));
  let counters: Counters | null = null;
  if (sp2 >= 0) {
    // "[0:0]" on almost every chain: shared, looked up in place.
    counters = shared.counters.lookup(text, sp2 + 1, end) ?? null;
    if (counters === null) {
      const ok = end - sp2 > 3 && text.charCodeAt(sp2 + 1) === 91 && text.charCodeAt(end - 1) === 93;
      counters = ok ? parseCounters(text.slice(sp2 + 2, end - 1)) : null;
      if (!counters) throw new ParseError(lineNo, `chain ${text.slice(start + 1, sp1)} has bad counters ${text.slice(sp2 + 1, end)}`, text.slice(start, end));
      shared.counters.store(text, sp2 + 1, end, counters);
    }
  }
  const name = text.slice(start + 1, sp1);
  const builtin = policy !== null || (BUILTIN_CHAINS[open.table.name]?.includes(name) ?? false);
  const chain = new DumpChain(name, open.table.name, builtin, policy, counters, lineNo);
  if (!open.chains.add(text, start + 1, sp1, chain)) throw new ParseError(lineNo, `chain ${name} declared twice in table ${open.table.name}`, text.slice(start, end));
  if (bodies !== null) chain.readLazily(bodies);
  // One small joined string per chain over two existing ones; not a copy of both. A lazy read joins its own.
  else open.origins.push(open.chainPrefix + name);
  open.table.chains[name] = chain;
}

const enum W {
  Src = 1,
  Dst,
  In,
  Out,
  Proto,
  Frag,
  Match,
  Jump,
  Goto,
  Counters,
}

const RULE_WORDS = new InternTable<W>();
for (const [w, code] of [
  ['-s', W.Src], ['--source', W.Src], ['-d', W.Dst], ['--destination', W.Dst], ['-i', W.In], ['--in-interface', W.In],
  ['-o', W.Out], ['--out-interface', W.Out], ['-p', W.Proto], ['--protocol', W.Proto], ['-f', W.Frag], ['--fragment', W.Frag],
  ['-m', W.Match], ['--match', W.Match], ['-j', W.Jump], ['--jump', W.Jump], ['-g', W.Goto], ['--goto', W.Goto],
  ['-c', W.Counters], ['--set-counters', W.Counters],
] as const) {
  RULE_WORDS.set(w, code);
}
internWords(knownMatchWords());
internWords(knownTargetWords());
const TARGET_WORDS = new InternTable<string>();
for (const w of MODELLED_TARGETS) TARGET_WORDS.set(w, w);
/** Longer words are no built-in target name: most `-j` words are chains (KUBE-SEP-…), and skip that hash. */
const LONGEST_TARGET_WORD = Math.max(...MODELLED_TARGETS.map((w) => w.length));

/** The rule-level option the current word names; the two-letter forms without a table lookup. */
function ruleWord(cur: LineCursor): W | undefined {
  if (cur.wordLength() === 2 && cur.firstChar() === 45) {
    switch (cur.charAt(1)) {
      case 115 /* s */:
        return W.Src;
      case 100 /* d */:
        return W.Dst;
      case 105 /* i */:
        return W.In;
      case 111 /* o */:
        return W.Out;
      case 112 /* p */:
        return W.Proto;
      case 102 /* f */:
        return W.Frag;
      case 109 /* m */:
        return W.Match;
      case 106 /* j */:
        return W.Jump;
      case 103 /* g */:
        return W.Goto;
      case 99 /* c */:
        return W.Counters;
    }
    return undefined;
  }
  return cur.find(RULE_WORDS);
}

/** Reports warnings for the rule being read; one instance per parse, no closures per rule. */
class RuleContext implements BuildContext {
  line = 0;
  raw = '';
  chain: IptablesChain | null = null;
  constructor(private readonly sink: WarningSink) {}
  warn(message: string): void {
    this.sink.warn(this.line, message, this.raw);
    const w = this.sink.warnings[this.sink.warnings.length - 1]!;
    const list = this.chain === null ? undefined : warningsByChain.get(this.chain);
    if (list !== undefined) list.push(w);
    else if (this.chain !== null) warningsByChain.set(this.chain, [w]);
  }
  warningCount(): number {
    return this.sink.warnings.length;
  }
}

/**
 * Matches, targets and counters that repeat across a dump (`-p tcp`, `-m tcp --dport 80`, `-j KUBE-MARK-MASQ`,
 * `[0:0]`) are built once and shared by every rule whose text is identical: a 150k-rule dump has only a few
 * thousand distinct repeated segments. Keys are the segment text, so sharing never changes what a rule means;
 * consumers must treat the model as read-only (shared objects are not copied).
 */
class Shared {
  readonly matches = new SegmentCache<IptablesMatch>();
  /** The targets of the table being read (see OpenTable). */
  targets = new SegmentCache<IptablesTarget>();
  readonly counters = new SegmentCache<Counters>();
  readonly sections = new SegmentCache<IptablesMatch[]>();
  sawV4 = false;
  sawV6 = false;
  /** Jump and goto targets naming no chain of their table when built; and the rules that have them. */
  readonly danglingTargets = new Set<IptablesTarget>();
  readonly dangling: DanglingJump[] = [];
  /** The open table's targets in the cross-parse cache. */
  persistentTargets: SliceMap<IptablesTarget> | null = null;
  constructor(readonly persistent: IptablesParseCache | null) {}

  /** Reads rules of `open`'s table from now on. */
  useTable(open: OpenTable): void {
    this.targets = open.targets;
    this.persistentTargets = open.persistentTargets;
  }
}

/**
 * Moves the cursor over the option words of the segment that starts before it, up to the next rule-level
 * word, and returns the end position. A segment read this way ends exactly where the real reader stops.
 */
function scanSegmentEnd(cur: LineCursor): number {
  let end = cur.mark();
  for (;;) {
    const at = cur.mark();
    if (!cur.next()) break;
    if (cur.is('!')) {
      if (!cur.next() || isRuleLevel(cur)) {
        cur.rewind(at);
        break;
      }
    } else if (isRuleLevel(cur)) {
      cur.rewind(at);
      break;
    }
    end = cur.mark();
  }
  return end;
}

function parseRule(cur: LineCursor, ctx: RuleContext, open: OpenTable, chain: DumpChain, prefixCounters: Counters | null, shared: Shared, index: number, origin: string): IptablesRule {
  const raw = ctx.raw;
  const lineNo = ctx.line;
  const matches = scratch;
  let matchCount = 0;
  let target: IptablesTarget | null = null;
  let counters = prefixCounters;
  let negate = false;
  let negateAt = 0;
  let proto: string | null = null;
  // The match section (everything between the chain name and -j/-g) repeats across rules as a whole
  // (`-p tcp -m tcp` in every KUBE-SEP DNAT rule): look it up by its text before reading it word by word.
  const sectionStart = cur.mark();
  const targetAt = cur.lastTargetWord();
  let sectionEnd = -1;
  const warned = ctx.warningCount();
  let kept: IptablesMatch[] | undefined = cur.lookup(shared.sections, sectionStart, targetAt);
  let missedPersistent = false;
  if (kept === undefined && shared.persistent !== null) {
    kept = cur.getIn(shared.persistent.sections, sectionStart, targetAt);
    missedPersistent = kept === undefined;
    if (kept !== undefined) {
      cur.store(shared.sections, sectionStart, targetAt, kept);
      // The family is told by the addresses this dump's rules name, as if they had been read here.
      for (const m of kept) if (m.kind === 'src' || m.kind === 'dst') noteFamily(shared, m.addr);
    }
  }
  if (kept !== undefined) cur.rewind(targetAt);
  for (;;) {
    const before = cur.mark();
    if (!cur.next()) {
      if (sectionEnd < 0) sectionEnd = before;
      break;
    }
    if (cur.is('!')) {
      if (negate) throw new ParseError(lineNo, 'double "!"', raw);
      negate = true;
      negateAt = before;
      continue;
    }
    const code = ruleWord(cur);
    switch (code) {
      case W.Src:
      case W.Dst:
      case W.In:
      case W.Out:
      case W.Proto: {
        const flag = code === W.Src ? '-s' : code === W.Dst ? '-d' : code === W.In ? '-i' : code === W.Out ? '-o' : '-p';
        if (!cur.next()) throw new ParseError(lineNo, `${flag} needs a value (line cut off?)`, raw);
        const segStart = negate ? negateAt : before;
        const segEnd = cur.mark();
        let m: IptablesMatch | undefined = cur.lookup(shared.matches, segStart, segEnd);
        if (m === undefined) {
          const v = cur.value();
          if (code === W.Src || code === W.Dst) {
            const a = addrMatch(code === W.Src ? 'src' : 'dst', v, negate);
            if (!a) throw new ParseError(lineNo, `${flag} has an invalid address "${v}"`, raw);
            noteFamily(shared, v);
            m = a;
          } else if (code === W.Proto) {
            m = { kind: 'proto', negate, proto: normaliseProto(v) };
          } else {
            const f = parseIface(v, negate);
            m = code === W.In ? { kind: 'in', negate: f.negate, name: f.name, wildcard: f.wildcard, prefix: f.prefix } : { kind: 'out', negate: f.negate, name: f.name, wildcard: f.wildcard, prefix: f.prefix };
          }
          cur.store(shared.matches, segStart, segEnd, m);
        }
        if (m.kind === 'proto') proto = m.proto;
        matches[matchCount++] = m;
        break;
      }
      case W.Frag:
        matches[matchCount++] = negate ? FRAGMENT_NEGATED : FRAGMENT;
        break;
      case W.Match: {
        if (negate) throw new ParseError(lineNo, '"!" before -m (negate an option of the module instead)', raw);
        if (!cur.next()) throw new ParseError(lineNo, '-m needs a value (line cut off?)', raw);
        const afterName = cur.mark();
        const end = scanSegmentEnd(cur);
        let m = cur.lookup(shared.matches, before, end);
        if (m === undefined) {
          cur.rewind(before);
          cur.next();
          cur.next();
          const module = internedWord(cur);
          if (cur.mark() !== afterName) throw new Error('cursor out of step');
          const missing = readOptions(cur, moduleArity(module) ?? NO_OPTIONS, opts);
          if (missing !== null) throw new ParseError(lineNo, `-m ${module} ${missing} is missing its value (line cut off?)`, raw);
          const warned = ctx.warningCount();
          m = buildMatch(module, opts, ctx);
          // Only a clean, exactly delimited segment may be shared (a warning must be repeated on every line).
          if (cur.mark() === end && ctx.warningCount() === warned) cur.store(shared.matches, before, end, m);
        }
        matches[matchCount++] = m;
        break;
      }
      case W.Jump:
      case W.Goto: {
        if (sectionEnd < 0) sectionEnd = before;
        const flag = code === W.Jump ? '-j' : '-g';
        if (negate) throw new ParseError(lineNo, `"!" before ${flag}`, raw);
        if (target) ctx.warn(`second target ${flag} replaces the first`);
        if (!cur.next()) throw new ParseError(lineNo, `${flag} needs a value (line cut off?)`, raw);
        const isGoto = code === W.Goto;
        // Built-in target names (compared in place) skip the chain lookup; iptables forbids chains with those names.
        const builtinName = cur.wordLength() <= LONGEST_TARGET_WORD ? cur.find(TARGET_WORDS) : undefined;
        if (builtinName === undefined) {
          // A declared chain: a plain jump, one target object per chain, shared by every rule jumping there.
          const ordinal = cur.findChain(open.chains);
          if (ordinal >= 0) {
            if (readOptions(cur, NO_OPTIONS, opts) !== null || opts.length > 0) ctx.warn(`${flag} ${open.chains.chain(ordinal).name} (a chain) takes no options`);
            target = open.chains.target(ordinal, isGoto);
            break;
          }
        }
        const afterName = cur.mark();
        const end = scanSegmentEnd(cur);
        const hit = cur.lookup(shared.targets, before, end);
        if (hit !== undefined) {
          target = hit;
          break;
        }
        // Back to the target name word (the scan moved the cursor's current word).
        cur.rewind(before);
        cur.next();
        cur.next();
        if (cur.mark() !== afterName) throw new Error('cursor out of step');
        const warned = ctx.warningCount();
        // Another dump's target for the same text; only for built-in target names, which no chain can have.
        const persistentTargets = builtinName !== undefined ? shared.persistentTargets : null;
        if (persistentTargets !== null) {
          const seen = cur.getIn(persistentTargets, before, end);
          if (seen !== undefined) {
            target = seen;
            cur.rewind(end);
            cur.store(shared.targets, before, end, seen);
            break;
          }
        }
        const name = builtinName ?? internedWord(cur);
        const missing = readOptions(cur, isGoto ? NO_OPTIONS : (targetArityOf(name) ?? NO_OPTIONS), opts);
        if (missing !== null) throw new ParseError(lineNo, `${flag} ${name} ${missing} is missing its value (line cut off?)`, raw);
        target = buildTarget(name, opts, ctx, isGoto);
        // Neither a chain of this table nor an extension target: the jump check reports it.
        if (target.kind === 'jump' || target.kind === 'goto') shared.danglingTargets.add(target);
        if (cur.mark() === end && ctx.warningCount() === warned) {
          cur.store(shared.targets, before, end, target);
          if (persistentTargets !== null) cur.setIn(persistentTargets, before, end, target);
        }
        break;
      }
      case W.Counters: {
        sectionEnd = -2; // never share a section with counters in it
        const p = cur.next() ? Number(cur.value()) : NaN;
        const b = cur.next() ? Number(cur.value()) : NaN;
        if (!Number.isInteger(p) || !Number.isInteger(b)) throw new ParseError(lineNo, '-c needs two numbers', raw);
        counters = [p, b];
        break;
      }
      default: {
        // `-p tcp --dport 80` without `-m tcp`: the protocol's module is implied.
        const implicit = proto !== null && cur.firstChar() === 45 && cur.charAt(1) === 45 ? IMPLICIT_MODULE[proto] : undefined;
        if (implicit) {
          cur.rewind(negate ? negateAt : before);
          const missing = readOptions(cur, moduleArity(implicit)!, opts);
          if (missing !== null) throw new ParseError(lineNo, `-p ${proto} ${missing} is missing its value (line cut off?)`, raw);
          if (opts.length > 0) {
            matches[matchCount++] = buildMatch(implicit, opts, ctx);
            negate = false;
            continue;
          }
          cur.next();
          if (negate) cur.next();
        }
        ctx.warn(`unknown option ${cur.value()}`);
      }
    }
    negate = false;
  }
  if (negate) throw new ParseError(lineNo, 'line ends in "!"', raw);
  if (kept === undefined) {
    // Copy out of the scratch array so the kept array has exactly as many slots as matches.
    kept = matchCount === 0 ? NO_MATCHES : matches.slice(0, matchCount);
    if (sectionEnd === targetAt && ctx.warningCount() === warned) {
      cur.store(shared.sections, sectionStart, targetAt, kept);
      if (missedPersistent) cur.setIn(shared.persistent!.sections, sectionStart, targetAt, kept);
    }
  }
  if (target !== null && shared.danglingTargets.size > 0 && shared.danglingTargets.has(target)) {
    shared.dangling.push({ line: lineNo, table: chain.table, chain: chain.name, target: (target as { chain: string }).chain });
  }
  return { raw, line: lineNo, origin, table: chain.table, chain: chain.name, index, counters, matches: kept, target };
}

function noteFamily(shared: Shared, addr: string): void {
  if (addr.indexOf(':') >= 0) shared.sawV6 = true;
  else shared.sawV4 = true;
}

const NO_MATCHES: IptablesMatch[] = [];
const FRAGMENT: IptablesMatch = { kind: 'fragment', negate: false };
const FRAGMENT_NEGATED: IptablesMatch = { kind: 'fragment', negate: true };

function addrMatch(kind: 'src' | 'dst', text: string, negate: boolean): IptablesMatch | null {
  const a = parseAddr(text, negate);
  if (!a) return null;
  return a.mask === undefined
    ? { kind, negate, cidr: a.cidr, addr: a.addr, prefixLen: a.prefixLen }
    : { kind, negate, cidr: a.cidr, addr: a.addr, prefixLen: a.prefixLen, mask: a.mask };
}

// Reused between rules (parsing is synchronous and not re-entrant); what is kept is copied out. Filled by a
// count, never emptied: the slots past the count are stale and never read.
const scratch: IptablesMatch[] = [];
const opts: RawOption[] = [];

/** Empties the scratch arrays: they would otherwise keep the last rule's values, slices of its dump, and so the whole dump text, alive. */
function clearScratch(): void {
  scratch.length = 0;
  opts.length = 0;
}
