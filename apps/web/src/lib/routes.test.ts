import { describe, expect, it } from 'vitest';
import { endpointHref, href, mapHref, nameProblem, parseMapState, parseRoute, parseTraceParams, traceHref, type Route } from './routes.js';

describe('routes', () => {
  it('builds every DESIGN.md route', () => {
    expect(href({ name: 'map', state: { expand: [], ns: [], nodes: [], select: null } })).toBe('/');
    expect(href({ name: 'node', node: 'n1' })).toBe('/nodes/n1');
    expect(href({ name: 'pod', namespace: 'shop', pod: 'web-1' })).toBe('/pods/shop/web-1');
    expect(href({ name: 'service', namespace: 'shop', service: 'web' })).toBe('/services/shop/web');
    expect(traceHref({ from: 'pod/shop/web-1', to: 'svc/shop/web:80', proto: 'tcp' })).toBe('/trace?from=pod%2Fshop%2Fweb-1&to=svc%2Fshop%2Fweb%3A80&proto=tcp');
    expect(traceHref({})).toBe('/trace');
  });

  it('round-trips every route through parse', () => {
    const routes: Route[] = [
      { name: 'map', state: { expand: ['n1', 'n2'], ns: ['shop'], nodes: [], select: 'pod/shop/web-1' } },
      { name: 'node', node: 'kind-worker' },
      { name: 'pod', namespace: 'kube-system', pod: 'coredns-7db6d8ff4d-x2x9p' },
      { name: 'service', namespace: 'shop', service: 'web' },
      { name: 'trace', query: { from: 'pod/shop/web-1', to: '10.96.0.10:80', proto: 'udp', port: 53 } },
      { name: 'trace', query: null },
    ];
    for (const r of routes) {
      const url = new URL(href(r), 'http://x');
      expect(parseRoute(url.pathname, url.searchParams)).toEqual(r);
    }
  });

  it('keeps map state canonical (sorted, deduplicated) so equal views have equal links', () => {
    expect(mapHref({ expand: ['n2', 'n1', 'n2'] })).toBe('/?expand=n1%2Cn2');
    expect(parseMapState(new URLSearchParams('expand=n1,,BAD!,n2&select=evil'))).toEqual({ expand: ['n1', 'n2'], ns: [], nodes: [], select: null });
  });

  it('names what is wrong with a trace link instead of throwing', () => {
    expect(parseTraceParams({ from: 'pod/shop', to: 'svc/shop/web:80', proto: 'sctp', port: '70000' })).toEqual({
      ok: false,
      errors: [
        'from: invalid endpoint "pod/shop": expected pod/NAMESPACE/NAME',
        'proto: "sctp" is not tcp, udp or icmp',
        'port: "70000" is not a port number (1-65535)',
      ],
      partial: { from: 'pod/shop', to: 'svc/shop/web:80', proto: 'tcp', port: null },
    });
    expect(parseTraceParams({ to: '10.0.0.1' })).toMatchObject({ ok: false, errors: ['from: missing (expected pod/NS/NAME, svc/NS/NAME:PORT, node/NAME or A.B.C.D[:PORT])'] });
    expect(parseTraceParams({})).toEqual({ ok: true, query: null });
  });

  it('rejects paths that are not views and names that Kubernetes would refuse', () => {
    expect(parseRoute('/nodes')).toBeNull();
    expect(parseRoute('/pods/shop')).toBeNull();
    expect(parseRoute('/pods/a/b/c')).toBeNull();
    expect(parseRoute('/pods/%E0%A4%A/x')).toBeNull();
    expect(nameProblem('pod name', 'Web_1')).toBe('"Web_1" is not a valid pod name (lower-case letters, digits, \'-\' and \'.\')');
    expect(nameProblem('namespace', null)).toBe('the namespace in the address is not valid URL encoding');
    expect(nameProblem('namespace', 'shop')).toBeNull();
  });

  it('links endpoints to their pages', () => {
    expect(endpointHref('pod/shop/web-1')).toBe('/pods/shop/web-1');
    expect(endpointHref('svc/shop/web:http')).toBe('/services/shop/web');
    expect(endpointHref('node/n1')).toBe('/nodes/n1');
    expect(endpointHref('10.0.0.1')).toBeNull();
    expect(endpointHref('garbage')).toBeNull();
  });
});
