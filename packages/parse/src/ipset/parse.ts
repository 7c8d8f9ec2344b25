// `ipset save` output (`create NAME TYPE opts…` / `add NAME MEMBER opts…`) to sets with typed members, and a
// membership test that follows the kernel's rules closely enough for kube-proxy's IPVS sets and Calico's
// `cali40…` sets: ip equality, net containment (most specific entry wins, `nomatch` entries exclude),
// port with protocol, ranges.

import { ParseError, WarningSink, type ParseWarning } from '../errors.js';
import { cidrContains, parseCidr, parseIPv4, parseIPv6 } from '../net.js';
import { TokenizeError, tokenizeRule } from '../iptables/tokenize.js';

export type IpsetDimension = 'ip' | 'net' | 'port' | 'mac' | 'iface' | 'mark';

export interface IpsetSet {
  name: string;
  /** As written: "hash:ip,port", "bitmap:port", ... */
  type: string;
  /** The set's dimensions in order, from the type ("hash:ip,port,ip" -> ["ip", "port", "ip"]). */
  dimensions: IpsetDimension[];
  family: 'inet' | 'inet6' | null;
  /** create-line options (hashsize, maxelem, range, timeout, ...), values as text; flags map to "". */
  options: Record<string, string>;
  members: IpsetMember[];
  line: number;
}

export interface IpsetMember {
  /** The member as written: "10.96.0.10,udp:53". */
  entry: string;
  /** One parsed part per dimension. */
  parts: IpsetPart[];
  /** `nomatch`: an exception inside a hash:net set. */
  nomatch: boolean;
  timeout?: number;
  comment?: string;
  line: number;
  raw: string;
}

export type IpsetPart =
  | { dim: 'ip'; from: string; to: string }
  | { dim: 'net'; cidr: string }
  | { dim: 'port'; proto: string | null; lo: number; hi: number }
  | { dim: 'mac' | 'iface' | 'mark'; value: string };

const DIMS: Record<string, IpsetDimension> = { ip: 'ip', net: 'net', port: 'port', mac: 'mac', iface: 'iface', mark: 'mark' };

export interface IpsetParseResult {
  sets: Map<string, IpsetSet>;
  warnings: ParseWarning[];
}

export function parseIpsetSave(text: string, opts: { strict?: boolean } = {}): Map<string, IpsetSet> {
  return parseIpsetSaveWithWarnings(text, opts).sets;
}

export function parseIpsetSaveWithWarnings(text: string, opts: { strict?: boolean } = {}): IpsetParseResult {
  if (typeof text !== 'string') throw new ParseError(0, 'ipset save input must be a string', typeof text);
  const sink = new WarningSink(opts.strict === true);
  const sets = new Map<string, IpsetSet>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    let words: string[];
    try {
      words = tokenizeRule(raw.trim());
    } catch (e) {
      if (e instanceof TokenizeError) throw new ParseError(lineNo, e.message, raw);
      throw e;
    }
    const [cmd, name, arg] = words;
    if (cmd === 'create' || cmd === '-N' || cmd === '-exist') {
      if (!name || !arg) throw new ParseError(lineNo, 'create needs a set name and a type', raw);
      if (sets.has(name)) throw new ParseError(lineNo, `set ${name} created twice`, raw);
      const [method, dimText] = arg.split(':');
      if (!method || !dimText) throw new ParseError(lineNo, `bad set type ${arg}`, raw);
      const dimensions: IpsetDimension[] = [];
      for (const d of dimText.split(',')) {
        const dim = DIMS[d];
        if (!dim) throw new ParseError(lineNo, `unknown dimension "${d}" in set type ${arg}`, raw);
        dimensions.push(dim);
      }
      if (method !== 'hash' && method !== 'bitmap' && method !== 'list') sink.warn(lineNo, `unknown set method ${method}`, raw);
      const options: Record<string, string> = {};
      for (let k = 3; k < words.length; k++) {
        const w = words[k]!;
        // Flag options have no value; everything else is "key value".
        if (w === 'counters' || w === 'comment' || w === 'skbinfo' || w === 'forceadd') options[w] = '';
        else options[w] = words[++k] ?? '';
      }
      const family = options['family'] === 'inet6' ? 'inet6' : options['family'] === 'inet' ? 'inet' : dimensions.includes('ip') || dimensions.includes('net') ? 'inet' : null;
      sets.set(name, { name, type: arg, dimensions, family, options, members: [], line: lineNo });
      continue;
    }
    if (cmd === 'add' || cmd === '-A') {
      if (!name || !arg) throw new ParseError(lineNo, 'add needs a set name and a member', raw);
      const set = sets.get(name);
      if (!set) throw new ParseError(lineNo, `add to set ${name}, which was not created before`, raw);
      const member = parseMember(set, arg, lineNo, raw);
      for (let k = 3; k < words.length; k++) {
        const w = words[k]!;
        if (w === 'nomatch') member.nomatch = true;
        else if (w === 'timeout') member.timeout = Number(words[++k]);
        else if (w === 'comment') member.comment = words[++k] ?? '';
        else if (w === 'packets' || w === 'bytes' || w === 'skbmark' || w === 'skbprio' || w === 'skbqueue') k++;
        else sink.warn(lineNo, `unknown member option ${w}`, raw);
      }
      set.members.push(member);
      continue;
    }
    throw new ParseError(lineNo, 'not an ipset save line (want "create ..." or "add ...")', raw);
  }
  return { sets, warnings: sink.warnings };
}

function parseMember(set: IpsetSet, entry: string, line: number, raw: string): IpsetMember {
  const texts = entry.split(',');
  if (texts.length !== set.dimensions.length) throw new ParseError(line, `member ${entry} has ${texts.length} parts, set ${set.name} (${set.type}) has ${set.dimensions.length}`, raw);
  const parts: IpsetPart[] = [];
  for (let i = 0; i < texts.length; i++) {
    const t = texts[i]!;
    const dim = set.dimensions[i]!;
    const part = parsePart(dim, t);
    if (!part) throw new ParseError(line, `"${t}" is not a valid ${dim} in set ${set.name}`, raw);
    parts.push(part);
  }
  return { entry, parts, nomatch: false, line, raw };
}

function isIp(text: string): boolean {
  return parseIPv4(text) !== null || parseIPv6(text) !== null;
}

function parsePart(dim: IpsetDimension, t: string): IpsetPart | null {
  switch (dim) {
    case 'ip': {
      // An ip dimension may hold a range or a CIDR block when the set was created with them.
      if (t.includes('/')) return parseCidr(t) ? { dim: 'net', cidr: t } : null;
      const dash = t.indexOf('-');
      if (dash > 0 && !t.includes(':')) {
        const from = t.slice(0, dash);
        const to = t.slice(dash + 1);
        return isIp(from) && isIp(to) ? { dim: 'ip', from, to } : null;
      }
      return isIp(t) ? { dim: 'ip', from: t, to: t } : null;
    }
    case 'net': {
      const cidr = t.includes('/') ? t : `${t}/${t.includes(':') ? 128 : 32}`;
      return parseCidr(cidr) ? { dim: 'net', cidr } : null;
    }
    case 'port': {
      // "udp:53", "tcp:1000-2000", "53" (tcp by default for hash types, no protocol for bitmap:port).
      const colon = t.indexOf(':');
      const proto = colon < 0 ? null : t.slice(0, colon).toLowerCase();
      const rest = colon < 0 ? t : t.slice(colon + 1);
      const m = /^(\d+)(?:-(\d+))?$/.exec(rest);
      if (!m) return null;
      const lo = Number(m[1]);
      const hi = Number(m[2] ?? m[1]);
      return lo <= hi && hi <= 65535 ? { dim: 'port', proto, lo, hi } : null;
    }
    default:
      return { dim, value: t.toLowerCase() };
  }
}

/** A lookup value for one dimension: an address, a port (with protocol) or a name. */
export type IpsetKeyPart = string | number | { proto: string; port: number };

function partMatches(part: IpsetPart, key: IpsetKeyPart, setType: string): boolean {
  switch (part.dim) {
    case 'ip':
      if (typeof key !== 'string') return false;
      if (part.from === part.to) return sameIp(part.from, key);
      return inIpRange(part.from, part.to, key);
    case 'net':
      return typeof key === 'string' && cidrContains(part.cidr, key);
    case 'port': {
      const port = typeof key === 'number' ? key : typeof key === 'object' ? key.port : Number(key);
      const proto = typeof key === 'object' ? key.proto.toLowerCase() : null;
      if (port < part.lo || port > part.hi) return false;
      // bitmap:port has no protocol; hash types default to tcp when the entry has none.
      if (setType.startsWith('bitmap:') || proto === null) return true;
      return (part.proto ?? 'tcp') === proto;
    }
    default:
      return typeof key === 'string' && key.toLowerCase() === part.value;
  }
}

function sameIp(a: string, b: string): boolean {
  const a4 = parseIPv4(a);
  if (a4 !== null) return a4 === parseIPv4(b);
  const a6 = parseIPv6(a);
  return a6 !== null && a6 === parseIPv6(b);
}

function inIpRange(from: string, to: string, ip: string): boolean {
  const f4 = parseIPv4(from);
  if (f4 !== null) {
    const v = parseIPv4(ip);
    const t4 = parseIPv4(to);
    return v !== null && t4 !== null && v >= f4 && v <= t4;
  }
  const f6 = parseIPv6(from);
  const t6 = parseIPv6(to);
  const v6 = parseIPv6(ip);
  return f6 !== null && t6 !== null && v6 !== null && v6 >= f6 && v6 <= t6;
}

function specificity(m: IpsetMember): number {
  let n = 0;
  for (const p of m.parts) if (p.dim === 'net') n += Number(p.cidr.slice(p.cidr.indexOf('/') + 1));
  return n;
}

/**
 * Whether the set holds the key, one value per dimension in order, e.g.
 * `ipsetContains(set, '10.96.0.10', {proto: 'udp', port: 53})` for hash:ip,port.
 * With net dimensions the most specific matching entry decides, so a `nomatch` entry carves out a hole.
 */
export function ipsetContains(set: IpsetSet, ...key: IpsetKeyPart[]): boolean {
  if (key.length !== set.dimensions.length) return false;
  let best: IpsetMember | null = null;
  for (const m of set.members) {
    let ok = true;
    for (let i = 0; i < m.parts.length && ok; i++) ok = partMatches(m.parts[i]!, key[i]!, set.type);
    if (ok && (best === null || specificity(m) > specificity(best))) best = m;
  }
  return best !== null && !best.nomatch;
}
