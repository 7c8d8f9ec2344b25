import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NftRuleset } from '@patchbay/schema';
import { nftServiceRules } from './nftServiceRules.js';

// The parser's fixtures: `nft -j list ruleset` of n1 in a lab running real kube-proxy 1.36 (flannel-vxlan
// scenario), and a ruleset in the layout of earlier nftables-mode releases.
const fixture = (name: string) => NftRuleset.parse(JSON.parse(readFileSync(new URL(`../../../parse/testdata/kube-proxy/${name}`, import.meta.url), 'utf8')));
const kp136 = fixture('n1.nft-ruleset.json');
const preKp136 = fixture('n1.kp-pre1.36.nft-ruleset.json');

describe('nftServiceRules on kube-proxy 1.36 (DNAT through the service chain numgen map)', () => {
  it('follows service-ips to the service chain and reads the endpoints and their shares from its map', () => {
    const r = nftServiceRules(kp136, { namespace: 'shop', name: 'web' });
    expect(r.endpoints).toEqual([
      { ip: '10.244.1.4', port: 8080, share: 0.5, via: 'service-KHN6ECMT-shop/web/tcp/http' },
      { ip: '10.244.2.2', port: 8080, share: 0.5, via: 'service-KHN6ECMT-shop/web/tcp/http' },
    ]);
    expect(r.chains).toEqual([
      { table: 'kube-proxy', chain: 'maps', rules: ['map service-ips: 10.96.0.10 . tcp . 80 : goto service-KHN6ECMT-shop/web/tcp/http'] },
      { table: 'kube-proxy', chain: 'service-KHN6ECMT-shop/web/tcp/http', rules: ['meta l4proto tcp dnat ip to numgen random mod 2 map { 0 : 10.244.1.4 . 8080, 1 : 10.244.2.2 . 8080 }'] },
    ]);
  });

  it('reads endpoint chains where 1.36 still writes them (ClientIP affinity)', () => {
    const r = nftServiceRules(kp136, { namespace: 'shop', name: 'web-sticky' });
    expect(r.endpoints).toEqual([
      { ip: '10.244.1.4', port: 8080, share: 0.5, via: 'endpoint-6R4A7FQK-shop/web-sticky/tcp/http__10.244.1.4/8080' },
      { ip: '10.244.2.2', port: 8080, share: 0.5, via: 'endpoint-R7FRMN4S-shop/web-sticky/tcp/http__10.244.2.2/8080' },
    ]);
    expect(r.chains.find((c) => c.chain === 'service-LF4BAU7I-shop/web-sticky/tcp/http')?.rules).toEqual([
      'ip saddr @affinity-6R4A7FQK-shop/web-sticky/tcp/http__10.244.1.4/8080 goto endpoint-6R4A7FQK-shop/web-sticky/tcp/http__10.244.1.4/8080',
      'ip saddr @affinity-R7FRMN4S-shop/web-sticky/tcp/http__10.244.2.2/8080 goto endpoint-R7FRMN4S-shop/web-sticky/tcp/http__10.244.2.2/8080',
      'numgen random mod 2 vmap { 0 : goto endpoint-6R4A7FQK-shop/web-sticky/tcp/http__10.244.1.4/8080, 1 : goto endpoint-R7FRMN4S-shop/web-sticky/tcp/http__10.244.2.2/8080 }',
    ]);
  });

  it('reports an endpoint once per service port, with the cluster chain share when a local chain reaches it too', () => {
    // eTP=Local NodePort: service- sends to both pods, local- (node port traffic) only to n1's.
    const r = nftServiceRules(kp136, { namespace: 'shop', name: 'web-local' });
    expect(r.endpoints).toEqual([
      { ip: '10.244.1.4', port: 8080, share: 0.5, via: 'service-LXLUXNNJ-shop/web-local/tcp/http' },
      { ip: '10.244.2.2', port: 8080, share: 0.5, via: 'service-LXLUXNNJ-shop/web-local/tcp/http' },
    ]);
    expect(r.chains.map((c) => c.chain)).toEqual(['maps', 'service-LXLUXNNJ-shop/web-local/tcp/http', 'local-LXLUXNNJ-shop/web-local/tcp/http', 'external-LXLUXNNJ-shop/web-local/tcp/http']);
    expect(r.chains[0]?.rules).toContain('map service-nodeports: tcp . 30050 : goto external-LXLUXNNJ-shop/web-local/tcp/http');
    expect(r.chains[3]?.rules).toContain('fib saddr type local meta mark set meta mark | 0x00004000 comment "masquerade local traffic"');

    const dns = nftServiceRules(kp136, { namespace: 'default', name: 'dns' });
    expect(dns.endpoints).toEqual([
      { ip: '10.244.2.4', port: 53, share: 1, via: 'service-Z3XHB2ZZ-default/dns/udp/dns' },
      { ip: '10.244.2.4', port: 53, share: 1, via: 'service-4R6EASBP-default/dns/tcp/dns-tcp' },
    ]);
  });

  it('follows service-ips straight to a local- chain (iTP=Local)', () => {
    const r = nftServiceRules(kp136, { namespace: 'shop', name: 'web-node-local' });
    expect(r.endpoints).toEqual([{ ip: '10.244.1.4', port: 8080, share: 1, via: 'local-WTQ6SFIO-shop/web-node-local/tcp/http' }]);
    expect(r.chains[0]?.rules).toEqual(['map service-ips: 10.96.0.12 . tcp . 80 : goto local-WTQ6SFIO-shop/web-node-local/tcp/http']);
  });

  it('shows a service without endpoints by its no-endpoint element, and a LoadBalancer by its firewall', () => {
    expect(nftServiceRules(kp136, { namespace: 'shop', name: 'checkout' })).toEqual({
      chains: [{ table: 'kube-proxy', chain: 'maps', rules: ['map no-endpoint-services: 10.96.0.30 . tcp . 80 : goto reject-chain'] }],
      endpoints: [],
    });
    const lb = nftServiceRules(kp136, { namespace: 'shop', name: 'web-lb' });
    expect(lb.chains[0]?.rules).toContain('map firewall-ips: 192.0.2.224 . tcp . 80 : goto firewall-ETG7BTWI-shop/web-lb/tcp/http');
    expect(lb.chains.find((c) => c.chain === 'firewall-ETG7BTWI-shop/web-lb/tcp/http')?.rules).toEqual(['ip saddr != { 10.244.1.0/24, 192.0.2.11, 192.0.2.224 } drop']);
  });

  it('keeps the ip6 table apart: same chain names, separate chains and endpoints', () => {
    // kube-proxy names a service port's chains alike in both families; a dual-stack node has both.
    const v6 = { family: 'ip6', table: 'kube-proxy', name: 'service-KHN6ECMT-shop/web/tcp/http', handle: 900 };
    const dnat = { dnat: { family: 'ip6', addr: { map: { key: { numgen: { mode: 'random', mod: 1, offset: 0 } }, data: { set: [[0, { concat: ['fd00:10:244:1::4', 8080] }]] } } } } };
    const dual = { nftables: [...kp136.nftables, { chain: v6 }, { rule: { family: 'ip6', table: 'kube-proxy', chain: v6.name, handle: 901, expr: [dnat] } }] };
    const r = nftServiceRules(dual, { namespace: 'shop', name: 'web' });
    expect(r.chains.filter((c) => c.chain === v6.name).map((c) => [c.table, c.rules.length])).toEqual([
      ['kube-proxy', 1],
      ['ip6 kube-proxy', 1],
    ]);
    expect(r.endpoints.map((e) => `${e.ip} ${e.share}`)).toEqual(['10.244.1.4 0.5', '10.244.2.2 0.5', 'fd00:10:244:1::4 1']);
  });
});

describe('nftServiceRules on the earlier layout (an endpoint- chain per endpoint)', () => {
  it('follows the service-ips map to the service chain, its numgen split and the endpoint DNATs', () => {
    const r = nftServiceRules(preKp136, { namespace: 'shop', name: 'web' });
    expect(r.endpoints).toEqual([
      { ip: '10.244.1.5', port: 8080, share: 0.5, via: 'endpoint-FDH7QP7U-shop/web/tcp/http__10.244.1.5/8080' },
      { ip: '10.244.2.7', port: 8080, share: 0.5, via: 'endpoint-W7KABZCH-shop/web/tcp/http__10.244.2.7/8080' },
    ]);
    expect(r.chains[0]?.chain).toBe('maps');
    expect(r.chains[0]?.rules).toContain('map service-ips: 10.96.120.15 . tcp . 80 : goto service-KHN6ECMT-shop/web/tcp/http');
    const svc = r.chains.find((c) => c.chain === 'service-KHN6ECMT-shop/web/tcp/http');
    expect(svc?.rules).toEqual([
      'ip daddr 10.96.120.15 ip saddr != 10.244.0.0/16 jump mark-for-masquerade',
      'numgen random mod 2 vmap { 0 : goto endpoint-FDH7QP7U-shop/web/tcp/http__10.244.1.5/8080, 1 : goto endpoint-W7KABZCH-shop/web/tcp/http__10.244.2.7/8080 }',
    ]);
  });

  it('finds a service without endpoints by the comments on its no-endpoint elements', () => {
    const r = nftServiceRules(preKp136, { namespace: 'shop', name: 'legacy' });
    expect(r).toEqual({
      chains: [
        {
          table: 'kube-proxy',
          chain: 'maps',
          rules: ['map no-endpoint-nodeports: tcp . 30443 : goto reject-chain', 'map no-endpoint-services: 10.96.44.201 . tcp . 443 : goto reject-chain'],
        },
      ],
      endpoints: [],
    });
  });
});

describe('nftServiceRules', () => {
  it('matches a no-endpoint comment of an unnamed port ("NS/NAME"), and no service whose name only starts alike', () => {
    const elem = (ip: string, comment: string) => [{ elem: { val: { concat: [ip, 'tcp', 80] }, comment } }, { goto: { target: 'reject-chain' } }];
    const map = { family: 'ip', table: 'kube-proxy', name: 'no-endpoint-services', elem: [elem('10.96.0.60', 'shop/cart'), elem('10.96.0.61', 'shop/cart-v2'), elem('10.96.0.62', 'shop/cart:admin')] };
    const r = nftServiceRules({ nftables: [{ map }] }, { namespace: 'shop', name: 'cart' });
    expect(r.chains).toEqual([
      { table: 'kube-proxy', chain: 'maps', rules: ['map no-endpoint-services: 10.96.0.60 . tcp . 80 : goto reject-chain', 'map no-endpoint-services: 10.96.0.62 . tcp . 80 : goto reject-chain'] },
    ]);
  });

  it('finds nothing for a service it does not have', () => {
    expect(nftServiceRules(kp136, { namespace: 'shop', name: 'nope' })).toEqual({ chains: [], endpoints: [] });
    expect(nftServiceRules(preKp136, { namespace: 'shop', name: 'nope' })).toEqual({ chains: [], endpoints: [] });
  });
});
