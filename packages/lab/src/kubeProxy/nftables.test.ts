import { describe, expect, it } from 'vitest';
import { undefinedNftTargets } from './checks.js';
import { renderNftRules } from './nftables.js';
import { nodeOptions, smallCluster } from './testCluster.js';

const script = (node: 'n1' | 'n2', counters = false) => renderNftRules(smallCluster(), nodeOptions(node, { counters }));

describe('renderNftRules', () => {
  it('replaces any previous kube-proxy table', () => {
    const lines = script('n1').split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'add table ip kube-proxy',
      'delete table ip kube-proxy',
      'add table ip kube-proxy { comment "rules for kube-proxy" ; }',
    ]);
  });

  it('declares every chain it jumps to', () => {
    expect(undefinedNftTargets(script('n1'))).toEqual([]);
    expect(undefinedNftTargets(script('n2'))).toEqual([]);
  });

  it('creates the base chains by hook and priority', () => {
    const s = script('n1');
    expect(s).toContain('add chain ip kube-proxy filter-prerouting-pre-dnat { type filter hook prerouting priority -110 ; }');
    expect(s).toContain('add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }');
    expect(s).toContain('add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority 100 ; }');
    expect(s).toContain('add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips');
    expect(s).toContain('add element ip kube-proxy nodeport-ips { 192.0.2.11 }');
  });

  it('load-balances with numgen and DNATs in endpoint chains (reference example)', () => {
    const s = script('n1');
    expect(s).toContain('add element ip kube-proxy service-ips { 10.96.120.15 . tcp . 80 : goto service-KHN6ECMT-shop/web/tcp/http }');
    expect(s).toContain(
      'add rule ip kube-proxy service-KHN6ECMT-shop/web/tcp/http numgen random mod 2 vmap { 0 : goto endpoint-FDH7QP7U-shop/web/tcp/http__10.244.1.5/8080 , 1 : goto endpoint-W7KABZCH-shop/web/tcp/http__10.244.2.7/8080 }',
    );
    expect(s).toContain('add rule ip kube-proxy service-KHN6ECMT-shop/web/tcp/http ip daddr 10.96.120.15 ip saddr != 10.244.0.0/16 jump mark-for-masquerade');
    expect(s).toContain('add rule ip kube-proxy endpoint-FDH7QP7U-shop/web/tcp/http__10.244.1.5/8080 meta l4proto tcp dnat to 10.244.1.5:8080');
  });

  it('lists services without (local) endpoints in the no-endpoint maps', () => {
    const s = script('n1');
    expect(s).toContain('add element ip kube-proxy no-endpoint-services { 10.96.44.201 . tcp . 443 comment "shop/legacy:https" : goto reject-chain }');
    expect(s).toContain('add element ip kube-proxy no-endpoint-nodeports { tcp . 30081 comment "shop/api:http" : drop }');
    expect(s).toContain('add element ip kube-proxy no-endpoint-services { 10.96.150.40 . tcp . 8080 comment "shop/internal:http" : drop }');
    expect(script('n2')).not.toContain('comment "shop/api:http" : drop');
  });

  it('writes affinity sets and eTP=Local external chains', () => {
    const s = script('n2');
    expect(s).toMatch(/add set ip kube-proxy affinity-\w{8}-shop\/cart\/tcp\/__10\.244\.1\.11\/7070 \{ type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; \}/);
    expect(s).toMatch(/update @affinity-\w{8}-shop\/cart\/tcp\/__10\.244\.2\.12\/7070 \{ ip saddr \}/);
    expect(s).toContain('add rule ip kube-proxy external-WEZGB4Y6-shop/api/tcp/http ip saddr 10.244.0.0/16 goto service-WEZGB4Y6-shop/api/tcp/http comment "short-circuit pod traffic"');
    expect(s).toContain('add rule ip kube-proxy external-WEZGB4Y6-shop/api/tcp/http goto local-WEZGB4Y6-shop/api/tcp/http');
  });

  it('keeps the LoadBalancer firewall chain even when the service has no endpoints', () => {
    const cluster = smallCluster();
    const front = cluster.endpointSlices.find((e) => e.metadata.labels?.['kubernetes.io/service-name'] === 'front');
    if (front) front.endpoints = [];
    const s = renderNftRules(cluster, nodeOptions('n1'));
    expect(s).toContain('add rule ip kube-proxy firewall-HRERZ4JW-shop/front/tcp/http ip saddr != { 192.0.2.0/24, 198.51.100.250 } drop');
    expect(s).toContain('add element ip kube-proxy no-endpoint-services { 198.51.100.250 . tcp . 80 comment "shop/front:http" : goto reject-chain }');
    expect(s).not.toContain('external-HRERZ4JW');
  });

  it('adds a counter to every rule when asked', () => {
    const rules = script('n1', true).split('\n').filter((l) => l.startsWith('add rule '));
    expect(rules.length).toBeGreaterThan(20);
    expect(rules.every((r) => r.includes(' counter '))).toBe(true);
    expect(script('n1')).not.toContain(' counter ');
  });
});
