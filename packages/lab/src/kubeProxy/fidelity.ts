// Compares what real kube-proxy programmed on a node with what the imitation here writes for the same objects,
// both as printed by the same tool (iptables-save; nft list), in one canonical form. Every difference the
// comparison forgives is in TOLERATED_DIFFERENCES, with the reason; anything else is reported as a diff.

export type FidelityMode = 'iptables' | 'nftables';
export type FidelitySide = 'real' | 'imitation';

export interface ToleratedDifference {
  id: string;
  mode: FidelityMode;
  /** The side whose dump the normalisation changes. */
  side: FidelitySide | 'both';
  what: string;
  why: string;
}

/** The one list of differences between real kube-proxy 1.36 and the imitation that a comparison forgives. */
export const TOLERATED_DIFFERENCES: readonly ToleratedDifference[] = [
  {
    id: 'cni-chains',
    mode: 'iptables',
    side: 'real',
    what: 'user chains not named KUBE-* (flannel\'s FLANNEL-FWD, FLANNEL-POSTRTG) and the rules that jump to them are left out',
    why: "the node's CNI writes them, not kube-proxy; the imitation writes only kube-proxy's and kubelet's rules",
  },
  {
    id: 'kubelet-chains',
    mode: 'iptables',
    side: 'imitation',
    what: 'KUBE-IPTABLES-HINT (mangle) and KUBE-KUBELET-CANARY (mangle, filter, nat) are left out',
    why: "kubelet's chains: every real node has them, the lab runs no kubelet",
  },
  {
    id: 'kube-firewall-jump',
    mode: 'iptables',
    side: 'both',
    what: 'the `-j KUBE-FIREWALL` jump of filter INPUT and OUTPUT is compared as the last rule of its chain',
    why:
      'kubelet and kube-proxy both prepend it, so it sits wherever the first of them put it: last on a node whose ' +
      'kubelet started before kube-proxy (what the imitation writes), first in the lab, which has no kubelet. It only ' +
      'drops packets to 127.0.0.0/8 from elsewhere, which no other rule of those chains accepts, so no verdict changes',
  },
  {
    id: 'service-port-order',
    mode: 'iptables',
    side: 'both',
    what:
      'in nat KUBE-SERVICES and KUBE-NODEPORTS and filter KUBE-SERVICES, KUBE-EXTERNAL-SERVICES, KUBE-NODEPORTS and ' +
      'KUBE-PROXY-FIREWALL, the rules of each service port (named by their comment) are ordered by service port; ' +
      'the order within one service port, and the place of every other rule (the final jump to KUBE-NODEPORTS), stay',
    why:
      'kube-proxy writes service ports in Go map order, new on every sync; rules of different service ports match ' +
      'different destinations (address, protocol, port), so their order decides nothing',
  },
  {
    id: 'other-tables',
    mode: 'nftables',
    side: 'real',
    what: 'only `table ip kube-proxy` is compared; the node\'s other tables (flannel\'s iptables-nft ip filter and ip nat) are left out',
    why: "kube-proxy's nftables mode writes nothing outside its own tables",
  },
  {
    id: 'ip6-table',
    mode: 'nftables',
    side: 'real',
    what: '`table ip6 kube-proxy` is left out',
    why: 'the dual-stack proxier always programs the IPv6 table too; the imitation is IPv4-only and the lab has no IPv6 service',
  },
  {
    id: 'nft-declaration-order',
    mode: 'nftables',
    side: 'both',
    what: 'chains, sets and maps are compared by name, and the elements of every set and map (named, or inline in a rule) as sets',
    why: 'nft lists declarations in the order they were added and elements in hash order; kube-proxy adds them in Go map order. Neither order means anything',
  },
];

export interface FidelityReport {
  same: boolean;
  /** A unified diff of the canonical forms ('-' real, '+' imitation), empty when they are the same. */
  diff: string;
  /** How many changes each tolerance made, by id (absent when it changed nothing). */
  used: Map<string, number>;
  /** Canonical lines compared (the real side). */
  lines: number;
}

const bump = (used: Map<string, number>, id: string, n = 1) => {
  if (n > 0) used.set(id, (used.get(id) ?? 0) + n);
};

// ---- iptables ----------------------------------------------------------------------------------------------

const BUILTIN_CHAINS = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);
const KUBELET_CHAINS = new Set(['KUBE-IPTABLES-HINT', 'KUBE-KUBELET-CANARY']);
const ORDER_FREE: Record<string, Set<string>> = {
  nat: new Set(['KUBE-SERVICES', 'KUBE-NODEPORTS']),
  filter: new Set(['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL']),
};

interface IptTable {
  /** Chain name -> its declaration's policy ('-' for user chains). */
  chains: Map<string, string>;
  rules: Map<string, string[]>;
}

/** iptables-save text (with or without -c counters) as tables of chains and their rules, in the saved order. */
export function parseIptablesSave(text: string): Map<string, IptTable> {
  const tables = new Map<string, IptTable>();
  let t: IptTable | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^\[\d+:\d+\] /, '').trimEnd();
    if (line === '' || line.startsWith('#') || line === 'COMMIT') continue;
    if (line.startsWith('*')) {
      t = { chains: new Map(), rules: new Map() };
      tables.set(line.slice(1), t);
      continue;
    }
    if (!t) throw new Error(`iptables-save text has a line before any table: ${line}`);
    if (line.startsWith(':')) {
      const [name, policy] = line.slice(1).split(' ');
      if (!name) throw new Error(`bad chain declaration: ${line}`);
      t.chains.set(name, policy ?? '-');
      t.rules.set(name, t.rules.get(name) ?? []);
    } else if (line.startsWith('-A ')) {
      const chain = line.split(' ')[1] ?? '';
      const list = t.rules.get(chain);
      if (!list) throw new Error(`rule for an undeclared chain: ${line}`);
      list.push(line);
    } else {
      throw new Error(`unexpected iptables-save line: ${line}`);
    }
  }
  return tables;
}

const targetOf = (rule: string) => / -[jg] (\S+)/.exec(rule)?.[1];
const commentOf = (rule: string) => /--comment ("[^"]*"|\S+)/.exec(rule)?.[1]?.replace(/^"|"$/g, '');

/** The service port a rule belongs to: the first word of its comment when that names one ("ns/name[:port]"). */
function servicePortOf(rule: string): string | null {
  const first = commentOf(rule)?.split(' ')[0];
  return first && first.includes('/') ? first : null;
}

/** Orders the rules of different service ports by name; other rules keep their slots. True when it moved any. */
function orderByServicePort(rules: string[]): boolean {
  const slots: number[] = [];
  const keyed: { key: string; rule: string }[] = [];
  rules.forEach((rule, i) => {
    const key = servicePortOf(rule);
    if (key === null) return;
    slots.push(i);
    keyed.push({ key, rule });
  });
  // Stable: the order within one service port stays as written.
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let moved = false;
  slots.forEach((slot, j) => {
    const rule = keyed[j]!.rule;
    if (rules[slot] !== rule) moved = true;
    rules[slot] = rule;
  });
  return moved;
}

/** Canonical lines of one side's iptables-save text, with that side's tolerances applied (counted in `used`). */
export function canonicalIptables(text: string, side: FidelitySide, used: Map<string, number>): string[] {
  const tables = parseIptablesSave(text);
  const out: string[] = [];
  for (const name of [...tables.keys()].sort()) {
    const t = tables.get(name)!;
    if (side === 'real') {
      const foreign = [...t.chains.keys()].filter((c) => !BUILTIN_CHAINS.has(c) && !c.startsWith('KUBE-'));
      for (const c of foreign) {
        bump(used, 'cni-chains', 1 + (t.rules.get(c)?.length ?? 0));
        t.chains.delete(c);
        t.rules.delete(c);
      }
      for (const [c, rules] of t.rules) {
        const kept = rules.filter((r) => !foreign.includes(targetOf(r) ?? ''));
        bump(used, 'cni-chains', rules.length - kept.length);
        t.rules.set(c, kept);
      }
    } else {
      for (const c of KUBELET_CHAINS) {
        if (!t.chains.has(c)) continue;
        bump(used, 'kubelet-chains', 1 + (t.rules.get(c)?.length ?? 0));
        t.chains.delete(c);
        t.rules.delete(c);
      }
    }
    if (name === 'filter') {
      for (const c of ['INPUT', 'OUTPUT']) {
        const rules = t.rules.get(c) ?? [];
        const jump = `-A ${c} -j KUBE-FIREWALL`;
        const i = rules.indexOf(jump);
        if (i >= 0 && i !== rules.length - 1) {
          rules.splice(i, 1);
          rules.push(jump);
          bump(used, 'kube-firewall-jump');
        }
      }
    }
    for (const c of ORDER_FREE[name] ?? []) {
      const rules = t.rules.get(c);
      if (rules && orderByServicePort(rules)) bump(used, 'service-port-order');
    }
    out.push(`*${name}`);
    const builtins = [...t.chains.keys()].filter((c) => BUILTIN_CHAINS.has(c));
    const user = [...t.chains.keys()].filter((c) => !BUILTIN_CHAINS.has(c)).sort();
    for (const c of [...builtins, ...user]) out.push(`:${c} ${t.chains.get(c)}`);
    for (const c of [...builtins, ...user]) out.push(...(t.rules.get(c) ?? []));
  }
  return out;
}

export function compareIptables(real: string, imitation: string): FidelityReport {
  const used = new Map<string, number>();
  const a = canonicalIptables(real, 'real', used);
  const b = canonicalIptables(imitation, 'imitation', used);
  const diff = unifiedDiff(a, b);
  return { same: diff === '', diff, used, lines: a.length };
}

// ---- nftables ----------------------------------------------------------------------------------------------

interface NftObject {
  kind: 'set' | 'map' | 'chain' | 'flowtable';
  name: string;
  /** Property lines (type, hook, flags, comment...), as printed. */
  props: string[];
  elements: string[];
  rules: string[];
}

interface NftTable {
  family: string;
  name: string;
  props: string[];
  objects: NftObject[];
}

/** Top-level comma-separated items of a `{ ... }` body, outside quotes and nested braces. */
function splitItems(body: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (const ch of body) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '{') depth++;
    else if (!quoted && ch === '}') depth--;
    if (!quoted && depth === 0 && ch === ',') {
      items.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') items.push(cur.trim());
  return items;
}

/** Net `{` minus `}` outside quotes. */
function braceBalance(s: string): number {
  let n = 0;
  let quoted = false;
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '{') n++;
    else if (!quoted && ch === '}') n--;
  }
  return n;
}

/** `nft list ruleset` / `nft list table` text as tables of named objects. */
export function parseNftList(text: string): NftTable[] {
  const lines = text.split('\n');
  const tables: NftTable[] = [];
  let table: NftTable | undefined;
  let obj: NftObject | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    if (!table) {
      const m = /^table (\S+) (\S+) \{$/.exec(line);
      if (!m) throw new Error(`nft list: expected a table, got: ${line}`);
      table = { family: m[1]!, name: m[2]!, props: [], objects: [] };
      tables.push(table);
      continue;
    }
    if (!obj) {
      if (line === '}') {
        table = undefined;
        continue;
      }
      const m = /^(set|map|chain|flowtable) (\S+) \{$/.exec(line);
      if (m) {
        obj = { kind: m[1] as NftObject['kind'], name: m[2]!, props: [], elements: [], rules: [] };
        table.objects.push(obj);
      } else table.props.push(line);
      continue;
    }
    if (line === '}') {
      obj = undefined;
      continue;
    }
    if (obj.kind === 'chain') {
      // A chain's properties come first: its base-chain spec and its comment; everything after is a rule.
      if (obj.rules.length === 0 && (/^type \S+ hook /.test(line) || /^comment "/.test(line))) obj.props.push(line);
      else obj.rules.push(line);
      continue;
    }
    if (line.startsWith('elements = {')) {
      let body = line;
      while (braceBalance(body) > 0 && i + 1 < lines.length) body += ` ${lines[++i]!.trim()}`;
      obj.elements.push(...splitItems(body.replace(/^elements = \{/, '').replace(/\}$/, '')));
    } else obj.props.push(line);
  }
  return tables;
}

/** A rule with counters dropped and the items of every inline `{ ... }` set sorted. Counts what it reordered. */
function canonicalRule(rule: string, used: Map<string, number>): string {
  const plain = rule.replace(/ ?counter packets \d+ bytes \d+ ?/g, ' ').replace(/\s+/g, ' ').trim();
  return plain.replace(/\{ ([^{}]*) \}/g, (_, body: string) => {
    const items = splitItems(body);
    const sorted = [...items].sort();
    if (sorted.some((x, i) => x !== items[i])) bump(used, 'nft-declaration-order');
    return `{ ${sorted.join(', ')} }`;
  });
}

/** Canonical lines of one side's nft listing of `table ip kube-proxy`, with that side's tolerances applied. */
export function canonicalNft(text: string, side: FidelitySide, used: Map<string, number>): string[] {
  const tables = parseNftList(text);
  const mine = tables.filter((t) => t.family === 'ip' && t.name === 'kube-proxy');
  if (mine.length !== 1) throw new Error(`expected one table ip kube-proxy in the ${side} listing, found ${mine.length}`);
  if (side === 'real') {
    for (const t of tables) {
      if (t === mine[0]) continue;
      bump(used, t.name === 'kube-proxy' && t.family === 'ip6' ? 'ip6-table' : 'other-tables');
    }
  } else if (tables.length > 1) {
    throw new Error(`the imitation's listing holds ${tables.length} tables; it writes only table ip kube-proxy`);
  }
  const t = mine[0]!;
  const out = [`table ${t.family} ${t.name} { ${t.props.join('; ')} }`];
  const names = t.objects.map((o) => `${o.kind} ${o.name}`);
  const sortedNames = [...names].sort();
  if (sortedNames.some((x, i) => x !== names[i])) bump(used, 'nft-declaration-order');
  for (const o of [...t.objects].sort((a, b) => (`${a.kind} ${a.name}` < `${b.kind} ${b.name}` ? -1 : 1))) {
    const head = `${o.kind} ${o.name}`;
    out.push(`${head} { ${o.props.join('; ')} }`);
    const elements = o.elements.map((e) => canonicalRule(e, used));
    const sorted = [...elements].sort();
    if (sorted.some((x, i) => x !== elements[i])) bump(used, 'nft-declaration-order');
    for (const e of sorted) out.push(`${head} element ${e}`);
    for (const r of o.rules) out.push(`${head} rule ${canonicalRule(r, used)}`);
  }
  return out;
}

export function compareNft(real: string, imitation: string): FidelityReport {
  const used = new Map<string, number>();
  const a = canonicalNft(real, 'real', used);
  const b = canonicalNft(imitation, 'imitation', used);
  const diff = unifiedDiff(a, b);
  return { same: diff === '', diff, used, lines: a.length };
}

// ---- diff --------------------------------------------------------------------------------------------------

/**
 * A line diff ('-' only in a, '+' only in b) with `context` unchanged lines around each change and `@@ line`
 * headers; '' when equal. LCS by dynamic programming: the dumps compared here are a few hundred lines.
 */
export function unifiedDiff(a: readonly string[], b: readonly string[], context = 2): string {
  const n = a.length;
  const m = b.length;
  if (n * m > 25_000_000) throw new Error(`too large to diff (${n} x ${m} lines)`);
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const ops: { op: ' ' | '-' | '+'; line: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ op: ' ', line: a[i++]! });
      j++;
    } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ op: '-', line: a[i++]! });
    else ops.push({ op: '+', line: b[j++]! });
  }
  if (ops.every((o) => o.op === ' ')) return '';
  const keep = new Set<number>();
  ops.forEach((o, k) => {
    if (o.op === ' ') return;
    for (let d = -context; d <= context; d++) if (k + d >= 0 && k + d < ops.length) keep.add(k + d);
  });
  const out: string[] = [];
  let prev = -2;
  let aLine = 0;
  ops.forEach((o, k) => {
    if (o.op !== '+') aLine++;
    if (!keep.has(k)) return;
    if (k !== prev + 1) out.push(`@@ real line ${o.op === '+' ? aLine + 1 : aLine}`);
    out.push(`${o.op} ${o.line}`);
    prev = k;
  });
  return out.join('\n');
}
