import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NftRuleset } from '@patchbay/schema';
import { nftServiceRules } from './nftServiceRules.js';

// A real `nft -j list ruleset` of kube-proxy in nftables mode, captured from a lab (the parser's fixture).
const ruleset = NftRuleset.parse(JSON.parse(readFileSync(new URL('../../../parse/testdata/kube-proxy/n1.nft-ruleset.json', import.meta.url), 'utf8')));

describe('nftServiceRules', () => {
  it('follows the service-ips map to the service chain, its numgen split and the endpoint DNATs', () => {
    const r = nftServiceRules(ruleset, { namespace: 'shop', name: 'web' });
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

  it('finds nothing for a service it does not have', () => {
    expect(nftServiceRules(ruleset, { namespace: 'shop', name: 'nope' })).toEqual({ chains: [], endpoints: [] });
  });
});
