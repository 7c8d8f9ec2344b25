// `nft -j list ruleset` to the model. Objects in the JSON are flat siblings; rules join their chain by
// (family, table, chain) and keep array order. The outer objects are checked with zod; expressions are read
// by hand and anything unknown is kept verbatim with a warning (strict mode: ParseError).

import { NftRuleset } from '@patchbay/schema';
import type { z } from 'zod';
import { ParseError, WarningSink } from '../errors.js';
import { normaliseProto } from '../net.js';
import { renderRule } from './render.js';
import { NftChainJson, NftMetainfoJson, NftRuleJson, NftSetJson, NftTableJson } from './schema.js';
import type { NftChain, NftElement, NftExpr, NftMatchOp, NftModel, NftRule, NftSet, NftStatement, NftTable, ParseNftOptions } from './types.js';

const IPTABLES_TABLES = new Set(['filter', 'nat', 'mangle', 'raw', 'security', 'broute']);
const IPTABLES_BUILTIN_CHAINS = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING', 'BROUTING']);
const MATCH_OPS = new Set<string>(['==', '!=', '<', '>', '<=', '>=', 'in']);
const BINOPS = new Set<string>(['&', '|', '^', '<<', '>>']);
/** Objects `nft list ruleset` prints that the tracer does not need; skipped without a warning. */
const IGNORED_OBJECTS = new Set(['flowtable', 'counter', 'quota', 'ct helper', 'ct timeout', 'ct expectation', 'limit', 'secmark', 'synproxy', 'element']);

type Ctx = { sink: WarningSink };

function tableKey(family: string, table: string): string {
  return `${family}\u0000${table}`;
}

function describeZod(error: z.ZodError, path: string): string {
  const issue = error.issues[0]!;
  const where = issue.path.length ? `${path}.${issue.path.join('.')}` : path;
  return `${where}: ${issue.message}`;
}

/** Parses `nft -j list ruleset` output (the parsed JSON, or its text). */
export function parseNftRuleset(json: unknown, opts: ParseNftOptions = {}): NftModel {
  const sink = new WarningSink(opts.strict === true);
  const ctx: Ctx = { sink };
  const originPrefix = opts.origin ?? 'nft';
  let data = json;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch (e) {
      throw new ParseError(0, 'nft -j output is not JSON', (e as Error).message);
    }
  }
  const outer = NftRuleset.safeParse(data);
  if (!outer.success) throw new ParseError(0, 'not nft -j output (want {"nftables": [...]})', describeZod(outer.error, '$'));

  const model: NftModel = { metainfo: null, tables: [], warnings: sink.warnings, danglingJumps: [] };
  const tables = new Map<string, NftTable>();
  const pendingRules: Array<{ rule: z.infer<typeof NftRuleJson>; path: string }> = [];

  const items = outer.data.nftables;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const path = `$.nftables[${i}]`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new ParseError(0, 'each nftables entry must be an object', path);
    const keys = Object.keys(item);
    if (keys.length !== 1) throw new ParseError(0, `each nftables entry must have exactly one key, found ${keys.length ? keys.join(', ') : 'none'}`, path);
    const kind = keys[0]!;
    const body = (item as Record<string, unknown>)[kind];
    const bodyPath = `${path}.${kind}`;
    switch (kind) {
      case 'metainfo': {
        const m = NftMetainfoJson.safeParse(body);
        if (!m.success) throw new ParseError(0, 'bad metainfo', describeZod(m.error, bodyPath));
        model.metainfo = { version: m.data.version ?? null, releaseName: m.data.release_name ?? null, jsonSchemaVersion: m.data.json_schema_version ?? null };
        break;
      }
      case 'table': {
        const t = NftTableJson.safeParse(body);
        if (!t.success) throw new ParseError(0, 'bad table', describeZod(t.error, bodyPath));
        const table: NftTable = {
          family: t.data.family,
          name: t.data.name,
          handle: t.data.handle ?? null,
          flags: list(t.data.flags),
          managedBy: null,
          chains: Object.create(null) as Record<string, NftChain>,
          sets: Object.create(null) as Record<string, NftSet>,
        };
        if (t.data.comment !== undefined) table.comment = t.data.comment;
        if (tables.has(tableKey(table.family, table.name))) throw new ParseError(0, `table ${table.family} ${table.name} appears twice`, bodyPath);
        tables.set(tableKey(table.family, table.name), table);
        model.tables.push(table);
        break;
      }
      case 'chain': {
        const c = NftChainJson.safeParse(body);
        if (!c.success) throw new ParseError(0, 'bad chain', describeZod(c.error, bodyPath));
        const table = tables.get(tableKey(c.data.family, c.data.table));
        if (!table) throw new ParseError(0, `chain ${c.data.name} names table ${c.data.family} ${c.data.table}, which is not defined before it`, bodyPath);
        const chain: NftChain = { family: c.data.family, table: c.data.table, name: c.data.name, handle: c.data.handle ?? null, base: null, rules: [] };
        if (c.data.hook !== undefined) {
          if (c.data.type === undefined || c.data.prio === undefined) throw new ParseError(0, `base chain ${c.data.name} needs type and prio`, bodyPath);
          chain.base = { type: c.data.type, hook: c.data.hook, prio: c.data.prio, policy: c.data.policy ?? 'accept' };
          if (c.data.dev !== undefined) chain.base.device = c.data.dev;
        }
        if (c.data.comment !== undefined) chain.comment = c.data.comment;
        table.chains[chain.name] = chain;
        break;
      }
      case 'set':
      case 'map': {
        const s = NftSetJson.safeParse(body);
        if (!s.success) throw new ParseError(0, `bad ${kind}`, describeZod(s.error, bodyPath));
        const table = tables.get(tableKey(s.data.family, s.data.table));
        if (!table) throw new ParseError(0, `${kind} ${s.data.name} names table ${s.data.family} ${s.data.table}, which is not defined before it`, bodyPath);
        table.sets[s.data.name] = readSet(kind, s.data, bodyPath, ctx);
        break;
      }
      case 'rule': {
        const r = NftRuleJson.safeParse(body);
        if (!r.success) throw new ParseError(0, 'bad rule', describeZod(r.error, bodyPath));
        pendingRules.push({ rule: r.data, path: bodyPath });
        break;
      }
      default:
        if (!IGNORED_OBJECTS.has(kind)) sink.warnAt(bodyPath, `unknown nftables object "${kind}" skipped`);
    }
  }

  // Rules after all objects: `nft list` prints sets before chains, but a hand-made file may not.
  for (const { rule: r, path } of pendingRules) {
    const table = tables.get(tableKey(r.family, r.table));
    const chain = table?.chains[r.chain];
    if (!table || !chain) throw new ParseError(0, `rule names chain ${r.family} ${r.table} ${r.chain}, which is not defined`, path);
    const statements: NftStatement[] = [];
    let packets = 0;
    let bytes = 0;
    let counted = false;
    for (let k = 0; k < r.expr.length; k++) {
      const st = readStatement(r.expr[k], `${path}.expr[${k}]`, ctx);
      if (st.kind === 'counter' && st.name === undefined) {
        counted = true;
        packets += st.packets;
        bytes += st.bytes;
      }
      statements.push(st);
    }
    const counters = counted ? { packets, bytes } : null;
    const rule: NftRule = {
      family: r.family,
      table: r.table,
      chain: r.chain,
      handle: r.handle ?? null,
      index: chain.rules.length,
      statements,
      counters,
      origin: `${originPrefix} / ${r.family} ${r.table} / ${r.chain}`,
      evidence: { text: renderRule(statements, r.comment), family: r.family, table: r.table, chain: r.chain, handle: r.handle ?? null },
    };
    if (r.comment !== undefined) rule.comment = r.comment;
    chain.rules.push(rule);
  }

  for (const table of model.tables) {
    table.managedBy = isIptablesNft(table) ? 'iptables-nft' : null;
    checkTableJumps(table, model, sink);
  }
  return model;
}

function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function isIptablesNft(table: NftTable): boolean {
  if (!IPTABLES_TABLES.has(table.name)) return false;
  for (const name in table.chains) {
    const chain = table.chains[name]!;
    if (chain.base && IPTABLES_BUILTIN_CHAINS.has(chain.name)) return true;
    for (const rule of chain.rules) for (const s of rule.statements) if (s.kind === 'xt') return true;
  }
  return false;
}

function checkTableJumps(table: NftTable, model: NftModel, sink: WarningSink): void {
  const check = (chain: string, handle: number | null, target: string): void => {
    if (!(target in table.chains)) {
      model.danglingJumps.push({ family: table.family, table: table.name, chain, handle, target });
      sink.warnAt(`${table.family} ${table.name} ${chain}${handle !== null ? ` handle ${handle}` : ''}`, `jump to undefined chain ${target}`);
    }
  };
  const verdictsIn = (e: NftExpr, chain: string, handle: number | null): void => {
    if (e.kind === 'verdict' && e.target !== undefined) check(chain, handle, e.target);
    else if (e.kind === 'set') for (const el of e.elements) if (el.value) verdictsIn(el.value, chain, handle);
  };
  for (const name in table.chains) {
    for (const rule of table.chains[name]!.rules) {
      for (const s of rule.statements) {
        if (s.kind === 'jump' || s.kind === 'goto') check(name, rule.handle, s.target);
        else if (s.kind === 'vmap') verdictsIn(s.data, name, rule.handle);
      }
    }
  }
  for (const name in table.sets) {
    const set = table.sets[name]!;
    if (set.dataType !== 'verdict') continue;
    for (const el of set.elements) if (el.value) verdictsIn(el.value, `@${name}`, set.handle);
  }
}

// ---- sets -------------------------------------------------------------------------------------------------

function readSet(kind: 'set' | 'map', s: z.infer<typeof NftSetJson>, path: string, ctx: Ctx): NftSet {
  const keyType = typeof s.type === 'string' ? [s.type] : Array.isArray(s.type) ? s.type : ['typeof'];
  const dataType = kind === 'map' ? (s.map === undefined ? null : Array.isArray(s.map) ? s.map.join(' . ') : s.map) : null;
  const set: NftSet = {
    kind,
    family: s.family,
    table: s.table,
    name: s.name,
    handle: s.handle ?? null,
    keyType,
    dataType,
    flags: list(s.flags),
    elements: [],
  };
  if (s.timeout !== undefined) set.timeout = s.timeout;
  if (s.comment !== undefined) set.comment = s.comment;
  const elems = s.elem ?? [];
  for (let i = 0; i < elems.length; i++) {
    const el = readElement(elems[i], `${path}.elem[${i}]`, ctx, kind === 'map');
    el.key = normaliseByType(el.key, keyType);
    if (el.value && dataType !== null && dataType !== 'verdict') el.value = normaliseByType(el.value, dataType.split(' . '));
    set.elements.push(el);
  }
  return set;
}

/** Protocol numbers become names where the set's type says the part is an inet_proto. */
function normaliseByType(e: NftExpr, types: readonly string[]): NftExpr {
  if (e.kind === 'concat') return { kind: 'concat', parts: e.parts.map((p, i) => normaliseByType(p, [types[i] ?? ''])) };
  if (types.length === 1 && types[0] === 'inet_proto' && e.kind === 'value' && (typeof e.value === 'number' || typeof e.value === 'string')) {
    return { kind: 'value', value: normaliseProto(e.value) };
  }
  return e;
}

/** A set element (`x` or `{elem: {val: x, comment}}`) or a map entry (`[key, value]`). */
function readElement(x: unknown, path: string, ctx: Ctx, isMap: boolean): NftElement {
  if (isMap || Array.isArray(x)) {
    if (!Array.isArray(x) || x.length !== 2) {
      ctx.sink.warnAt(path, 'map element is not a [key, value] pair');
      return { key: { kind: 'unknown', raw: x } };
    }
    const el = readElement(x[0], `${path}[0]`, ctx, false);
    el.value = readExpr(x[1], `${path}[1]`, ctx);
    return el;
  }
  if (x !== null && typeof x === 'object' && 'elem' in x) {
    const w = (x as { elem: Record<string, unknown> }).elem;
    const el: NftElement = { key: readExpr(w['val'], `${path}.elem.val`, ctx) };
    if (typeof w['comment'] === 'string') el.comment = w['comment'];
    if (typeof w['timeout'] === 'number') el.timeout = w['timeout'];
    if (typeof w['expires'] === 'number') el.expires = w['expires'];
    const c = w['counter'] as { packets?: unknown; bytes?: unknown } | undefined;
    if (c && typeof c.packets === 'number' && typeof c.bytes === 'number') el.counter = { packets: c.packets, bytes: c.bytes };
    return el;
  }
  return { key: readExpr(x, path, ctx) };
}

// ---- expressions ------------------------------------------------------------------------------------------

function obj(x: unknown): Record<string, unknown> | null {
  return x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : null;
}

function str(x: unknown): string | null {
  return typeof x === 'string' ? x : null;
}

function unknownExpr(x: unknown, path: string, ctx: Ctx, why: string): NftExpr {
  ctx.sink.warnAt(path, why);
  return { kind: 'unknown', raw: x };
}

export function readExpr(x: unknown, path: string, ctx: Ctx): NftExpr {
  if (typeof x === 'string') return x.charCodeAt(0) === 64 /* @ */ ? { kind: 'setref', name: x.slice(1) } : { kind: 'value', value: x };
  if (typeof x === 'number' || typeof x === 'boolean') return { kind: 'value', value: x };
  // A bare list on the right of a match (`ct state { established, related }`) is an anonymous set.
  if (Array.isArray(x)) return { kind: 'set', elements: x.map((v, i) => readElement(v, `${path}[${i}]`, ctx, false)) };
  const o = obj(x);
  if (!o) return unknownExpr(x, path, ctx, 'expression is null');
  const keys = Object.keys(o);
  if (keys.length !== 1) return unknownExpr(x, path, ctx, `expression with ${keys.length} keys`);
  const k = keys[0]!;
  const v = o[k];
  const vo = obj(v);
  switch (k) {
    case 'payload':
      if (vo && typeof vo['protocol'] === 'string' && typeof vo['field'] === 'string') return { kind: 'payload', protocol: vo['protocol'], field: vo['field'] };
      if (vo && typeof vo['base'] === 'string' && typeof vo['offset'] === 'number' && typeof vo['len'] === 'number') return { kind: 'rawpayload', base: vo['base'], offset: vo['offset'], len: vo['len'] };
      return unknownExpr(x, path, ctx, 'payload without protocol/field or base/offset/len');
    case 'meta':
      if (vo && typeof vo['key'] === 'string') return { kind: 'meta', key: vo['key'] };
      return unknownExpr(x, path, ctx, 'meta without key');
    case 'ct': {
      if (!vo || typeof vo['key'] !== 'string') return unknownExpr(x, path, ctx, 'ct without key');
      const e: Extract<NftExpr, { kind: 'ct' }> = { kind: 'ct', key: vo['key'] };
      if (typeof vo['dir'] === 'string') e.dir = vo['dir'];
      if (typeof vo['family'] === 'string') e.family = vo['family'];
      return e;
    }
    case 'fib': {
      if (!vo || typeof vo['result'] !== 'string') return unknownExpr(x, path, ctx, 'fib without result');
      const flags = vo['flags'];
      return { kind: 'fib', result: vo['result'], flags: typeof flags === 'string' ? [flags] : Array.isArray(flags) ? flags.filter((f): f is string => typeof f === 'string') : [] };
    }
    case 'numgen':
      if (vo && typeof vo['mode'] === 'string' && typeof vo['mod'] === 'number') return { kind: 'numgen', mode: vo['mode'], mod: vo['mod'], offset: typeof vo['offset'] === 'number' ? vo['offset'] : 0 };
      return unknownExpr(x, path, ctx, 'numgen without mode/mod');
    case 'concat':
      if (Array.isArray(v)) return { kind: 'concat', parts: v.map((p, i) => readExpr(p, `${path}.concat[${i}]`, ctx)) };
      return unknownExpr(x, path, ctx, 'concat is not a list');
    case 'set':
      if (Array.isArray(v)) return { kind: 'set', elements: v.map((el, i) => readElement(el, `${path}.set[${i}]`, ctx, false)) };
      // A single element may be written without the list.
      return { kind: 'set', elements: [readElement(v, `${path}.set`, ctx, false)] };
    case 'prefix':
      if (vo && (typeof vo['addr'] === 'string' || typeof vo['addr'] === 'number') && typeof vo['len'] === 'number') {
        // Marks and other integers can be prefixes too (`meta mark 0x10000/16`); keep addresses as text.
        return { kind: 'prefix', addr: String(vo['addr']), len: vo['len'] };
      }
      return unknownExpr(x, path, ctx, 'prefix without addr/len');
    case 'range':
      if (Array.isArray(v) && v.length === 2) return { kind: 'range', from: readExpr(v[0], `${path}.range[0]`, ctx), to: readExpr(v[1], `${path}.range[1]`, ctx) };
      return unknownExpr(x, path, ctx, 'range is not a pair');
    case 'map':
      if (vo && 'key' in vo && 'data' in vo) return { kind: 'map', key: readExpr(vo['key'], `${path}.map.key`, ctx), data: readExpr(vo['data'], `${path}.map.data`, ctx) };
      return unknownExpr(x, path, ctx, 'map without key/data');
    case 'elem': {
      // An element wrapper outside a set: keep the value.
      const el = readElement(x, path, ctx, false);
      return el.key;
    }
    case 'accept':
    case 'drop':
    case 'return':
    case 'continue':
      return { kind: 'verdict', verdict: k };
    case 'jump':
    case 'goto': {
      const target = vo ? str(vo['target']) : null;
      if (target === null) return unknownExpr(x, path, ctx, `${k} without target`);
      return { kind: 'verdict', verdict: k, target };
    }
  }
  if (BINOPS.has(k)) {
    if (Array.isArray(v) && v.length === 2) {
      return { kind: 'binop', op: k as '&', left: readExpr(v[0], `${path}[${JSON.stringify(k)}][0]`, ctx), right: readExpr(v[1], `${path}[${JSON.stringify(k)}][1]`, ctx) };
    }
    return unknownExpr(x, path, ctx, `${k} is not a pair`);
  }
  return unknownExpr(x, path, ctx, `unknown expression "${k}" kept verbatim`);
}

function isProtoExpr(e: NftExpr): boolean {
  return (e.kind === 'meta' && (e.key === 'l4proto' || e.key === 'protocol')) || (e.kind === 'payload' && ((e.protocol === 'ip' && e.field === 'protocol') || (e.protocol === 'ip6' && e.field === 'nexthdr')));
}

function normaliseProtoValue(e: NftExpr): NftExpr {
  if (e.kind === 'value' && (typeof e.value === 'number' || typeof e.value === 'string')) return { kind: 'value', value: normaliseProto(e.value) };
  if (e.kind === 'set') return { kind: 'set', elements: e.elements.map((el) => ({ ...el, key: normaliseProtoValue(el.key) })) };
  return e;
}

// ---- statements -------------------------------------------------------------------------------------------

function flagsOf(v: unknown): string[] {
  return typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((f): f is string => typeof f === 'string') : [];
}

export function readStatement(x: unknown, path: string, ctx: Ctx): NftStatement {
  const o = obj(x);
  const keys = o ? Object.keys(o) : [];
  if (!o || keys.length !== 1) {
    ctx.sink.warnAt(path, 'statement is not an object with one key');
    return { kind: 'unknown', name: '?', raw: x };
  }
  const k = keys[0]!;
  const v = o[k];
  const vo = obj(v);
  switch (k) {
    case 'match': {
      const op = vo && typeof vo['op'] === 'string' ? vo['op'] : null;
      if (!vo || op === null || !('left' in vo) || !('right' in vo)) break;
      if (!MATCH_OPS.has(op)) {
        ctx.sink.warnAt(path, `unknown match operator "${op}"`);
        return { kind: 'unknown', name: k, raw: x };
      }
      const left = readExpr(vo['left'], `${path}.match.left`, ctx);
      let right = readExpr(vo['right'], `${path}.match.right`, ctx);
      // `meta l4proto 6` and `meta l4proto tcp` mean the same; keep one spelling.
      if (isProtoExpr(left)) right = normaliseProtoValue(right);
      return { kind: 'match', op: op as NftMatchOp, left, right };
    }
    case 'accept':
    case 'drop':
    case 'return':
    case 'continue':
    case 'notrack':
      return { kind: k };
    case 'jump':
    case 'goto': {
      const target = vo ? str(vo['target']) : null;
      if (target === null) break;
      return { kind: k, target };
    }
    case 'reject':
      return { kind: 'reject', type: vo ? str(vo['type']) : null, expr: vo ? str(vo['expr']) : null };
    case 'vmap':
      if (!vo || !('key' in vo) || !('data' in vo)) break;
      return { kind: 'vmap', key: readExpr(vo['key'], `${path}.vmap.key`, ctx), data: readExpr(vo['data'], `${path}.vmap.data`, ctx) };
    case 'dnat':
    case 'snat': {
      const n = vo ?? {};
      return {
        kind: k,
        family: str(n['family']),
        addr: 'addr' in n ? readExpr(n['addr'], `${path}.${k}.addr`, ctx) : null,
        port: 'port' in n ? readExpr(n['port'], `${path}.${k}.port`, ctx) : null,
        flags: flagsOf(n['flags']),
      };
    }
    case 'masquerade':
    case 'redirect': {
      const n = vo ?? {};
      return { kind: k, port: 'port' in n ? readExpr(n['port'], `${path}.${k}.port`, ctx) : null, flags: flagsOf(n['flags']) };
    }
    case 'mangle':
      if (!vo || !('key' in vo) || !('value' in vo)) break;
      return { kind: 'mangle', key: readExpr(vo['key'], `${path}.mangle.key`, ctx), value: readExpr(vo['value'], `${path}.mangle.value`, ctx) };
    case 'set': {
      const op = vo ? str(vo['op']) : null;
      const set = vo ? str(vo['set']) : null;
      if (!vo || (op !== 'add' && op !== 'update' && op !== 'delete') || set === null || !('elem' in vo)) break;
      return { kind: 'setop', op, elem: readExpr(vo['elem'], `${path}.set.elem`, ctx), set: set.startsWith('@') ? set.slice(1) : set };
    }
    case 'counter':
      if (typeof v === 'string') return { kind: 'counter', packets: 0, bytes: 0, name: v };
      if (vo && typeof vo['packets'] === 'number' && typeof vo['bytes'] === 'number') return { kind: 'counter', packets: vo['packets'], bytes: vo['bytes'] };
      // `counter` without values (nft -j without -s/--stateless still prints them; be lenient).
      return { kind: 'counter', packets: 0, bytes: 0 };
    case 'log': {
      const n = vo ?? {};
      return { kind: 'log', prefix: str(n['prefix']), level: str(n['level']), group: typeof n['group'] === 'number' ? n['group'] : null };
    }
    case 'limit':
      if (!vo || typeof vo['rate'] !== 'number') break;
      return {
        kind: 'limit',
        rate: vo['rate'],
        per: str(vo['per']) ?? 'second',
        burst: typeof vo['burst'] === 'number' ? vo['burst'] : 5,
        unit: str(vo['rate_unit']) ?? 'packets',
        inv: vo['inv'] === true,
      };
    case 'xt':
      if (vo && typeof vo['name'] === 'string') return { kind: 'xt', type: str(vo['type']) ?? 'match', name: vo['name'] };
      break;
    default:
      ctx.sink.warnAt(path, `unknown statement "${k}" kept verbatim`);
      return { kind: 'unknown', name: k, raw: x };
  }
  ctx.sink.warnAt(path, `malformed "${k}" statement kept verbatim`);
  return { kind: 'unknown', name: k, raw: x };
}

/**
 * Tables iptables-nft writes (they also appear in iptables-save, which models their xt matches). The tracer
 * evaluates these through parseIptablesSave and skips them here, so rules are not counted twice.
 */
export function nftRulesFromIptablesNft(model: NftModel): NftTable[] {
  return model.tables.filter((t) => t.managedBy === 'iptables-nft');
}

/**
 * Base chains attached to `hook` for `family` (an inet table counts for ip and ip6), in the order the kernel
 * runs them: by priority, then by table order. Tables iptables-nft manages are left out (see managedBy).
 */
export function nftBaseChains(model: NftModel, family: 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev', hook: string): NftChain[] {
  const out: NftChain[] = [];
  for (const table of model.tables) {
    if (table.managedBy !== null) continue;
    const applies = table.family === family || (table.family === 'inet' && (family === 'ip' || family === 'ip6'));
    if (!applies) continue;
    for (const name in table.chains) {
      const c = table.chains[name]!;
      if (c.base && c.base.hook === hook) out.push(c);
    }
  }
  // Array.prototype.sort is stable, so equal priorities keep table order.
  return out.sort((a, b) => a.base!.prio - b.base!.prio);
}
