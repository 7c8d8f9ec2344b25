import { isIP, isIPv6 } from 'node:net';

// DNS rebinding: a page on evil.example can point its own name at this server's address, and the browser then
// lets that page read our answers, because to the browser it is still evil.example. The request carries the
// attacker's name in its Host header, so answering only for names we know closes that door. IP literals
// are safe from rebinding (the page's origin is then the address itself), and localhost names never reach DNS
// in browsers (RFC 6761), so those are accepted without being listed.

/** A host name or IP literal as we compare them: lower case, no trailing dot, IPv6 without brackets, canonical. */
export type HostName = string;

// Underscores are not in RFC 1123 host names but do occur in real ones (Docker Compose service names).
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const PORT = /^\d{0,5}$/;

function canonicalIp(ip: string): string {
  // ::ffff:127.0.0.1 is how a dual-stack socket reports an IPv4 peer; compare it as the IPv4 address it is.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  // The URL parser writes IPv6 in its one canonical text form (RFC 5952), so 0:0::1 and ::1 compare equal.
  return isIPv6(ip) ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

function isDnsName(name: string): boolean {
  return name.length <= 253 && name.split('.').every((label) => LABEL.test(label));
}

/**
 * A name as given to `--allowed-host`: a DNS name or an IP literal (IPv6 with or without brackets), any case,
 * with or without a trailing dot. Returns null when it is neither.
 */
export function normalizeAllowedHost(text: string): HostName | null {
  let name = text.trim().toLowerCase();
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  if (isIP(name)) return canonicalIp(name);
  if (name.endsWith('.')) name = name.slice(0, -1);
  return name.length > 0 && isDnsName(name) ? name : null;
}

/** The host part of a Host header (RFC 9110 7.2: uri-host [":" port]), or null when the header is malformed. */
export function hostOfHeader(header: string): HostName | null {
  if (header.startsWith('[')) {
    const end = header.indexOf(']');
    const rest = end < 0 ? '' : header.slice(end + 1);
    if (end < 0 || !(rest === '' || (rest.startsWith(':') && PORT.test(rest.slice(1))))) return null;
    const ip = header.slice(1, end);
    return isIPv6(ip) ? canonicalIp(ip) : null;
  }
  // Without brackets there is at most one colon, before the port: a bare IPv6 address is not a valid Host.
  const colon = header.indexOf(':');
  const host = colon < 0 ? header : header.slice(0, colon);
  if (colon >= 0 && !PORT.test(header.slice(colon + 1))) return null;
  if (host.includes('[') || host.includes(']')) return null;
  return normalizeAllowedHost(host);
}

export type HostVerdict = { ok: true } | { ok: false; status: 400 | 421; message: string };

/**
 * Decides whether to answer a request that arrived on `localAddress` with this Host header. Accepted: IP
 * literals equal to the address the connection arrived on (the listen address, or with a wildcard listen the
 * interface address the client used, such as a kubelet probing the pod IP), `localhost` and `*.localhost`,
 * and the names in `allowed`.
 */
export function checkHost(header: string | undefined, localAddress: string | undefined, allowed: ReadonlySet<HostName>): HostVerdict {
  // Browsers always send Host; only a hand-made HTTP/1.0 request can leave it out.
  if (header === undefined || header === '') return { ok: false, status: 400, message: 'This request has no Host header; Patchbay needs one.\n' };
  const host = hostOfHeader(header);
  if (host === null) return { ok: false, status: 400, message: 'This request has a malformed Host header.\n' };
  if (host === 'localhost' || host.endsWith('.localhost')) return { ok: true };
  if (allowed.has(host)) return { ok: true };
  if (isIP(host) && localAddress !== undefined && canonicalIp(localAddress) === host) return { ok: true };
  return {
    ok: false,
    status: 421,
    message:
      'This Patchbay server does not answer for the host name in this request (a guard against DNS rebinding).\n' +
      'If you reach it through a name of your own, start it with --allowed-host NAME.\n',
  };
}
