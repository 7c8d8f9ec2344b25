// Small IPv4 helpers for grouping nodes by subnet and matching routes to pod CIDRs.

export function ipToInt(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    n = n * 256 + Number(p);
  }
  return n;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface Cidr {
  base: number;
  len: number;
}

export function parseCidr(text: string): Cidr | null {
  const [ip, lenText] = text.split('/');
  const addr = ip === undefined ? null : ipToInt(ip);
  const len = lenText === undefined ? 32 : Number(lenText);
  if (addr === null || !Number.isInteger(len) || len < 0 || len > 32) return null;
  return { base: len === 0 ? 0 : (addr & maskOf(len)) >>> 0, len };
}

function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.base)}/${c.len}`;
}

export function cidrContains(c: Cidr, ip: string): boolean {
  const n = ipToInt(ip);
  if (n === null) return false;
  return ((n & maskOf(c.len)) >>> 0) === c.base;
}

/** The network an "A.B.C.D/LEN" interface address belongs to, as "NET/LEN". */
export function networkOf(address: string): string | null {
  const c = parseCidr(address);
  return c ? formatCidr(c) : null;
}
