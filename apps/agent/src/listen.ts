import { BlockList, isIP } from 'node:net';

// Where `serve` listens, and whether it may do so without a token. A snapshot describes a node's whole network
// (and, before issue 25, carried CNI credentials): on any address other processes or hosts can reach, it must not
// be served to whoever asks. Loopback is the default; anything else needs --token-file, or an explicit
// --insecure-allow-unauthenticated.

export const DEFAULT_LISTEN = { host: '127.0.0.1', port: 9465 };

/** `ADDR:PORT`, `[V6ADDR]:PORT` or `PORT` (on loopback). */
export function parseListen(v: string): { host: string; port: number } | null {
  const m = /^(?:\[?([^\]]*)\]?:)?(\d+)$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) return null;
  return { host: m[1] || DEFAULT_LISTEN.host, port };
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');
loopback.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** Only what certainly reaches this host alone: 127.0.0.0/8, ::1 and `localhost`. A host name could be anything. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const family = isIP(host);
  if (family === 4) return loopback.check(host, 'ipv4');
  if (family === 6) return loopback.check(host, 'ipv6');
  return false;
}

export function formatListen(l: { host: string; port: number }): string {
  return `${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`;
}
