// Address, port and mark helpers shared by the parsers and by every evaluator downstream (iptables, nft, IPVS),
// so the three dataplane readers agree on what "10.0.0.0/8 contains 10.1.2.3" means.

/** Dotted-quad IPv4 to an unsigned 32-bit number; null when the text is not exactly four 0-255 decimals. */
export function parseIPv4(text: string): number | null {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      // Leading zeros are refused: "010" is octal to some tools and decimal to others.
      if (digits > 0 && part === 0) return null;
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return null;
    } else if (c === 46) {
      if (digits === 0 || dots === 3) return null;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else return null;
  }
  if (dots !== 3 || digits === 0) return null;
  return (value * 256 + part) >>> 0;
}

export function formatIPv4(value: number): string {
  return `${(value >>> 24) & 255}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** IPv6 text (with :: and an optional trailing dotted quad) to a 128-bit bigint; null when malformed. */
export function parseIPv6(text: string): bigint | null {
  if (text.length < 2 || text.length > 45) return null;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const dbl = text.indexOf('::');
  if (dbl >= 0 && text.indexOf('::', dbl + 1) >= 0) return null;
  const parseGroups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  let groups: number[];
  if (dbl >= 0) {
    const head = parseGroups(text.slice(0, dbl));
    const tail = parseGroups(text.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = parseGroups(text);
    if (!all || all.length !== 8) return null;
    groups = all;
  }
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  return value;
}

export type IpFamily = 'ipv4' | 'ipv6';

export function ipFamily(text: string): IpFamily | null {
  if (parseIPv4(text) !== null) return 'ipv4';
  if (parseIPv6(text) !== null) return 'ipv6';
  return null;
}

/** A parsed prefix. `mask` is set instead of a prefix length for iptables' non-contiguous dotted masks. */
export interface Cidr {
  family: IpFamily;
  /** The address as written (host bits may be set, e.g. "10.244.1.5/24" in a route). */
  addr: string;
  prefixLen: number;
  /** Network and mask as numbers (IPv4) or bigints (IPv6), host bits cleared. */
  network: number | bigint;
  mask: number | bigint;
}

function v4Mask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}
function v6Mask(len: number): bigint {
  return len === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - len)) - 1n);
}

/** "10.0.0.0/8", "10.1.2.3" (a /32), "fd00::/64", "10.0.0.0/255.0.255.0" (iptables dotted mask). */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const lenText = slash < 0 ? null : text.slice(slash + 1);
  const v4 = parseIPv4(addr);
  if (v4 !== null) {
    let prefixLen = 32;
    let mask = 0xffffffff;
    if (lenText !== null) {
      if (/^\d{1,2}$/.test(lenText)) {
        prefixLen = Number(lenText);
        if (prefixLen > 32) return null;
        mask = v4Mask(prefixLen);
      } else {
        const m = parseIPv4(lenText);
        if (m === null) return null;
        mask = m;
        prefixLen = contiguousLength(m);
      }
    }
    return { family: 'ipv4', addr, prefixLen, network: (v4 & mask) >>> 0, mask };
  }
  const v6 = parseIPv6(addr);
  if (v6 === null) return null;
  let prefixLen = 128;
  if (lenText !== null) {
    if (!/^\d{1,3}$/.test(lenText)) return null;
    prefixLen = Number(lenText);
    if (prefixLen > 128) return null;
  }
  const mask = v6Mask(prefixLen);
  return { family: 'ipv6', addr, prefixLen, network: v6 & mask, mask };
}

/** Length of a contiguous IPv4 mask, or -1 when its bits are not contiguous. */
function contiguousLength(mask: number): number {
  for (let len = 0; len <= 32; len++) if (v4Mask(len) === mask) return len;
  return -1;
}

/** Whether `ip` falls inside `cidr` (text or parsed). Addresses of the other family never match. */
export function cidrContains(cidr: string | Cidr, ip: string): boolean {
  const c = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
  if (!c) return false;
  if (c.family === 'ipv4') {
    const v = parseIPv4(ip);
    return v !== null && ((v & (c.mask as number)) >>> 0) === c.network;
  }
  const v = parseIPv6(ip);
  return v !== null && (v & (c.mask as bigint)) === c.network;
}

/** Longest-prefix choice: the index of the most specific prefix containing `ip`, or -1. */
export function longestPrefixMatch(prefixes: ReadonlyArray<string | Cidr>, ip: string): number {
  let best = -1;
  let bestLen = -1;
  for (let i = 0; i < prefixes.length; i++) {
    const p = prefixes[i]!;
    const c = typeof p === 'string' ? parseCidr(p) : p;
    if (c && c.prefixLen > bestLen && cidrContains(c, ip)) {
      best = i;
      bestLen = c.prefixLen;
    }
  }
  return best;
}

/** An inclusive port range; a single port has lo === hi. */
export interface PortRange {
  lo: number;
  hi: number;
}

/** "80", "1000:2000" (iptables) or "1000-2000" (nft, ipset). Null when not a valid 0-65535 range. */
export function parsePortRange(text: string): PortRange | null {
  let sep = text.indexOf(':');
  if (sep < 0) sep = text.indexOf('-');
  const loText = sep < 0 ? text : text.slice(0, sep);
  const hiText = sep < 0 ? text : text.slice(sep + 1);
  // iptables accepts open ranges ":1024" and "1024:".
  const lo = loText === '' ? 0 : toPort(loText);
  const hi = hiText === '' ? 65535 : toPort(hiText);
  if (lo === null || hi === null || lo > hi) return null;
  return { lo, hi };
}

function toPort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 ? n : null;
}

export function portInRange(range: PortRange, port: number): boolean {
  return port >= range.lo && port <= range.hi;
}

/** iptables-style `value/mask`: `(mark & mask) === value`. A mark without a mask compares all 32 bits. */
export interface MarkMask {
  value: number;
  mask: number;
}

export function parseMarkMask(text: string): MarkMask | null {
  const slash = text.indexOf('/');
  const value = parseUint32(slash < 0 ? text : text.slice(0, slash));
  const mask = slash < 0 ? 0xffffffff : parseUint32(text.slice(slash + 1));
  if (value === null || mask === null) return null;
  return { value, mask };
}

export function markMatches(m: MarkMask, mark: number): boolean {
  return ((mark & m.mask) >>> 0) === ((m.value & m.mask) >>> 0);
}

/** Decimal or 0x-hex unsigned 32-bit number. */
export function parseUint32(text: string): number | null {
  if (!/^(0x[0-9a-fA-F]{1,8}|\d{1,10})$/.test(text)) return null;
  const n = Number(text);
  return n <= 0xffffffff ? n >>> 0 : null;
}

export function formatHex(value: number): string {
  return `0x${(value >>> 0).toString(16)}`;
}

/** Interface names with iptables' trailing-`+` wildcard ("veth+" matches every name starting "veth"). */
export function ifaceMatches(pattern: string, name: string): boolean {
  if (pattern.endsWith('+')) return name.startsWith(pattern.slice(0, -1));
  return pattern === name;
}

const PROTO_BY_NUMBER: Record<string, string> = { '0': 'all', '1': 'icmp', '2': 'igmp', '4': 'ipip', '6': 'tcp', '17': 'udp', '41': 'ipv6', '47': 'gre', '50': 'esp', '51': 'ah', '58': 'ipv6-icmp', '89': 'ospf', '132': 'sctp', '136': 'udplite' };
const PROTO_NUMBER: Record<string, number> = { all: 0, icmp: 1, igmp: 2, ipip: 4, tcp: 6, udp: 17, ipv6: 41, gre: 47, esp: 50, ah: 51, 'ipv6-icmp': 58, icmpv6: 58, ospf: 89, sctp: 132, udplite: 136 };

/** Protocol names as /etc/protocols spells them; numbers with a well-known name become that name. */
export function normaliseProto(text: string | number): string {
  const s = String(text).toLowerCase();
  if (s === 'icmpv6') return 'ipv6-icmp';
  return PROTO_BY_NUMBER[s] ?? s;
}

export function protoNumber(text: string | number): number | null {
  if (typeof text === 'number') return text;
  if (/^\d+$/.test(text)) return Number(text);
  return PROTO_NUMBER[text.toLowerCase()] ?? null;
}
