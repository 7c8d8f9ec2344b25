import { describe, expect, it } from 'vitest';
import { NftEvaluator } from './evaluate.js';
import { TraceBudget } from '../../limits.js';
import type { HookContext, NfPacket } from '../types.js';

// A kube-proxy-shaped nftables ruleset in `nft -j list ruleset` form (libnftables-json(5)).
const T = { family: 'ip', table: 'kube-proxy' };
const payload = (protocol: string, field: string) => ({ payload: { protocol, field } });
const ruleset = {
  nftables: [
    { metainfo: { json_schema_version: 1 } },
    { table: { family: 'ip', name: 'kube-proxy', handle: 1 } },
    { chain: { ...T, name: 'nat-prerouting', handle: 2, type: 'nat', hook: 'prerouting', prio: -100, policy: 'accept' } },
    { chain: { ...T, name: 'filter-forward', handle: 3, type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } },
    { chain: { ...T, name: 'services', handle: 4 } },
    { chain: { ...T, name: 'mark-for-masquerade', handle: 5 } },
    { chain: { ...T, name: 'service-X-shop/web/tcp/http', handle: 6 } },
    { chain: { ...T, name: 'endpoint-A-shop/web/tcp/http__10.244.1.5/8080', handle: 7 } },
    { chain: { ...T, name: 'endpoint-B-shop/web/tcp/http__10.244.2.7/8080', handle: 8 } },
    { chain: { ...T, name: 'reject-chain', handle: 9 } },
    { chain: { ...T, name: 'nat-postrouting', handle: 10, type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } },
    {
      map: {
        ...T,
        name: 'service-ips',
        handle: 11,
        type: ['ipv4_addr', 'inet_proto', 'inet_service'],
        map: 'verdict',
        elem: [[{ concat: ['10.96.0.10', 'tcp', 80] }, { goto: { target: 'service-X-shop/web/tcp/http' } }]],
      },
    },
    {
      map: {
        ...T,
        name: 'no-endpoint-services',
        handle: 12,
        type: ['ipv4_addr', 'inet_proto', 'inet_service'],
        map: 'verdict',
        elem: [[{ elem: { val: { concat: ['10.96.0.30', 'tcp', 80] }, comment: 'shop/checkout:http' } }, { goto: { target: 'reject-chain' } }]],
      },
    },
    { rule: { ...T, chain: 'nat-prerouting', handle: 20, expr: [{ jump: { target: 'services' } }] } },
    { rule: { ...T, chain: 'services', handle: 21, expr: [{ vmap: { key: { concat: [payload('ip', 'daddr'), { meta: { key: 'l4proto' } }, payload('th', 'dport')] }, data: '@service-ips' } }] } },
    {
      rule: {
        ...T,
        chain: 'service-X-shop/web/tcp/http',
        handle: 22,
        expr: [
          { match: { op: '==', left: payload('ip', 'daddr'), right: '10.96.0.10' } },
          { match: { op: '!=', left: payload('ip', 'saddr'), right: { prefix: { addr: '10.244.0.0', len: 16 } } } },
          { jump: { target: 'mark-for-masquerade' } },
        ],
      },
    },
    {
      rule: {
        ...T,
        chain: 'service-X-shop/web/tcp/http',
        handle: 23,
        expr: [
          {
            vmap: {
              key: { numgen: { mode: 'random', mod: 2, offset: 0 } },
              data: { set: [[0, { goto: { target: 'endpoint-A-shop/web/tcp/http__10.244.1.5/8080' } }], [1, { goto: { target: 'endpoint-B-shop/web/tcp/http__10.244.2.7/8080' } }]] },
            },
          },
        ],
      },
    },
    { rule: { ...T, chain: 'mark-for-masquerade', handle: 24, expr: [{ mangle: { key: { meta: { key: 'mark' } }, value: { '|': [{ meta: { key: 'mark' } }, 16384] } } }] } },
    {
      rule: {
        ...T,
        chain: 'endpoint-A-shop/web/tcp/http__10.244.1.5/8080',
        handle: 25,
        expr: [{ match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 'tcp' } }, { dnat: { addr: '10.244.1.5', port: 8080 } }],
      },
    },
    {
      rule: {
        ...T,
        chain: 'endpoint-B-shop/web/tcp/http__10.244.2.7/8080',
        handle: 26,
        expr: [{ match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 'tcp' } }, { dnat: { addr: '10.244.2.7', port: 8080 } }],
      },
    },
    {
      rule: {
        ...T,
        chain: 'filter-forward',
        handle: 27,
        expr: [
          { match: { op: 'in', left: { ct: { key: 'state' } }, right: 'new' } },
          { vmap: { key: { concat: [payload('ip', 'daddr'), { meta: { key: 'l4proto' } }, payload('th', 'dport')] }, data: '@no-endpoint-services' } },
        ],
      },
    },
    { rule: { ...T, chain: 'reject-chain', handle: 28, expr: [{ reject: null }] } },
    {
      rule: {
        ...T,
        chain: 'nat-postrouting',
        handle: 29,
        expr: [{ match: { op: '==', left: { '&': [{ meta: { key: 'mark' } }, 16384] }, right: 0 } }, { return: null }],
      },
    },
    { rule: { ...T, chain: 'nat-postrouting', handle: 30, expr: [{ masquerade: { flags: 'fully-random' } }] } },
  ],
};

const pkt = (over: Partial<NfPacket> = {}): NfPacket => ({ src: '10.244.1.2', dst: '10.96.0.10', sport: 40000, dport: 80, proto: 'tcp', mark: 0, ...over });
const ctx = (over: Partial<HookContext> = {}): HookContext => ({
  model: null as never,
  node: null as never,
  hook: 'prerouting',
  inDev: 'cni0',
  outDev: null,
  physIn: null,
  physOut: null,
  bridged: false,
  ct: { state: 'NEW', dir: 'ORIGINAL', orig: { src: '10.244.1.2', dst: '10.96.0.10', sport: 40000, dport: 80 }, dnat: false, snat: false },
  isLocal: () => false,
  masqueradeSource: () => '192.0.2.11',
  rpfilter: () => true,
  inDevAddress: () => null,
  ipsetMember: () => null,
  warn: () => undefined,
  budget: new TraceBudget(),
  ...over,
});

describe('nft evaluation', () => {
  const ev = new NftEvaluator(ruleset);
  const chain = (hook: 'prerouting' | 'forward' | 'postrouting') => ev.baseChains(hook)[0]!;

  it('finds base chains by hook and priority', () => {
    expect(ev.hasChains).toBe(true);
    expect(ev.baseChains('prerouting').map((c) => [c.name, c.prio, c.nat])).toEqual([['ip kube-proxy/nat-prerouting', -100, true]]);
  });
  it('vmap dispatch and numgen fork into weighted DNAT branches', () => {
    const out = chain('prerouting').run(ctx(), pkt());
    expect(out.map((o) => [o.verdict, o.pkt.dst, o.pkt.dport, o.weight]).sort()).toEqual([
      ['accept', '10.244.1.5', 8080, 0.5],
      ['accept', '10.244.2.7', 8080, 0.5],
    ]);
    expect(out[0]!.steps.map((s) => s.where)).toContain('nft ip kube-proxy/services');
  });
  it('marks off-cluster sources for masquerade, and postrouting masquerades only marked packets', () => {
    const out = chain('prerouting').run(ctx(), pkt({ src: '192.0.2.50' }));
    expect(out.every((o) => o.pkt.mark === 0x4000)).toBe(true);
    const post = chain('postrouting');
    expect(post.run(ctx({ hook: 'postrouting' }), { ...out[0]!.pkt })[0]!.pkt.src).toBe('192.0.2.11');
    expect(post.run(ctx({ hook: 'postrouting' }), pkt())[0]!.pkt.src).toBe('10.244.1.2');
  });
  it('an address not in the map passes untouched', () => {
    const out = chain('prerouting').run(ctx(), pkt({ dst: '10.96.0.99' }));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ verdict: 'accept', pkt: { dst: '10.96.0.99' } });
  });
  it('a service with no endpoints is rejected in filter-forward (ct state new, element with a comment)', () => {
    const f = chain('forward');
    expect(f.run(ctx({ hook: 'forward' }), pkt({ dst: '10.96.0.30' }))[0]!.verdict).toBe('reject');
    expect(f.run(ctx({ hook: 'forward', ct: { ...ctx().ct, state: 'ESTABLISHED' } }), pkt({ dst: '10.96.0.30' }))[0]!.verdict).toBe('accept');
  });
});
