// IPv4 arithmetic on unsigned 32-bit numbers. Addresses stay strings at the edges (model, trace output);
// these helpers exist so lookups compare numbers, not text.

export interface Cidr {
  /** Network address as an unsigned 32-bit number (host bits cleared). */
  net: number;
  len: number;
}

export function ipToInt(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n >>> 0;
}

export function intToIp(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** "A.B.C.D/LEN", "A.B.C.D" (a /32), or "default"/"0.0.0.0/0". Null when it is not IPv4. */
export function parseCidr(text: string): Cidr | null {
  if (text === 'default' || text === 'any' || text === 'all') return { net: 0, len: 0 };
  const slash = text.indexOf('/');
  const ip = ipToInt(slash < 0 ? text : text.slice(0, slash));
  if (ip === null) return null;
  const len = slash < 0 ? 32 : Number(text.slice(slash + 1));
  if (!Number.isInteger(len) || len < 0 || len > 32) return null;
  return { net: (ip & maskOf(len)) >>> 0, len };
}

export function cidrContains(c: Cidr, ip: number): boolean {
  return ((ip & maskOf(c.len)) >>> 0) === c.net;
}

export function inCidr(cidr: string, ip: string): boolean {
  const c = parseCidr(cidr);
  const n = ipToInt(ip);
  return c !== null && n !== null && cidrContains(c, n);
}

export function formatCidr(c: Cidr): string {
  return c.len === 0 ? 'default' : c.len === 32 ? intToIp(c.net) : `${intToIp(c.net)}/${c.len}`;
}
