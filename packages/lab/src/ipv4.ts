// Small IPv4 helpers for the address plan; no dependency needed for this much.

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map((p) => Number(p));
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return Number.NaN;
  return (((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(cidr: string): { network: string; prefix: number } {
  const [ip, len] = cidr.split('/');
  const prefix = Number(len);
  const n = ipToInt(ip ?? '');
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32 || Number.isNaN(n)) return { network: 'invalid', prefix: -1 };
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return { network: intToIp((n & mask) >>> 0), prefix };
}

export function inCidr(ip: string, cidr: string): boolean {
  const { network, prefix } = parseCidr(cidr);
  const n = ipToInt(ip);
  if (prefix < 0 || Number.isNaN(n)) return false;
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return ((n & mask) >>> 0) === ipToInt(network);
}
