import { describe, expect, it } from 'vitest';
import { Trace } from '@patchbay/schema';
import { traceFlow, TraceInputError } from './index.js';
import { twoNodeShop } from '../test/kit.js';

const endpoints = (t: Trace) => t.paths.filter((p) => p.verdict === 'delivered').map((p) => p.endpoint?.pod).sort();

describe('traceFlow over a flannel VXLAN cluster', () => {
  const { model } = twoNodeShop();

  it('pod to pod on another node: VXLAN there, reply back', () => {
    const t = traceFlow(model, { from: 'pod/shop/client-0', to: 'pod/shop/api-0', proto: 'tcp', port: 8080 });
    expect(Trace.parse(t)).toBeTruthy();
    expect(t.verdict, JSON.stringify(t, null, 1)).toBe('delivered');
    const stages = t.paths[0]!.hops.map((h) => h.stage);
    expect(stages).toContain('tunnel');
    expect(t.paths[0]!.reply?.verdict).toBe('delivered');
  });

  it('pod to service: two weighted paths, one per endpoint', () => {
    const t = traceFlow(model, { from: 'pod/shop/client-0', to: 'svc/shop/web:80', proto: 'tcp' });
    expect(t.verdict, JSON.stringify(t.paths.map((p) => [p.verdict, (p as never as { reason: string }).reason]))).toBe('delivered');
    expect(endpoints(t)).toEqual(['shop/web-0', 'shop/web-1']);
    expect(t.paths.map((p) => p.weight).sort()).toEqual([0.5, 0.5]);
    expect(t.paths.every((p) => p.endpoint?.port === 8080)).toBe(true);
    const ev = t.paths.flatMap((p) => p.hops.map((h) => h.evidence)).join('\n');
    expect(ev).toMatch(/-j DNAT --to-destination 10\.244\.1\.3:8080/);
  });

  it('a service with no endpoints is rejected', () => {
    const t = traceFlow(model, { from: 'pod/shop/client-0', to: 'svc/shop/checkout:80', proto: 'tcp' });
    expect(t.verdict).toBe('rejected');
  });

  it('NodePort from another node reaches the endpoint, masqueraded', () => {
    const t = traceFlow(model, { from: 'node/n1', to: '192.0.2.12:30080', proto: 'tcp' });
    expect(t.verdict, JSON.stringify(t.paths.map((p) => (p as never as { reason: string }).reason))).toBe('delivered');
    expect(endpoints(t)).toEqual(['shop/api-0']);
  });

  it('bad input is a clear error', () => {
    expect(() => traceFlow(model, { from: 'pod/shop/nope', to: 'pod/shop/api-0', proto: 'tcp', port: 80 })).toThrow(/unknown pod shop\/nope/);
    expect(() => traceFlow(model, { from: 'pod/shop/client-0', to: 'svc/shop/web:81', proto: 'tcp' })).toThrow(/has no port 81/);
    expect(() => traceFlow(model, { from: 'pod/shop/client-0', to: 'svc/shop/nope:80', proto: 'tcp' })).toThrow(TraceInputError);
    expect(() => traceFlow(model, { from: 'pod//x', to: 'svc/shop/web:80', proto: 'tcp' })).toThrow(/source: invalid endpoint/);
    expect(() => traceFlow(model, { from: 'pod/shop/client-0', to: '10.244.2.3', proto: 'tcp' })).toThrow(/needs a port/);
  });
});
