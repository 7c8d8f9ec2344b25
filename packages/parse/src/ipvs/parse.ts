// `ipvsadm -Ln [--exact]` text (and /proc/net/ip_vs, whose layout is the same with hex addresses) to a list
// of virtual services with their real servers. Each service and real server keeps its line as evidence.

import { ParseError, WarningSink, type ParseWarning } from '../errors.js';
import { formatIPv4 } from '../net.js';

export type IpvsForward = 'masq' | 'local' | 'tunnel' | 'route' | 'unknown';

export interface IpvsRealServer {
  address: string;
  port: number;
  /** Masq = NAT (kube-proxy), Route = direct routing, Tunnel = IPIP, Local = the node itself. */
  forward: IpvsForward;
  weight: number;
  activeConns: number;
  inactiveConns: number;
  raw: string;
  line: number;
}

export interface IpvsService {
  /** tcp/udp/sctp for address services, null for firewall-mark services. */
  protocol: 'tcp' | 'udp' | 'sctp' | null;
  family: 'ipv4' | 'ipv6';
  vip: string | null;
  port: number | null;
  fwmark: number | null;
  scheduler: string;
  /** Scheduler flags as printed in parentheses: flag-1 / sh-fallback / sh-port / mh-port ... */
  flags: string[];
  /** ClientIP affinity timeout in seconds (`persistent N`); null when not persistent. */
  persistent: number | null;
  persistenceMask: string | null;
  /** One-packet scheduling (`ops`). */
  onePacket: boolean;
  realServers: IpvsRealServer[];
  raw: string;
  line: number;
  /** "ipvsadm -Ln / TCP 10.96.0.1:443" */
  origin: string;
}

export interface IpvsParseResult {
  services: IpvsService[];
  warnings: ParseWarning[];
}

const FORWARD: Record<string, IpvsForward> = { masq: 'masq', local: 'local', tunnel: 'tunnel', route: 'route', tunl: 'tunnel', gate: 'route' };

/** Splits "10.96.0.1:443", "[fd00::1]:443" or hex "0A600001:01BB" / "[FD00...]:01BB" (proc form). */
function splitAddrPort(text: string, hex: boolean): { addr: string; port: number; family: 'ipv4' | 'ipv6' } | null {
  let addr: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return null;
    addr = text.slice(1, close);
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return null;
    addr = text.slice(0, colon);
    portText = text.slice(colon + 1);
  }
  const port = hex ? parseInt(portText, 16) : Number(portText);
  if (!/^[0-9a-fA-F]+$/.test(portText) || !Number.isInteger(port) || port > 65535) return null;
  if (addr.includes(':')) return { addr: addr.toLowerCase(), port, family: 'ipv6' };
  if (hex) {
    if (!/^[0-9A-Fa-f]{8}$/.test(addr)) return null;
    return { addr: formatIPv4(parseInt(addr, 16) >>> 0), port, family: 'ipv4' };
  }
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(addr)) return null;
  return { addr, port, family: 'ipv4' };
}

/**
 * Parses `ipvsadm -Ln` / `ipvsadm -Ln --exact` output, or /proc/net/ip_vs. Throws ParseError for lines that
 * fit neither form (strict mode also for unknown service options, which are otherwise warnings).
 */
export function parseIpvsadm(text: string, opts: { strict?: boolean; origin?: string } = {}): IpvsService[] {
  return parseIpvsadmWithWarnings(text, opts).services;
}

export function parseIpvsadmWithWarnings(text: string, opts: { strict?: boolean; origin?: string } = {}): IpvsParseResult {
  if (typeof text !== 'string') throw new ParseError(0, 'ipvsadm input must be a string', typeof text);
  const sink = new WarningSink(opts.strict === true);
  const services: IpvsService[] = [];
  let current: IpvsService | null = null;
  // /proc/net/ip_vs writes addresses in hex; ipvsadm prints dotted quads.
  let hex = false;
  const lines = text.split('\n');
  const prefix = opts.origin ?? 'ipvsadm -Ln';
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!.replace(/\r$/, '');
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('IP Virtual Server version') || line.startsWith('Prot LocalAddress') || line.startsWith('-> RemoteAddress')) continue;
    const words = line.split(/\s+/);
    if (words[0] === '->') {
      if (!current) throw new ParseError(lineNo, 'real server before any virtual service', raw);
      const ap = splitAddrPort(words[1] ?? '', hex);
      if (!ap || words.length < 6) throw new ParseError(lineNo, 'bad real server line (want "-> ADDR:PORT FORWARD WEIGHT ACTIVE INACTIVE")', raw);
      const [, , fwd, weight, active, inactive] = words as [string, string, string, string, string, string];
      const forward = FORWARD[fwd.toLowerCase()] ?? 'unknown';
      if (forward === 'unknown') sink.warn(lineNo, `unknown forwarding method ${fwd}`, raw);
      const nums = [weight, active, inactive].map(Number);
      if (nums.some((n) => !Number.isInteger(n) || n < 0)) throw new ParseError(lineNo, 'weight and connection counts must be whole numbers', raw);
      current.realServers.push({ address: ap.addr, port: ap.port, forward, weight: nums[0]!, activeConns: nums[1]!, inactiveConns: nums[2]!, raw, line: lineNo });
      continue;
    }
    const proto = words[0]!.toUpperCase();
    if (proto !== 'TCP' && proto !== 'UDP' && proto !== 'SCTP' && proto !== 'FWM') throw new ParseError(lineNo, 'not an ipvsadm line', raw);
    let k = 1;
    let vip: string | null = null;
    let port: number | null = null;
    let fwmark: number | null = null;
    let family: 'ipv4' | 'ipv6' = 'ipv4';
    const target = words[k++] ?? '';
    if (proto === 'FWM') {
      // ipvsadm prints the mark in decimal; /proc/net/ip_vs zero-pads it to 8 hex digits.
      if (/^[0-9A-Fa-f]{8}$/.test(target)) hex = true;
      fwmark = hex ? parseInt(target, 16) : Number(target);
      if (!Number.isInteger(fwmark)) throw new ParseError(lineNo, `bad firewall mark ${target}`, raw);
      if (words[k] === 'IPv6') {
        family = 'ipv6';
        k++;
      }
    } else {
      // The first service line decides the form: 8 hex digits before the colon means /proc/net/ip_vs.
      if (services.length === 0 && /^[0-9A-Fa-f]{8}:[0-9A-Fa-f]{4}$/.test(target)) hex = true;
      const ap = splitAddrPort(target, hex);
      if (!ap) throw new ParseError(lineNo, `bad virtual address ${target}`, raw);
      vip = ap.addr;
      port = ap.port;
      family = ap.family;
    }
    const scheduler = words[k++];
    if (scheduler === undefined) throw new ParseError(lineNo, 'virtual service without a scheduler', raw);
    const svc: IpvsService = {
      protocol: proto === 'FWM' ? null : (proto.toLowerCase() as 'tcp'),
      family,
      vip,
      port,
      fwmark,
      scheduler,
      flags: [],
      persistent: null,
      persistenceMask: null,
      onePacket: false,
      realServers: [],
      raw,
      line: lineNo,
      origin: `${prefix} / ${proto} ${proto === 'FWM' ? String(fwmark) : family === 'ipv6' ? `[${vip}]:${port}` : `${vip}:${port}`}`,
    };
    while (k < words.length) {
      const w = words[k++]!;
      if (w.startsWith('(') && w.endsWith(')')) svc.flags.push(...w.slice(1, -1).split(',').filter(Boolean));
      else if (w === 'persistent') {
        const t = Number(words[k++]);
        if (!Number.isInteger(t)) throw new ParseError(lineNo, 'persistent needs a timeout in seconds', raw);
        svc.persistent = t;
        // /proc/net/ip_vs follows the timeout with the persistence mask in hex, without a keyword.
        if (hex && /^[0-9A-Fa-f]{8}$/.test(words[k] ?? '')) svc.persistenceMask = words[k++]!;
      } else if (w === 'mask') svc.persistenceMask = words[k++] ?? null;
      else if (w === 'ops') svc.onePacket = true;
      else if (w === 'pe') sink.warn(lineNo, `persistence engine ${words[k++] ?? ''} not modelled`, raw);
      else sink.warn(lineNo, `unknown service option ${w}`, raw);
    }
    services.push(svc);
    current = svc;
  }
  return { services, warnings: sink.warnings };
}
