// Targets (`-j NAME …`) turned into the model. MARK/CONNMARK variants are normalised to the kernel's xmark
// form so an evaluator needs one formula; the option as written is kept in `written`.

import { parseMarkMask, parseUint32 } from '../net.js';
import type { BuildContext } from './matches.js';
import { arity, type Arity, type RawOption } from './options.js';
import type { IptablesTarget, NatRange, UnknownOption } from './types.js';

const natArity = { '--to-destination': 1, '--to-source': 1, '--to': 1, '--random': 0, '--random-fully': 0, '--persistent': 0 };
const markArity = { '--set-xmark': 1, '--set-mark': 1, '--and-mark': 1, '--or-mark': 1, '--xor-mark': 1 };

const targetArity: Record<string, Readonly<Record<string, number>>> = {
  ACCEPT: {},
  DROP: {},
  RETURN: {},
  NOTRACK: {},
  REJECT: { '--reject-with': 1 },
  DNAT: natArity,
  SNAT: natArity,
  MASQUERADE: { '--to-ports': 1, '--random': 0, '--random-fully': 0 },
  REDIRECT: { '--to-ports': 1, '--random': 0 },
  MARK: markArity,
  CONNMARK: { ...markArity, '--save-mark': 0, '--restore-mark': 0, '--nfmask': 1, '--ctmask': 1, '--mask': 1 },
  LOG: { '--log-level': 1, '--log-prefix': 1, '--log-tcp-sequence': 0, '--log-tcp-options': 0, '--log-ip-options': 0, '--log-uid': 0, '--log-macdecode': 0 },
  CT: { '--notrack': 0, '--helper': 1, '--ctevents': 1, '--expevents': 1, '--zone': 1, '--zone-orig': 1, '--zone-reply': 1, '--timeout': 1 },
};

/**
 * Extension targets that exist in the kernel but are not modelled; a `-j` to one of these is not a dangling
 * jump even when no chain has that name.
 */
export const EXTENSION_TARGETS: ReadonlySet<string> = new Set([
  'AUDIT', 'CHECKSUM', 'CLASSIFY', 'CLUSTERIP', 'CONNSECMARK', 'DSCP', 'ECN', 'HL', 'HMARK', 'IDLETIMER', 'LED', 'MIRROR',
  'NETMAP', 'NFLOG', 'NFQUEUE', 'QUEUE', 'RATEEST', 'SECMARK', 'SET', 'SYNPROXY', 'TCPMSS', 'TCPOPTSTRIP', 'TEE', 'TOS',
  'TPROXY', 'TRACE', 'TTL', 'ULOG', 'SAME', 'BALANCE',
]);

/** Targets with a model of their own (ACCEPT, DNAT, MARK, ...). */
export const MODELLED_TARGETS: readonly string[] = Object.keys(targetArity);

const tables = new Map<string, Arity>();
for (const [name, counts] of Object.entries(targetArity)) tables.set(name, arity(counts));

export function targetArityOf(name: string): Arity | undefined {
  return tables.get(name);
}

export function isModelledTarget(name: string): boolean {
  return targetArity[name] !== undefined;
}

function unknownOpt(target: string, o: RawOption, ctx: BuildContext, extra: UnknownOption[]): void {
  ctx.warn(`unknown option ${o.name} for -j ${target}`);
  extra.push(o);
}

function withExtra<T extends object>(t: T, extra: UnknownOption[]): T {
  if (extra.length > 0) (t as T & { extra: UnknownOption[] }).extra = extra;
  return t;
}

/** `addr[-addr][:port[-port]]`, IPv6 as `[addr]:port`, or `:port` alone. */
export function parseNatRange(text: string): NatRange | null {
  let addrPart: string;
  let portPart: string | null = null;
  if (text.startsWith('[')) {
    const close = text.lastIndexOf(']');
    if (close < 0) return null;
    addrPart = text.slice(0, close + 1).replace(/\[|\]/g, '');
    const rest = text.slice(close + 1);
    if (rest.startsWith(':')) portPart = rest.slice(1);
    else if (rest !== '') return null;
  } else if (text.indexOf(':') !== text.lastIndexOf(':')) {
    addrPart = text; // bare IPv6, no port
  } else {
    const colon = text.indexOf(':');
    addrPart = colon < 0 ? text : text.slice(0, colon);
    if (colon >= 0) portPart = text.slice(colon + 1);
  }
  const r: NatRange = {};
  if (addrPart !== '') {
    const dash = addrPart.indexOf('-');
    r.addrFrom = dash < 0 ? addrPart : addrPart.slice(0, dash);
    r.addrTo = dash < 0 ? addrPart : addrPart.slice(dash + 1);
    if (r.addrFrom === '' || r.addrTo === '') return null;
  }
  if (portPart !== null) {
    const p = portsRange(portPart);
    if (!p) return null;
    r.portFrom = p.from;
    r.portTo = p.to;
  }
  if (r.addrFrom === undefined && r.portFrom === undefined) return null;
  return r;
}

/** "8080" or "1000-2000" (digits only, no regex: this runs for every DNAT rule). */
function portsRange(text: string): { from: number; to: number } | null {
  let from = -1;
  let n = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      n = n * 10 + (c - 48);
      if (++digits > 5) return null;
    } else if (c === 45 && from < 0 && digits > 0) {
      from = n;
      n = 0;
      digits = 0;
    } else return null;
  }
  if (digits === 0) return null;
  if (from < 0) from = n;
  return from <= n && n <= 65535 ? { from, to: n } : null;
}

/** Returns the xmark {value, mask} for one MARK-style option, or null when the value does not parse. */
function xmark(o: RawOption): { value: number; mask: number } | null {
  const text = o.args[0] ?? '';
  switch (o.name) {
    case '--set-xmark': {
      const m = parseMarkMask(text);
      return m && { value: m.value, mask: m.mask };
    }
    case '--set-mark': {
      const m = parseMarkMask(text);
      return m && { value: m.value, mask: (m.mask | m.value) >>> 0 };
    }
    case '--and-mark': {
      const v = parseUint32(text);
      return v === null ? null : { value: 0, mask: ~v >>> 0 };
    }
    case '--or-mark': {
      const v = parseUint32(text);
      return v === null ? null : { value: v, mask: v };
    }
    case '--xor-mark': {
      const v = parseUint32(text);
      return v === null ? null : { value: v, mask: 0 };
    }
  }
  return null;
}

/**
 * `name` is what followed -j/-g. A name that is neither a modelled nor a known extension target, and has no
 * options, is a jump to a user chain; the jump check afterwards says whether that chain exists.
 */
export function buildTarget(name: string, opts: RawOption[], ctx: BuildContext, isGoto: boolean): IptablesTarget {
  if (isGoto) {
    if (opts.length > 0) ctx.warn(`-g ${name} takes no options`);
    return { kind: 'goto', chain: name };
  }
  if (!tables.has(name) && !EXTENSION_TARGETS.has(name) && opts.length === 0) return { kind: 'jump', chain: name };
  const extra: UnknownOption[] = [];
  switch (name) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
    case 'NOTRACK':
      for (const o of opts) unknownOpt(name, o, ctx, extra);
      return { kind: name === 'ACCEPT' ? 'accept' : name === 'DROP' ? 'drop' : name === 'RETURN' ? 'return' : 'notrack' };
    case 'REJECT': {
      let withType: string | null = null;
      for (const o of opts) {
        if (o.name === '--reject-with') withType = o.args[0]!;
        else unknownOpt(name, o, ctx, extra);
      }
      return withExtra({ kind: 'reject', with: withType }, extra);
    }
    case 'DNAT':
    case 'SNAT': {
      const to: NatRange[] = [];
      let random = false;
      let randomFully = false;
      let persistent = false;
      const want = name === 'DNAT' ? '--to-destination' : '--to-source';
      for (const o of opts) {
        if (o.name === want || o.name === '--to') {
          const r = parseNatRange(o.args[0]!);
          if (r) to.push(r);
          else {
            ctx.warn(`-j ${name} ${o.name} has an invalid address/port "${o.args[0]!}"`);
            extra.push(o);
          }
        } else if (o.name === '--random') random = true;
        else if (o.name === '--random-fully' && name === 'SNAT') randomFully = true;
        else if (o.name === '--persistent') persistent = true;
        else unknownOpt(name, o, ctx, extra);
      }
      if (to.length === 0) ctx.warn(`-j ${name} without ${want}`);
      return name === 'DNAT'
        ? withExtra({ kind: 'dnat', to, random, persistent }, extra)
        : withExtra({ kind: 'snat', to, random, randomFully, persistent }, extra);
    }
    case 'MASQUERADE':
    case 'REDIRECT': {
      let toPorts: { from: number; to: number } | null = null;
      let random = false;
      let randomFully = false;
      for (const o of opts) {
        if (o.name === '--to-ports') {
          toPorts = portsRange(o.args[0]!);
          if (!toPorts) {
            ctx.warn(`-j ${name} --to-ports has an invalid port range "${o.args[0]!}"`);
            extra.push(o);
          }
        } else if (o.name === '--random') random = true;
        else if (o.name === '--random-fully' && name === 'MASQUERADE') randomFully = true;
        else unknownOpt(name, o, ctx, extra);
      }
      return name === 'MASQUERADE' ? withExtra({ kind: 'masquerade', toPorts, random, randomFully }, extra) : withExtra({ kind: 'redirect', toPorts, random }, extra);
    }
    case 'MARK': {
      let result: { value: number; mask: number; written: string } | null = null;
      for (const o of opts) {
        const x = o.name in markArity ? xmark(o) : null;
        if (x) result = { ...x, written: `${o.name} ${o.args[0]!}` };
        else if (o.name in markArity) {
          ctx.warn(`-j MARK ${o.name} has an invalid value "${o.args[0] ?? ''}"`);
          extra.push(o);
        } else unknownOpt(name, o, ctx, extra);
      }
      if (!result) {
        ctx.warn('-j MARK without a mark operation');
        result = { value: 0, mask: 0, written: '' };
      }
      return withExtra({ kind: 'mark', ...result }, extra);
    }
    case 'CONNMARK':
      return buildConnmark(opts, ctx, extra);
    case 'LOG': {
      let prefix: string | null = null;
      let level: string | null = null;
      const options: UnknownOption[] = [];
      for (const o of opts) {
        if (o.name === '--log-prefix') prefix = o.args[0]!;
        else if (o.name === '--log-level') level = o.args[0]!;
        else options.push(o);
      }
      return { kind: 'log', prefix, level, options };
    }
    case 'CT': {
      let notrack = false;
      const options: UnknownOption[] = [];
      for (const o of opts) {
        if (o.name === '--notrack') notrack = true;
        else options.push(o);
      }
      return { kind: 'ct', notrack, options };
    }
  }
  const args: string[] = [];
  for (const o of opts) {
    if (o.negate) args.push('!');
    args.push(o.name, ...o.args);
  }
  if (!EXTENSION_TARGETS.has(name) && opts.length > 0) ctx.warn(`unknown target -j ${name} kept verbatim`);
  return { kind: 'other', name, args };
}

function buildConnmark(opts: RawOption[], ctx: BuildContext, extra: UnknownOption[]): IptablesTarget {
  let op: 'set' | 'save' | 'restore' | null = null;
  let value: number | undefined;
  let mask: number | undefined;
  let nfmask = 0xffffffff;
  let ctmask = 0xffffffff;
  let written = '';
  for (const o of opts) {
    if (o.name in markArity) {
      const x = xmark(o);
      if (!x) {
        ctx.warn(`-j CONNMARK ${o.name} has an invalid value "${o.args[0] ?? ''}"`);
        extra.push(o);
        continue;
      }
      op = 'set';
      value = x.value;
      mask = x.mask;
      written = `${o.name} ${o.args[0]!}`;
    } else if (o.name === '--save-mark' || o.name === '--restore-mark') {
      op = o.name === '--save-mark' ? 'save' : 'restore';
      written = o.name;
    } else if (o.name === '--nfmask' || o.name === '--ctmask' || o.name === '--mask') {
      const v = parseUint32(o.args[0]!);
      if (v === null) {
        ctx.warn(`-j CONNMARK ${o.name} has an invalid value "${o.args[0]!}"`);
        extra.push(o);
      } else if (o.name === '--nfmask') nfmask = v;
      else if (o.name === '--ctmask') ctmask = v;
      else nfmask = ctmask = v;
    } else unknownOpt('CONNMARK', o, ctx, extra);
  }
  if (op === null) {
    ctx.warn('-j CONNMARK without --set-xmark/--save-mark/--restore-mark');
    return withExtra({ kind: 'connmark', op: 'set', value: 0, mask: 0, written }, extra);
  }
  if (op === 'set') return withExtra({ kind: 'connmark', op, value: value!, mask: mask!, written }, extra);
  return withExtra({ kind: 'connmark', op, nfmask, ctmask, written }, extra);
}

/** Every target name and target option name the model knows, for interning. */
export function knownTargetWords(): string[] {
  const out = new Set<string>(EXTENSION_TARGETS);
  for (const [name, arity] of Object.entries(targetArity)) {
    out.add(name);
    for (const o of Object.keys(arity)) out.add(o);
  }
  return [...out];
}
