import { parseEndpoint } from '@patchbay/schema';

// The one URL module (STYLE.md 14): every route of DESIGN.md "URLs" is built and parsed here, for links, for
// tests and for the pages. View state lives in the URL so a link opens exactly the same view.

export type Proto = 'tcp' | 'udp' | 'icmp';

export interface MapState {
  /** Nodes drawn with their pods. */
  expand: string[];
  /** Namespace filter (empty: all). */
  ns: string[];
  /** Node filter (empty: all). */
  nodes: string[];
  /** The selected node or pod id on the map ("node/NAME" or "pod/NS/NAME"), or null. */
  select: string | null;
}

export interface TraceQuery {
  from: string;
  to: string;
  proto: Proto;
  port: number | null;
}

export type Route =
  | { name: 'map'; state: MapState }
  | { name: 'node'; node: string }
  | { name: 'pod'; namespace: string; pod: string }
  | { name: 'service'; namespace: string; service: string }
  | { name: 'trace'; query: TraceQuery | null };

export const emptyMapState = (): MapState => ({ expand: [], ns: [], nodes: [], select: null });

const enc = encodeURIComponent;

function list(values: string[]): string {
  return [...new Set(values)].sort().join(',');
}

export function mapHref(state: Partial<MapState> = {}): string {
  const p = new URLSearchParams();
  if (state.expand?.length) p.set('expand', list(state.expand));
  if (state.ns?.length) p.set('ns', list(state.ns));
  if (state.nodes?.length) p.set('nodes', list(state.nodes));
  if (state.select) p.set('select', state.select);
  const q = p.toString();
  return q ? `/?${q}` : '/';
}

export const nodeHref = (node: string): string => `/nodes/${enc(node)}`;
export const podHref = (namespace: string, pod: string): string => `/pods/${enc(namespace)}/${enc(pod)}`;
export const serviceHref = (namespace: string, service: string): string => `/services/${enc(namespace)}/${enc(service)}`;

/** "NS/NAME" keys as the API gives them. */
export function podKeyHref(key: string): string {
  const [ns = '', name = ''] = key.split('/');
  return podHref(ns, name);
}
export function serviceKeyHref(key: string): string {
  const [ns = '', name = ''] = key.split('/');
  return serviceHref(ns, name);
}

export function traceHref(q: Partial<TraceQuery> = {}): string {
  const p = new URLSearchParams();
  if (q.from) p.set('from', q.from);
  if (q.to) p.set('to', q.to);
  if (q.from || q.to) p.set('proto', q.proto ?? 'tcp');
  if (q.port !== undefined && q.port !== null) p.set('port', String(q.port));
  const s = p.toString();
  return s ? `/trace?${s}` : '/trace';
}

export function href(route: Route): string {
  switch (route.name) {
    case 'map':
      return mapHref(route.state);
    case 'node':
      return nodeHref(route.node);
    case 'pod':
      return podHref(route.namespace, route.pod);
    case 'service':
      return serviceHref(route.namespace, route.service);
    case 'trace':
      return traceHref(route.query ?? {});
  }
}

export type SearchParams = URLSearchParams | Record<string, string | string[] | undefined>;

function get(params: SearchParams, key: string): string | undefined {
  if (params instanceof URLSearchParams) return params.get(key) ?? undefined;
  const v = params[key];
  return Array.isArray(v) ? v[0] : v;
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function names(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => NAME.test(s));
}

export function parseMapState(params: SearchParams): MapState {
  const select = get(params, 'select');
  return {
    expand: names(get(params, 'expand')),
    ns: names(get(params, 'ns')),
    nodes: names(get(params, 'nodes')),
    select: select && /^(node|pod)\/[a-z0-9./-]+$/.test(select) ? select : null,
  };
}

export type TraceParse = { ok: true; query: TraceQuery | null } | { ok: false; errors: string[]; partial: Partial<TraceQuery> };

/**
 * Reads /trace?from=&to=&proto=&port=. No from and no to: an empty form (query null). Anything malformed is
 * returned as errors that name the parameter, for the page to show; never thrown.
 */
export function parseTraceParams(params: SearchParams): TraceParse {
  const from = get(params, 'from')?.trim() ?? '';
  const to = get(params, 'to')?.trim() ?? '';
  const protoText = get(params, 'proto')?.trim().toLowerCase() ?? '';
  const portText = get(params, 'port')?.trim() ?? '';
  const errors: string[] = [];
  const partial: Partial<TraceQuery> = { from, to };
  if (!from && !to && !portText) return { ok: true, query: null };

  for (const [field, value] of [['from', from], ['to', to]] as const) {
    if (!value) {
      errors.push(`${field}: missing (expected pod/NS/NAME, svc/NS/NAME:PORT, node/NAME or A.B.C.D[:PORT])`);
      continue;
    }
    try {
      parseEndpoint(value);
    } catch (err) {
      errors.push(`${field}: ${(err as Error).message}`);
    }
  }
  let proto: Proto = 'tcp';
  if (protoText) {
    if (protoText === 'tcp' || protoText === 'udp' || protoText === 'icmp') proto = protoText;
    else errors.push(`proto: ${JSON.stringify(protoText)} is not tcp, udp or icmp`);
  }
  partial.proto = proto;
  let port: number | null = null;
  if (portText) {
    if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) errors.push(`port: ${JSON.stringify(portText)} is not a port number (1-65535)`);
    else port = Number(portText);
  }
  partial.port = port;
  if (errors.length) return { ok: false, errors, partial };
  return { ok: true, query: { from, to, proto, port } };
}

/** Decodes a path segment from a URL; a malformed escape gives null rather than throwing. */
export function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** Checks a name taken from a URL as Kubernetes would; returns the problem or null. */
export function nameProblem(what: string, value: string | null): string | null {
  if (value === null) return `the ${what} in the address is not valid URL encoding`;
  if (!value) return `the ${what} in the address is empty`;
  if (value.length > 253 || !NAME.test(value)) return `${JSON.stringify(value)} is not a valid ${what} (lower-case letters, digits, '-' and '.')`;
  return null;
}

/** Parses a path and query into a route; null for paths that are not Patchbay views. */
export function parseRoute(pathname: string, search: SearchParams = new URLSearchParams()): Route | null {
  const parts = pathname.split('/').filter(Boolean).map(decodeSegment);
  if (parts.some((p) => p === null)) return null;
  const [a, b, c, extra] = parts as string[];
  if (parts.length === 0) return { name: 'map', state: parseMapState(search) };
  if (a === 'nodes' && b && !c) return { name: 'node', node: b };
  if (a === 'pods' && b && c && !extra) return { name: 'pod', namespace: b, pod: c };
  if (a === 'services' && b && c && !extra) return { name: 'service', namespace: b, service: c };
  if (a === 'trace' && !b) {
    const t = parseTraceParams(search);
    return { name: 'trace', query: t.ok ? t.query : null };
  }
  return null;
}

/** The page an endpoint of the trace grammar belongs to, for linking hops and query fields. */
export function endpointHref(endpoint: string): string | null {
  try {
    const e = parseEndpoint(endpoint);
    if (e.kind === 'pod') return podHref(e.namespace, e.name);
    if (e.kind === 'service') return serviceHref(e.namespace, e.name);
    if (e.kind === 'node') return nodeHref(e.name);
    return null;
  } catch {
    return null;
  }
}
