// The endpoint grammar shared by CLI flags, URLs and the API (DESIGN.md "Command lines").
//   pod/NS/NAME · svc/NS/NAME:PORT · node/NAME · A.B.C.D[:PORT]
import { quoteInput } from './problems.js';

export type Endpoint =
  | { kind: 'pod'; namespace: string; name: string }
  | { kind: 'service'; namespace: string; name: string; port: number | string }
  | { kind: 'node'; name: string }
  | { kind: 'ip'; ip: string; port: number | null };

export class EndpointError extends Error {
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`invalid endpoint ${quoteInput(input)}: ${reason}`);
    this.name = 'EndpointError';
  }
}

// RFC 1123 label/subdomain rules as Kubernetes applies them to namespaces, pod and service names.
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function isIPv4(text: string): boolean {
  const parts = text.split('.');
  if (parts.length !== 4) return false;
  return parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255 && String(Number(p)) === p);
}

function checkName(input: string, what: string, value: string | undefined): string {
  if (!value) throw new EndpointError(input, `${what} is empty`);
  if (value.length > 253 || !DNS_SUBDOMAIN.test(value)) {
    throw new EndpointError(input, `${what} ${quoteInput(value)} is not a valid Kubernetes name (lower-case letters, digits, '-' and '.')`);
  }
  return value;
}

function parsePortNumber(input: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new EndpointError(input, `port ${quoteInput(text)} is not a number`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new EndpointError(input, `port ${port} is outside 1-65535`);
  return port;
}

export function parseEndpoint(input: string): Endpoint {
  const text = input.trim();
  if (text === '') throw new EndpointError(input, 'it is empty');
  if (text.startsWith('pod/')) {
    const parts = text.slice(4).split('/');
    if (parts.length !== 2) throw new EndpointError(input, 'expected pod/NAMESPACE/NAME');
    return { kind: 'pod', namespace: checkName(input, 'namespace', parts[0]), name: checkName(input, 'pod name', parts[1]) };
  }
  if (text.startsWith('svc/') || text.startsWith('service/')) {
    const rest = text.slice(text.indexOf('/') + 1);
    const parts = rest.split('/');
    if (parts.length !== 2) throw new EndpointError(input, 'expected svc/NAMESPACE/NAME:PORT');
    const [ns, nameAndPort = ''] = parts;
    const colon = nameAndPort.lastIndexOf(':');
    if (colon < 0) throw new EndpointError(input, 'a service needs a port: svc/NAMESPACE/NAME:PORT (number or port name)');
    const portText = nameAndPort.slice(colon + 1);
    let port: number | string;
    if (/^\d+$/.test(portText)) port = parsePortNumber(input, portText);
    else if (PORT_NAME.test(portText) && portText.length <= 63) port = portText;
    else throw new EndpointError(input, `port ${quoteInput(portText)} is neither a number nor a port name`);
    return {
      kind: 'service',
      namespace: checkName(input, 'namespace', ns),
      name: checkName(input, 'service name', nameAndPort.slice(0, colon)),
      port,
    };
  }
  if (text.startsWith('node/')) {
    const name = text.slice(5);
    if (name.includes('/')) throw new EndpointError(input, 'expected node/NAME');
    return { kind: 'node', name: checkName(input, 'node name', name) };
  }
  const colon = text.indexOf(':');
  const ip = colon < 0 ? text : text.slice(0, colon);
  if (!isIPv4(ip)) {
    throw new EndpointError(input, 'expected pod/NS/NAME, svc/NS/NAME:PORT, node/NAME or an IPv4 address A.B.C.D[:PORT]');
  }
  return { kind: 'ip', ip, port: colon < 0 ? null : parsePortNumber(input, text.slice(colon + 1)) };
}

export function formatEndpoint(e: Endpoint): string {
  switch (e.kind) {
    case 'pod':
      return `pod/${e.namespace}/${e.name}`;
    case 'service':
      return `svc/${e.namespace}/${e.name}:${e.port}`;
    case 'node':
      return `node/${e.name}`;
    case 'ip':
      return e.port === null ? e.ip : `${e.ip}:${e.port}`;
  }
}
