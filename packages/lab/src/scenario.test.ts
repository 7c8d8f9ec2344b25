import { describe, expect, it } from 'vitest';
import { parseIptablesCounters, parseNftCounters } from './counters.js';
import { planLab } from './plan.js';
import { parseScenario } from './scenario.js';
import { loadScenario, scenarios } from './scenarios.js';

const minimal = {
  name: 'mini',
  cni: 'flannel-vxlan',
  kubeProxy: 'none',
  nodes: [{ name: 'n1', podCIDR: '10.244.1.0/24', internalIP: '192.0.2.11' }],
};

describe('scenario validation', () => {
  it('accepts every built-in scenario', () => {
    expect(Object.keys(scenarios)).toEqual(expect.arrayContaining(['flannel-vxlan', 'host-gw', 'calico-routed', 'nftables']));
    for (const name of Object.keys(scenarios)) expect(loadScenario(name).name).toBe(name);
  });

  it('names the unknown scenario and lists the known ones', () => {
    expect(() => loadScenario('weave')).toThrow(/unknown scenario "weave" \(known: flannel-vxlan, host-gw/);
  });

  it('rejects addresses outside DESIGN.md plan, with the JSON path', () => {
    const bad = { ...minimal, nodes: [{ name: 'n1', podCIDR: '10.0.1.0/24', internalIP: '10.1.1.1' }] };
    expect(() => parseScenario(bad, 'x')).toThrow(/x: \$\.nodes\[0\]\.podCIDR: must be a \/24 inside 10\.244\.0\.0\/16/);
    expect(() => parseScenario(bad, 'x')).toThrow(/\$\.nodes\[0\]\.internalIP: must be inside 192\.0\.2\.0\/24 or 198\.51\.100\.0\/24/);
    expect(() => parseScenario({ ...minimal, services: [{ namespace: 'default', name: 's', clusterIP: '10.97.0.1', ports: [{ port: 80 }] }] }, 'x')).toThrow(
      /\$\.services\[0\]\.clusterIP: must be inside 10\.96\.0\.0\/16/,
    );
  });

  it('rejects pods on unknown nodes, outside their node CIDR, and duplicate names', () => {
    const pods = [
      { namespace: 'default', name: 'a', node: 'n9' },
      { namespace: 'default', name: 'b', node: 'n1', ip: '10.244.2.5' },
      { namespace: 'default', name: 'b', node: 'n1' },
    ];
    let msg = '';
    try {
      parseScenario({ ...minimal, pods }, 'x');
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toContain('$.pods[0].node: no node named n9');
    expect(msg).toContain("$.pods[1].ip: 10.244.2.5 is outside n1's podCIDR 10.244.1.0/24");
    expect(msg).toContain('$.pods[2].name: duplicate pod default/b');
  });

  it('rejects unknown faults and fields', () => {
    expect(() => parseScenario({ ...minimal, faults: ['gremlins'] }, 'x')).toThrow(/\$\.faults\[0\]/);
    expect(() => parseScenario({ ...minimal, extra: 1 }, 'x')).toThrow(/extra/);
  });
});

describe('planLab', () => {
  it('allocates pod IPs .2, .3, ... per node and names everything under the prefix', () => {
    const plan = planLab(loadScenario('flannel-vxlan'), 'pbabcd', []);
    expect(plan.pods.map((p) => `${p.key} ${p.ip} ${p.node.name}`)).toEqual([
      'shop/client-0 10.244.1.2 n1',
      'shop/cache-0 10.244.1.3 n1',
      'shop/web-0 10.244.1.4 n1',
      'shop/web-1 10.244.2.2 n2',
      'shop/api-0 10.244.2.3 n2',
      'default/dns-0 10.244.2.4 n2',
      'shop/db-0 10.244.3.2 n3',
      'shop/cart-0 10.244.3.3 n3',
      'shop/orders-0 10.244.3.4 n3',
    ]);
    expect(plan.nodes.map((n) => [n.netns, n.gateway, n.vtepMac])).toEqual([
      ['pbabcd-n1', '10.244.1.1', '02:fb:c0:00:02:0b'],
      ['pbabcd-n2', '10.244.2.1', '02:fb:c0:00:02:0c'],
      ['pbabcd-n3', '10.244.3.1', '02:fb:c0:00:02:0d'],
    ]);
    for (const p of plan.pods) {
      expect(p.netns.startsWith('pbabcd-p-')).toBe(true);
      expect(p.hostVeth.length).toBeLessThanOrEqual(15);
    }
    expect(planLab(loadScenario('calico-routed'), 'pbabcd', []).pods[0]!.hostVeth).toMatch(/^cali[0-9a-f]{11}$/);
  });

  it('refuses faults that do not fit the scenario', () => {
    expect(() => planLab(loadScenario('host-gw'), 'pbabcd', ['missing-fdb'])).toThrow(/missing-fdb does not apply to CNI flannel-host-gw/);
    expect(() => planLab({ ...loadScenario('flannel-vxlan'), kubeProxy: 'none' }, 'pbabcd', ['stale-service-rule'])).toThrow(/needs kube-proxy rules/);
  });
});

describe('rule counters', () => {
  it('reads iptables-save -c', () => {
    const text = ['*nat', ':PREROUTING ACCEPT [3:180]', '[2:120] -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES', 'COMMIT', '*filter', '[0:0] -A FORWARD -j FLANNEL-FWD', 'COMMIT'].join('\n');
    expect(parseIptablesCounters(text)).toEqual([
      { source: 'iptables', table: 'nat', chain: 'PREROUTING', rule: '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES', packets: 2, bytes: 120 },
      { source: 'iptables', table: 'filter', chain: 'FORWARD', rule: '-A FORWARD -j FLANNEL-FWD', packets: 0, bytes: 0 },
    ]);
  });

  it('reads nft counters, leaving iptables-nft tables to iptables-save', () => {
    const text = [
      'table ip filter {',
      '\tchain FORWARD {',
      '\t\tcounter packets 9 bytes 9 jump FLANNEL-FWD',
      '\t}',
      '}',
      'table ip kube-proxy {',
      '\tchain reject-chain {',
      '\t\tcomment "helper for @no-endpoint-services / @no-endpoint-nodeports"',
      '\t\tcounter packets 1 bytes 60 reject',
      '\t}',
      '}',
    ].join('\n');
    expect(parseNftCounters(text)).toEqual([{ source: 'nft', table: 'ip kube-proxy', chain: 'reject-chain', rule: 'reject', packets: 1, bytes: 60 }]);
  });
});
