import { describe, expect, it } from 'vitest';
import { formatEndpoint, parseEndpoint } from './endpoint.js';

describe('endpoint grammar', () => {
  it.each([
    ['pod/shop/web-1', { kind: 'pod', namespace: 'shop', name: 'web-1' }],
    ['svc/shop/web:80', { kind: 'service', namespace: 'shop', name: 'web', port: 80 }],
    ['svc/shop/web:http', { kind: 'service', namespace: 'shop', name: 'web', port: 'http' }],
    ['node/n1', { kind: 'node', name: 'n1' }],
    ['10.96.0.10:53', { kind: 'ip', ip: '10.96.0.10', port: 53 }],
    ['192.0.2.10', { kind: 'ip', ip: '192.0.2.10', port: null }],
  ])('parses %s and formats it back', (text, expected) => {
    const e = parseEndpoint(text);
    expect(e).toEqual(expected);
    expect(formatEndpoint(e)).toBe(text);
  });

  it('accepts service/ as a long form of svc/', () => {
    expect(formatEndpoint(parseEndpoint('service/shop/web:80'))).toBe('svc/shop/web:80');
  });

  it.each([
    ['', 'invalid endpoint "": it is empty'],
    ['pod/shop', 'invalid endpoint "pod/shop": expected pod/NAMESPACE/NAME'],
    ['pod/Shop/web', 'invalid endpoint "pod/Shop/web": namespace "Shop" is not a valid Kubernetes name (lower-case letters, digits, \'-\' and \'.\')'],
    ['svc/shop/web', 'invalid endpoint "svc/shop/web": a service needs a port: svc/NAMESPACE/NAME:PORT (number or port name)'],
    ['svc/shop/web:0', 'invalid endpoint "svc/shop/web:0": port 0 is outside 1-65535'],
    ['svc/shop/web:HTTP!', 'invalid endpoint "svc/shop/web:HTTP!": port "HTTP!" is neither a number nor a port name'],
    ['node/', 'invalid endpoint "node/": node name is empty'],
    ['10.0.0.256', 'invalid endpoint "10.0.0.256": expected pod/NS/NAME, svc/NS/NAME:PORT, node/NAME or an IPv4 address A.B.C.D[:PORT]'],
    ['10.0.0.1:99999', 'invalid endpoint "10.0.0.1:99999": port 99999 is outside 1-65535'],
    ['web', 'invalid endpoint "web": expected pod/NS/NAME, svc/NS/NAME:PORT, node/NAME or an IPv4 address A.B.C.D[:PORT]'],
  ])('rejects %j with a message that says what is wrong', (text, message) => {
    expect(() => parseEndpoint(text)).toThrow(message);
  });
});
