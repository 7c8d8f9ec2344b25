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

  it('DNATs through one numgen map in the service chain and masquerades off-cluster sources in services (1.36 layout)', () => {
    const s = script('n1');
    expect(s).toContain('add element ip kube-proxy service-ips { 10.96.120.15 . tcp . 80 : goto service-KHN6ECMT-shop/web/tcp/http }');
    expect(s).toContain(
      'add rule ip kube-proxy service-KHN6ECMT-shop/web/tcp/http meta l4proto tcp dnat ip addr . port to numgen random mod 2 map { 0 : 10.244.1.5 . 8080 , 1 : 10.244.2.7 . 8080 }',
    );
    expect(s).toContain(
      'add rule ip kube-proxy services ip daddr @cluster-ips ip saddr != 10.244.0.0/16 mark set mark or 0x4000 comment "masquerade clusterIP traffic from outside cluster"',
    );
    // No endpoint chains without affinity, and no mark chain: the mark is set where it is needed.
    expect(s).not.toMatch(/endpoint-\w{8}-shop\/web\//);
    expect(s).not.toContain('mark-for-masquerade');
    expect(s).toContain('add rule ip kube-proxy external-KHN6ECMT-shop/web/tcp/http mark set mark or 0x4000 comment "masquerade"');
  });

  it("puts this node's endpoints, and only them, in the hairpin set that masquerading matches", () => {
    const s = script('n1');
    expect(s).toContain('add rule ip kube-proxy masquerading ct status dnat ip saddr . ip daddr . meta l4proto . th dport @hairpin-connections masquerade fully-random');
    expect(s).toContain('add element ip kube-proxy hairpin-connections { 10.244.1.5 . 10.244.1.5 . tcp . 8080 }');
    expect(s).not.toContain('hairpin-connections { 10.244.2.7 ');
    expect(script('n2')).toContain('add element ip kube-proxy hairpin-connections { 10.244.2.7 . 10.244.2.7 . tcp . 8080 }');
    // web and front share the endpoint: one element.
    expect(s.split('\n').filter((l) => l.includes('hairpin-connections { 10.244.1.5 '))).toHaveLength(1);
  });

  it('lists services without (local) endpoints in the no-endpoint maps', () => {
    const s = script('n1');
    expect(s).toContain('add element ip kube-proxy no-endpoint-services { 10.96.44.201 . tcp . 443 comment "shop/legacy:https" : goto reject-chain }');
    expect(s).toContain('add element ip kube-proxy no-endpoint-nodeports { tcp . 30081 comment "shop/api:http" : drop }');
    expect(s).toContain('add element ip kube-proxy no-endpoint-services { 10.96.150.40 . tcp . 8080 comment "shop/internal:http" : drop }');
    expect(script('n2')).not.toContain('comment "shop/api:http" : drop');
  });

  it('writes affinity sets and endpoint chains for ClientIP affinity only, and eTP=Local external chains', () => {
    const s = script('n2');
    expect(s).toMatch(/add set ip kube-proxy affinity-\w{8}-shop\/cart\/tcp\/__10\.244\.1\.11\/7070 \{ type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; \}/);
    expect(s).toMatch(/update @affinity-\w{8}-shop\/cart\/tcp\/__10\.244\.2\.12\/7070 \{ ip saddr \}/);
    expect(s).toMatch(/add rule ip kube-proxy service-IJTWSMUZ-shop\/cart\/tcp\/ ip saddr @affinity-(\w{8})-shop\/cart\/tcp\/__10\.244\.1\.11\/7070 goto endpoint-\1-shop\/cart\/tcp\/__10\.244\.1\.11\/7070/);
    expect(s).toMatch(/add rule ip kube-proxy endpoint-\w{8}-shop\/cart\/tcp\/__10\.244\.2\.12\/7070 meta l4proto tcp dnat to 10\.244\.2\.12:7070/);
    expect(s).toContain('add rule ip kube-proxy external-WEZGB4Y6-shop/api/tcp/http ip saddr 10.244.0.0/16 goto service-WEZGB4Y6-shop/api/tcp/http comment "short-circuit pod traffic"');
    expect(s).toContain('add rule ip kube-proxy external-WEZGB4Y6-shop/api/tcp/http fib saddr type local mark set mark or 0x4000 comment "masquerade local traffic"');
    expect(s).toContain('add rule ip kube-proxy external-WEZGB4Y6-shop/api/tcp/http goto local-WEZGB4Y6-shop/api/tcp/http');
  });

  it('keeps the LoadBalancer firewall chain even when the service has no endpoints', () => {
    const cluster = smallCluster();
    const front = cluster.endpointSlices.find((e) => e.metadata.labels?.['kubernetes.io/service-name'] === 'front');
    if (front) front.endpoints = [];
    const s = renderNftRules(cluster, nodeOptions('n1'));
    expect(s).toContain('add rule ip kube-proxy firewall-HRERZ4JW-shop/front/tcp/http ip saddr != { 192.0.2.0/24, 198.51.100.250 } drop');
    expect(s).toContain('add element ip kube-proxy firewall-ips { 198.51.100.250 . tcp . 80 : goto firewall-HRERZ4JW-shop/front/tcp/http }');
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
