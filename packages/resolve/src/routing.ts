import type { IpRoute, IpRule } from '@patchbay/schema';
import { cidrContains, ipToInt, parseCidr, type Cidr } from './ipv4.js';

// A namespace's IPv4 policy rules and route tables, indexed once so a lookup is a few Map probes, and the
// kernel's lookup algorithm over them (fib_rules + fib_table_lookup): rules by priority, longest prefix per
// table, lowest metric on a tie; blackhole/unreachable/prohibit are final, `throw` falls through to the next rule.

export type RouteType = 'unicast' | 'local' | 'broadcast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw' | 'multicast' | 'anycast' | 'nat';

export interface NextHop {
  gateway: string | null;
  dev: string | null;
  onlink: boolean;
  weight: number;
}

export interface RouteEntry {
  type: RouteType;
  dst: Cidr;
  table: string;
  gateway: string | null;
  dev: string | null;
  metric: number;
  scope: string | null;
  prefsrc: string | null;
  onlink: boolean;
  linkdown: boolean;
  /** ECMP next hops; empty for a single-path route. */
  nexthops: NextHop[];
  /** The route as `ip route show table all` would print it: the tracer's evidence. */
  text: string;
}

export interface RouteTable {
  name: string;
  /** Prefix lengths present, longest first. */
  lens: number[];
  byLen: Map<number, Map<number, RouteEntry[]>>;
  size: number;
}

export type RuleAction = 'lookup' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';

export interface RuleEntry {
  priority: number;
  not: boolean;
  src: Cidr | null;
  dst: Cidr | null;
  iif: string | null;
  oif: string | null;
  fwmark: number | null;
  fwmask: number;
  table: string | null;
  action: RuleAction;
  suppressPrefixlen: number | null;
  text: string;
}

export interface RoutingModel {
  rules: RuleEntry[];
  tables: Map<string, RouteTable>;
  /** True when the snapshot had no rules and the kernel's three defaults were assumed. */
  defaultRulesAssumed: boolean;
}

const TABLE_IDS: Record<string, string> = { '255': 'local', '254': 'main', '253': 'default' };
const tableName = (t: string | undefined): string => (t === undefined ? 'main' : (TABLE_IDS[t] ?? t));

export function formatRoute(r: IpRoute): string {
  const parts: string[] = [];
  if (r.type && r.type !== 'unicast') parts.push(r.type);
  parts.push(r.dst);
  if (r.gateway) parts.push('via', r.gateway);
  if (r.dev) parts.push('dev', r.dev);
  if (r.table && r.table !== 'main') parts.push('table', r.table);
  if (r.protocol) parts.push('proto', r.protocol);
  if (r.scope) parts.push('scope', r.scope);
  if (r.prefsrc) parts.push('src', r.prefsrc);
  if (r.metric !== undefined) parts.push('metric', String(r.metric));
  for (const f of r.flags ?? []) parts.push(f);
  for (const nh of r.nexthops ?? []) {
    parts.push('nexthop');
    if (nh.gateway) parts.push('via', nh.gateway);
    if (nh.dev) parts.push('dev', nh.dev);
    if (nh.weight !== undefined) parts.push('weight', String(nh.weight));
  }
  return parts.join(' ');
}

export function formatRule(r: IpRule): string {
  const parts: string[] = [`${r.priority}:`];
  if (r.not === null) parts.push('not');
  const sel = (v: string | undefined, len: number | undefined) => (v === undefined ? undefined : len !== undefined && v !== 'all' ? `${v}/${len}` : v);
  parts.push('from', sel(r.src, r.srclen) ?? 'all');
  const dst = sel(r.dst, r.dstlen);
  if (dst) parts.push('to', dst);
  if (r.fwmark) parts.push('fwmark', r.fwmask ? `${r.fwmark}/${r.fwmask}` : r.fwmark);
  if (r.iif) parts.push('iif', r.iif);
  if (r.oif) parts.push('oif', r.oif);
  if (r.table) parts.push('lookup', r.table);
  else if (r.action) parts.push(r.action);
  if (r.suppress_prefixlen !== undefined) parts.push('suppress_prefixlength', String(r.suppress_prefixlen));
  return parts.join(' ');
}

function toEntry(r: IpRoute): RouteEntry | null {
  const dst = parseCidr(r.dst);
  if (!dst) return null;
  const flags = r.flags ?? [];
  return {
    type: (r.type ?? 'unicast') as RouteType,
    dst,
    table: tableName(r.table),
    gateway: r.gateway ?? null,
    dev: r.dev ?? null,
    metric: r.metric ?? 0,
    scope: r.scope ?? null,
    prefsrc: r.prefsrc ?? null,
    onlink: flags.includes('onlink'),
    linkdown: flags.includes('linkdown'),
    nexthops: (r.nexthops ?? []).map((nh) => ({ gateway: nh.gateway ?? null, dev: nh.dev ?? null, onlink: (nh.flags ?? []).includes('onlink'), weight: nh.weight ?? 1 })),
    text: formatRoute(r),
  };
}

function toRule(r: IpRule): RuleEntry {
  const sel = (v: string | undefined, len: number | undefined): Cidr | null => {
    if (v === undefined || v === 'all') return null;
    return parseCidr(len !== undefined ? `${v}/${len}` : v);
  };
  const action = (r.table ? 'lookup' : (r.action ?? 'lookup')) as RuleAction;
  return {
    priority: r.priority,
    not: r.not === null,
    src: sel(r.src, r.srclen),
    dst: sel(r.dst, r.dstlen),
    iif: r.iif ?? null,
    oif: r.oif ?? null,
    fwmark: r.fwmark !== undefined ? Number(r.fwmark) : null,
    fwmask: r.fwmask !== undefined ? Number(r.fwmask) : 0xffffffff,
    table: r.table ? tableName(r.table) : null,
    action,
    suppressPrefixlen: r.suppress_prefixlen ?? null,
    text: formatRule(r),
  };
}

const DEFAULT_RULES: IpRule[] = [
  { priority: 0, src: 'all', table: 'local' },
  { priority: 32766, src: 'all', table: 'main' },
  { priority: 32767, src: 'all', table: 'default' },
];

export function buildRouting(routes: IpRoute[], rules: IpRule[]): RoutingModel {
  const tables = new Map<string, RouteTable>();
  for (const r of routes) {
    const e = toEntry(r);
    if (!e) continue;
    let t = tables.get(e.table);
    if (!t) tables.set(e.table, (t = { name: e.table, lens: [], byLen: new Map(), size: 0 }));
    let bucket = t.byLen.get(e.dst.len);
    if (!bucket) {
      t.byLen.set(e.dst.len, (bucket = new Map()));
      t.lens.push(e.dst.len);
    }
    const list = bucket.get(e.dst.net);
    if (list) list.push(e);
    else bucket.set(e.dst.net, [e]);
    t.size += 1;
  }
  for (const t of tables.values()) {
    t.lens.sort((a, b) => b - a);
    for (const bucket of t.byLen.values()) for (const list of bucket.values()) list.sort((a, b) => a.metric - b.metric);
  }
  const assumed = rules.length === 0;
  const ruleEntries = (assumed ? DEFAULT_RULES : rules).map(toRule).sort((a, b) => a.priority - b.priority);
  return { rules: ruleEntries, tables, defaultRulesAssumed: assumed };
}

export interface FlowKey {
  dst: string;
  src: string | null;
  /** Incoming device; null (or "lo") for locally generated packets. */
  iif: string | null;
  oif?: string | null;
  mark?: number;
}

export type LookupResult =
  | { ok: true; route: RouteEntry; rule: RuleEntry }
  | { ok: false; reason: 'blackhole' | 'unreachable' | 'prohibit' | 'no-route'; route: RouteEntry | null; rule: RuleEntry | null; text: string };

/** Longest-prefix match in one table; the first entry of a prefix has the lowest metric. Skips linkdown routes. */
export function lookupTable(t: RouteTable, dst: number): RouteEntry | null {
  for (const len of t.lens) {
    const bucket = t.byLen.get(len);
    const net = len === 0 ? 0 : (dst & ((0xffffffff << (32 - len)) >>> 0)) >>> 0;
    const list = bucket?.get(net);
    if (!list) continue;
    for (const e of list) if (!e.linkdown) return e;
  }
  return null;
}

function ruleMatches(rule: RuleEntry, flow: FlowKey, dst: number, src: number | null): boolean {
  let m = true;
  if (rule.src) m = src !== null && cidrContains(rule.src, src);
  if (m && rule.dst) m = cidrContains(rule.dst, dst);
  if (m && rule.iif) m = (flow.iif ?? 'lo') === rule.iif;
  if (m && rule.oif) m = (flow.oif ?? null) === rule.oif;
  if (m && rule.fwmark !== null) m = (((flow.mark ?? 0) & rule.fwmask) >>> 0) === ((rule.fwmark & rule.fwmask) >>> 0);
  return rule.not ? !m : m;
}

export function lookupRoute(routing: RoutingModel, flow: FlowKey): LookupResult {
  const dst = ipToInt(flow.dst);
  if (dst === null) return { ok: false, reason: 'no-route', route: null, rule: null, text: `${flow.dst} is not an IPv4 address` };
  const src = flow.src ? ipToInt(flow.src) : null;
  const rules = routing.rules;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if (!ruleMatches(rule, flow, dst, src)) continue;
    switch (rule.action) {
      case 'nop':
      case 'goto':
        continue;
      case 'blackhole':
      case 'unreachable':
      case 'prohibit':
        return { ok: false, reason: rule.action, route: null, rule, text: `rule ${rule.text}` };
      case 'lookup': {
        const t = rule.table ? routing.tables.get(rule.table) : undefined;
        if (!t) continue;
        const route = lookupTable(t, dst);
        if (!route) continue;
        if (route.type === 'throw') continue;
        if (rule.suppressPrefixlen !== null && route.dst.len <= rule.suppressPrefixlen) continue;
        if (route.type === 'blackhole' || route.type === 'unreachable' || route.type === 'prohibit') {
          return { ok: false, reason: route.type, route, rule, text: `route ${route.text} (table ${route.table}, via rule ${rule.text})` };
        }
        return { ok: true, route, rule };
      }
    }
  }
  return { ok: false, reason: 'no-route', route: null, rule: null, text: `no rule's table has a route to ${flow.dst}` };
}
