import { ipToInt, parseCidr, maskOf } from '@patchbay/resolve';

// Address and protocol helpers the three evaluators share, so "10.0.0.0/8 contains 10.1.2.3" means the same
// to iptables, nft and IPVS.

export interface CompiledCidr {
  net: number;
  mask: number;
}

const cidrCache = new Map<string, CompiledCidr | null>();

/** "A.B.C.D/LEN" (or a dotted mask, or a bare address) compiled once and cached. */
export function compileCidr(text: string): CompiledCidr | null {
  let c = cidrCache.get(text);
  if (c !== undefined) return c;
  c = null;
  const slash = text.indexOf('/');
  if (slash > 0 && text.slice(slash + 1).includes('.')) {
    const ip = ipToInt(text.slice(0, slash));
    const mask = ipToInt(text.slice(slash + 1));
    if (ip !== null && mask !== null) c = { net: (ip & mask) >>> 0, mask };
  } else {
    const p = parseCidr(text);
    if (p) c = { net: p.net, mask: maskOf(p.len) };
  }
  if (cidrCache.size > 200_000) cidrCache.clear();
  cidrCache.set(text, c);
  return c;
}

export function inCompiled(c: CompiledCidr, ip: number): boolean {
  return ((ip & c.mask) >>> 0) === c.net;
}

export function ipInCidr(cidr: string, ip: string): boolean {
  const c = compileCidr(cidr);
  const n = ipToInt(ip);
  return c !== null && n !== null && inCompiled(c, n);
}

const PROTO_NUM: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, sctp: 132 };

/** "tcp", "6", "TCP" -> 6; "all"/"0" -> 0; unknown -> -1. */
export function protoNum(text: string | number): number {
  if (typeof text === 'number') return text;
  const t = text.toLowerCase();
  if (t === 'all') return 0;
  if (/^\d+$/.test(t)) return Number(t);
  return PROTO_NUM[t] ?? -1;
}

export function stripCounters(raw: string): string {
  return raw.replace(/^\[\d+:\d+\]\s+/, '');
}

export function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}
