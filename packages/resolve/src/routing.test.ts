import { describe, expect, it } from 'vitest';
import { IpRoute, IpRule } from '@patchbay/schema';
import { buildRouting, lookupRoute } from './routing.js';

const routes = (list: unknown[]) => list.map((r) => IpRoute.parse(r));
const rules = (list: unknown[]) => list.map((r) => IpRule.parse(r));
const DEFAULT = rules([
  { priority: 0, src: 'all', table: 'local' },
  { priority: 32766, src: 'all', table: 'main' },
  { priority: 32767, src: 'all', table: 'default' },
]);

describe('route lookup', () => {
  const main = routes([
    { dst: 'default', gateway: '192.0.2.1', dev: 'eth0' },
    { dst: '10.244.0.0/16', gateway: '10.244.1.1', dev: 'eth0' },
    { dst: '10.244.2.0/24', gateway: '10.244.2.0', dev: 'flannel.1', flags: ['onlink'] },
    { dst: '10.244.3.0/24', dev: 'eth1', metric: 100 },
    { dst: '10.244.3.0/24', dev: 'eth2', metric: 50 },
    { type: 'blackhole', dst: '10.244.9.0/24' },
    { type: 'unreachable', dst: '10.244.8.0/24' },
    { type: 'prohibit', dst: '10.244.7.0/24' },
    { type: 'local', dst: '10.244.1.1', dev: 'cni0', table: 'local', scope: 'host' },
    { dst: '10.244.5.0/24', dev: 'eth9', flags: ['linkdown'] },
  ]);
  const r = buildRouting(main, DEFAULT);

  it('picks the longest prefix', () => {
    const a = lookupRoute(r, { dst: '10.244.2.5', src: null, iif: null });
    expect(a.ok && a.route.dev).toBe('flannel.1');
    const b = lookupRoute(r, { dst: '10.244.4.5', src: null, iif: null });
    expect(b.ok && b.route.gateway).toBe('10.244.1.1');
    const c = lookupRoute(r, { dst: '8.8.8.8', src: null, iif: null });
    expect(c.ok && c.route.gateway).toBe('192.0.2.1');
  });
  it('breaks prefix ties by the lowest metric', () => {
    const a = lookupRoute(r, { dst: '10.244.3.9', src: null, iif: null });
    expect(a.ok && a.route.dev).toBe('eth2');
  });
  it('keeps on-link and the route text as evidence', () => {
    const a = lookupRoute(r, { dst: '10.244.2.5', src: null, iif: null });
    expect(a.ok && a.route.onlink).toBe(true);
    expect(a.ok && a.route.text).toBe('10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink');
  });
  it('ends at blackhole, unreachable and prohibit routes', () => {
    expect(lookupRoute(r, { dst: '10.244.9.1', src: null, iif: null })).toMatchObject({ ok: false, reason: 'blackhole' });
    expect(lookupRoute(r, { dst: '10.244.8.1', src: null, iif: null })).toMatchObject({ ok: false, reason: 'unreachable' });
    expect(lookupRoute(r, { dst: '10.244.7.1', src: null, iif: null })).toMatchObject({ ok: false, reason: 'prohibit' });
  });
  it('finds local addresses first (rule 0, table local)', () => {
    const a = lookupRoute(r, { dst: '10.244.1.1', src: null, iif: null });
    expect(a.ok && a.route.type).toBe('local');
  });
  it('skips linkdown routes', () => {
    const a = lookupRoute(r, { dst: '10.244.5.1', src: null, iif: null });
    expect(a.ok && a.route.dev).toBe('eth0');
  });
  it('says no-route when nothing matches', () => {
    const x = buildRouting(routes([{ dst: '10.0.0.0/8', dev: 'eth0' }]), DEFAULT);
    expect(lookupRoute(x, { dst: '192.168.1.1', src: null, iif: null })).toMatchObject({ ok: false, reason: 'no-route' });
  });
  it('assumes the kernel default rules when none were captured', () => {
    const x = buildRouting(routes([{ dst: 'default', dev: 'eth0' }]), []);
    expect(x.defaultRulesAssumed).toBe(true);
    expect(lookupRoute(x, { dst: '1.2.3.4', src: null, iif: null }).ok).toBe(true);
  });
});

describe('policy rules', () => {
  const rs = routes([
    { dst: 'default', gateway: '192.0.2.1', dev: 'eth0' },
    { dst: 'default', gateway: '198.51.100.1', dev: 'eth1', table: '100' },
    { dst: '10.0.0.0/8', dev: 'eth3', table: '200' },
    { type: 'throw', dst: '10.1.0.0/16', table: '200' },
  ]);
  const r = buildRouting(
    rs,
    rules([
      ...DEFAULT,
      { priority: 10, src: '10.244.1.0', srclen: 24, table: '100' },
      { priority: 11, src: 'all', fwmark: '0x200', fwmask: '0xf00', table: '100' },
      { priority: 12, src: 'all', iif: 'cali1', table: '100' },
      { priority: 13, src: 'all', dst: '10.0.0.0', dstlen: 8, table: '200' },
      { priority: 14, src: 'all', table: 'main', suppress_prefixlen: 0 },
      { priority: 15, src: 'all', dst: '203.0.113.0', dstlen: 24, action: 'blackhole' },
    ]),
  );
  it('matches source prefixes', () => {
    const a = lookupRoute(r, { dst: '8.8.8.8', src: '10.244.1.5', iif: null });
    expect(a.ok && a.route.dev).toBe('eth1');
    const b = lookupRoute(r, { dst: '8.8.8.8', src: '10.244.2.5', iif: null });
    expect(b.ok && b.route.dev).toBe('eth0');
  });
  it('matches fwmark under its mask', () => {
    const a = lookupRoute(r, { dst: '8.8.8.8', src: null, iif: null, mark: 0x1234 & 0 | 0x200 });
    expect(a.ok && a.route.dev).toBe('eth1');
    const b = lookupRoute(r, { dst: '8.8.8.8', src: null, iif: null, mark: 0x300 });
    expect(b.ok && b.route.dev).toBe('eth0');
  });
  it('matches the incoming interface', () => {
    const a = lookupRoute(r, { dst: '8.8.8.8', src: null, iif: 'cali1' });
    expect(a.ok && a.route.dev).toBe('eth1');
  });
  it('falls through a throw route to the next rule', () => {
    const a = lookupRoute(r, { dst: '10.1.2.3', src: null, iif: null });
    expect(a.ok && a.route.dev).toBe('eth0');
    const b = lookupRoute(r, { dst: '10.2.2.3', src: null, iif: null });
    expect(b.ok && b.route.dev).toBe('eth3');
  });
  it('honours suppress_prefixlength (the default route of main is ignored by rule 14)', () => {
    const x = buildRouting(rs, rules([{ priority: 14, src: 'all', table: 'main', suppress_prefixlen: 0 }, { priority: 20, src: 'all', table: '100' }]));
    const a = lookupRoute(x, { dst: '8.8.8.8', src: null, iif: null });
    expect(a.ok && a.route.dev).toBe('eth1');
  });
  it('stops at a blackhole rule', () => {
    const x = buildRouting(rs, rules([{ priority: 1, src: 'all', dst: '203.0.113.0', dstlen: 24, action: 'blackhole' }, ...DEFAULT]));
    expect(lookupRoute(x, { dst: '203.0.113.9', src: null, iif: null })).toMatchObject({ ok: false, reason: 'blackhole' });
  });
});
