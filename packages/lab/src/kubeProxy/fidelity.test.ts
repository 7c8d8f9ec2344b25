import { readFileSync } from 'node:fs';
import { parseClusterList } from '@patchbay/schema';
import { describe, expect, it } from 'vitest';
import {
  TOLERATED_DIFFERENCES,
  canonicalIptables,
  canonicalNft,
  compareIptables,
  compareNft,
  parseIptablesSave,
  parseNftList,
  unifiedDiff,
} from './fidelity.js';
import { renderIptablesRules } from './iptables.js';

// testdata/fidelity holds what real kube-proxy 1.36.5 programmed in a flannel-vxlan lab (iptables mode on all three
// nodes, nftables mode on n1) and the cluster.json its API server printed (tests/lab/kubeProxyFidelity.test.ts
// with PATCHBAY_FIDELITY_CAPTURE set writes them).
const fixture = (name: string) => readFileSync(new URL(`./testdata/fidelity/${name}`, import.meta.url), 'utf8');
const nodeIP = { n1: '192.0.2.11', n2: '192.0.2.12', n3: '192.0.2.13' } as const;

function cluster() {
  const { cluster: c, problems } = parseClusterList('cluster.json', JSON.parse(fixture('cluster.json')));
  if (problems.length > 0) throw new Error(`fixture has problems: ${JSON.stringify(problems)}`);
  return c;
}

const imitation = (node: keyof typeof nodeIP, nfacct = true) =>
  renderIptablesRules(cluster(), { nodeName: node, nodeIPs: [nodeIP[node]], clusterCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/16', nfacct });

describe('iptables fidelity against real kube-proxy 1.36.5 (recorded)', () => {
  for (const node of ['n1', 'n2', 'n3'] as const) {
    it(`node ${node}: the imitation's text is the same but for the tolerances`, () => {
      const r = compareIptables(fixture(`real.${node}.iptables-save`), imitation(node));
      expect(r.diff).toBe('');
      expect(r.same).toBe(true);
      expect(r.lines).toBeGreaterThan(150);
      expect([...r.used.keys()].sort()).toEqual(['cni-chains', 'kube-firewall-jump', 'kubelet-chains', 'service-port-order']);
    });
  }

  it('fails with a readable diff when a rule differs or is missing', () => {
    const r = compareIptables(fixture('real.n1.iptables-save'), imitation('n1', false));
    expect(r.same).toBe(false);
    const lines = r.diff.split('\n');
    expect(lines).toContain('- -A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name  ct_state_invalid_dropped_pkts -j DROP');
    expect(lines).toContain('+ -A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP');
    expect(lines.filter((l) => l.startsWith('- -A KUBE-NODEPORTS -d 127.0.0.0/8 ')).length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^@@ real line \d+$/);
    // One changed probability is caught too.
    const wrong = imitation('n1').replace('--probability 0.50000000000', '--probability 0.33333333349');
    expect(compareIptables(fixture('real.n1.iptables-save'), wrong).diff).toMatch(/^\+ .*--probability 0\.33333333349/m);
  });

  it("leaves out the CNI's chains and the jumps to them on the real side only", () => {
    const real = fixture('real.n1.iptables-save');
    expect(real).toContain(':FLANNEL-POSTRTG');
    const used = new Map<string, number>();
    const canon = canonicalIptables(real, 'real', used);
    expect(canon.filter((l) => l.includes('FLANNEL'))).toEqual([]);
    expect(used.get('cni-chains')).toBeGreaterThan(2);
    // The imitation side keeps a FLANNEL chain: the imitation has no business writing one.
    const fake = '*filter\n:INPUT ACCEPT [0:0]\n:FLANNEL-FWD - [0:0]\n-A INPUT -j FLANNEL-FWD\nCOMMIT\n';
    expect(canonicalIptables(fake, 'imitation', new Map())).toContain('-A INPUT -j FLANNEL-FWD');
  });

  it("orders service ports' rules in order-free chains, keeping their inner order and the final jump's place", () => {
    const text = [
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':KUBE-NODEPORTS - [0:0]',
      ':KUBE-SERVICES - [0:0]',
      ':KUBE-SVC-X - [0:0]',
      '-A KUBE-NODEPORTS -d 127.0.0.0/8 -p tcp -m comment --comment "shop/web:http" -m tcp --dport 30050 -j KUBE-EXT-W',
      '-A KUBE-NODEPORTS -p tcp -m comment --comment "shop/web:http" -m tcp --dport 30050 -j KUBE-EXT-W',
      '-A KUBE-NODEPORTS -d 127.0.0.0/8 -p tcp -m comment --comment "shop/api:http" -m tcp --dport 30080 -j KUBE-EXT-A',
      '-A KUBE-NODEPORTS -p tcp -m comment --comment "shop/api:http" -m tcp --dport 30080 -j KUBE-EXT-A',
      '-A KUBE-SERVICES -d 10.96.0.2/32 -p tcp -m comment --comment "shop/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-W',
      '-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j KUBE-SVC-K',
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
      '-A KUBE-SVC-X -m comment --comment "shop/web:http -> 10.244.2.2:8080" -j KUBE-SEP-B',
      '-A KUBE-SVC-X -m comment --comment "shop/web:http -> 10.244.1.4:8080" -j KUBE-SEP-A',
      'COMMIT',
    ].join('\n');
    const used = new Map<string, number>();
    const canon = canonicalIptables(text, 'real', used);
    expect(canon.filter((l) => l.startsWith('-A KUBE-NODEPORTS')).map((l) => / -d 127| --dport \d+/g.exec(l)?.[0])).toEqual([' -d 127', ' --dport 30080', ' -d 127', ' --dport 30050']);
    expect(canon.filter((l) => l.startsWith('-A KUBE-SERVICES')).map((l) => /--comment "([^" ]+)/.exec(l)?.[1])).toEqual(['default/kubernetes:https', 'shop/web:http', 'kubernetes']);
    // A service's own chain is not order-free: its rules are compared as written.
    expect(canon.filter((l) => l.startsWith('-A KUBE-SVC-X')).map((l) => /-j (\S+)/.exec(l)?.[1])).toEqual(['KUBE-SEP-B', 'KUBE-SEP-A']);
    expect(used.get('service-port-order')).toBe(2);
  });

  it('compares the KUBE-FIREWALL jump as the last rule of INPUT and OUTPUT', () => {
    const text = ['*filter', ':INPUT ACCEPT [0:0]', ':KUBE-FIREWALL - [0:0]', ':KUBE-NODEPORTS - [0:0]', '-A INPUT -j KUBE-FIREWALL', '-A INPUT -j KUBE-NODEPORTS', 'COMMIT'].join('\n');
    const used = new Map<string, number>();
    expect(canonicalIptables(text, 'real', used).filter((l) => l.startsWith('-A INPUT'))).toEqual(['-A INPUT -j KUBE-NODEPORTS', '-A INPUT -j KUBE-FIREWALL']);
    expect(used.get('kube-firewall-jump')).toBe(1);
  });

  it('reads iptables-save -c output and refuses what it cannot place', () => {
    const t = parseIptablesSave('# Generated\n*nat\n:PREROUTING ACCEPT [3:180]\n[3:180] -A PREROUTING -j KUBE-SERVICES\nCOMMIT\n');
    expect(t.get('nat')?.rules.get('PREROUTING')).toEqual(['-A PREROUTING -j KUBE-SERVICES']);
    expect(() => parseIptablesSave('*nat\n-A NOPE -j ACCEPT\nCOMMIT\n')).toThrow(/undeclared chain/);
    expect(() => parseIptablesSave('-A X\n')).toThrow(/before any table/);
  });
});

describe('nft fidelity helpers', () => {
  const real = fixture('real.n1.nft-list');

  it('reads every table of a ruleset, with elements that span lines', () => {
    const tables = parseNftList(real);
    expect(tables.map((t) => `${t.family} ${t.name}`).sort()).toEqual(['ip filter', 'ip kube-proxy', 'ip nat', 'ip6 kube-proxy']);
    const kp = tables.find((t) => t.family === 'ip' && t.name === 'kube-proxy')!;
    const clusterIPs = kp.objects.find((o) => o.name === 'cluster-ips')!;
    expect(clusterIPs.elements).toContain('10.96.0.1');
    expect(clusterIPs.elements.length).toBeGreaterThan(10);
    const reject = kp.objects.find((o) => o.name === 'reject-chain')!;
    expect(reject.props).toEqual(['comment "helper for @no-endpoint-services / @no-endpoint-nodeports"']);
    expect(reject.rules).toEqual(['reject']);
  });

  it('compares only table ip kube-proxy, sorting declarations and elements, and counts what it forgave', () => {
    const used = new Map<string, number>();
    const canon = canonicalNft(real, 'real', used);
    expect(canon.some((l) => l.includes('FLANNEL'))).toBe(false);
    expect(used.get('ip6-table')).toBe(1);
    expect(used.get('other-tables')).toBe(2);
    const elements = canon.filter((l) => l.startsWith('set cluster-ips element '));
    expect(elements).toEqual([...elements].sort());
    // The same table listed in another order compares equal.
    const shuffled = real.replace(/elements = \{ ([^}]*)\}/, (_, body: string) => `elements = { ${body.split(',').map((x) => x.trim()).reverse().join(', ')} }`);
    expect(shuffled).not.toBe(real);
    expect(compareNft(real, shuffled.replace(/table ip6 kube-proxy \{[\s\S]*$/, '').replace(/table ip (nat|filter) \{[\s\S]*?\n\}\n/g, '')).same).toBe(true);
  });

  it('drops counters and sorts the items of inline sets inside rules', () => {
    const listing = ['table ip kube-proxy {', '\tchain x {', '\t\tip saddr != { 10.0.0.2, 10.0.0.1 } counter packets 3 bytes 180 drop', '\t}', '}', ''].join('\n');
    const canon = canonicalNft(listing, 'imitation', new Map());
    expect(canon).toContain('chain x rule ip saddr != { 10.0.0.1, 10.0.0.2 } drop');
  });

  it('reports a changed rule as a diff', () => {
    const kp = real.slice(real.indexOf('table ip kube-proxy {'), real.indexOf('table ip6 kube-proxy {'));
    const changed = kp.replace('masquerade fully-random', 'masquerade');
    const r = compareNft(real, changed);
    expect(r.same).toBe(false);
    expect(r.diff).toMatch(/^- chain masquerading rule .*masquerade fully-random$/m);
    expect(r.diff).toMatch(/^\+ chain masquerading rule .* masquerade$/m);
    expect(() => canonicalNft(real, 'imitation', new Map())).toThrow(/holds 4 tables/);
  });
});

describe('unifiedDiff', () => {
  it('is empty for equal input and shows changes with context', () => {
    expect(unifiedDiff(['a', 'b'], ['a', 'b'])).toBe('');
    expect(unifiedDiff(['a', 'b', 'c', 'd', 'e', 'f'], ['a', 'b', 'c', 'X', 'e', 'f'], 1)).toBe(['@@ real line 3', '  c', '- d', '+ X', '  e'].join('\n'));
    expect(unifiedDiff([], ['new'])).toBe(['@@ real line 1', '+ new'].join('\n'));
  });
});

describe('TOLERATED_DIFFERENCES', () => {
  it('names each tolerance once, with what it forgives and why', () => {
    const ids = TOLERATED_DIFFERENCES.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const t of TOLERATED_DIFFERENCES) {
      expect(t.what.length, t.id).toBeGreaterThan(20);
      expect(t.why.length, t.id).toBeGreaterThan(20);
    }
  });
});
