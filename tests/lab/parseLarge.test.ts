import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { ParseError, parseIptablesSave, type IptablesRule } from '@patchbay/parse';
import { assertLabCapable, generateCluster, renderIptablesRules } from '@patchbay/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The iptables parser on a large real capture: kube-proxy's rules for a 3,000-service cluster (the lab's writer)
// loaded into a kernel by iptables-nft-restore in a namespace of our own, then read back with
// `iptables-save -c`, exactly as the agent reads it. What the parser returns is checked against the rules that
// were loaded, not against the parser's own output. Then every truncation of that capture: an error that names
// a line, never a crash.

const exec = promisify(execFile);
const ns = `pb${randomBytes(3).toString('hex')}-parse`;
const { cluster } = generateCluster({ nodes: 20, podsPerNode: 30, services: 3000, seed: 3 });
const loaded = renderIptablesRules(cluster, { nodeName: cluster.nodes[0]!.metadata.name, nodeIPs: ['192.0.2.2'], clusterCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/16' });
let capture = '';

function restore(input: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = execFile('ip', ['netns', 'exec', ns, 'iptables-nft-restore'], { maxBuffer: 64 << 20 }, (err, _o, stderr) => (err ? reject(new Error(`iptables-nft-restore: ${stderr || err.message}`)) : resolve(null)));
    child.stdin!.end(input);
  });
}

beforeAll(async () => {
  assertLabCapable();
  await exec('ip', ['netns', 'add', ns]);
  await restore(loaded);
  capture = (await exec('ip', ['netns', 'exec', ns, 'iptables-nft-save', '-c'], { maxBuffer: 256 << 20 })).stdout;
}, 120_000);

afterAll(async () => {
  await exec('ip', ['netns', 'del', ns]).catch(() => undefined);
});

describe('iptables-save parser on a large real capture', () => {
  it('holds every loaded rule, in its chain, with structured matches and targets', () => {
    const rs = parseIptablesSave(capture, { strict: true });
    const rules = Object.values(rs.tables).flatMap((t) => Object.values(t.chains).flatMap((c) => c.rules));
    const loadedRules = loaded.split('\n').filter((l) => l.startsWith('-A '));
    expect(loadedRules.length).toBeGreaterThan(20_000);
    expect(rules.length).toBe(loadedRules.length);
    expect(rs.backend).toBe('nft');
    // Per chain, as many rules as were loaded into it.
    const perChain = new Map<string, number>();
    for (const l of loadedRules) perChain.set(l.split(' ')[1]!, (perChain.get(l.split(' ')[1]!) ?? 0) + 1);
    for (const [chain, n] of perChain) {
      const tables = Object.values(rs.tables).filter((t) => t.chains[chain]);
      expect(tables.reduce((a, t) => a + t.chains[chain]!.rules.length, 0), chain).toBe(n);
    }

    // Every ready endpoint of every service port is one DNAT in a KUBE-SEP chain.
    const nat = rs.tables.nat!;
    const dnats = Object.values(nat.chains).flatMap((c) => c.rules).filter((r) => r.target?.kind === 'dnat');
    const loadedDnats = loadedRules.filter((l) => l.includes(' -j DNAT '));
    expect(dnats.length).toBe(loadedDnats.length);
    const dests = new Set(dnats.map((r) => (r.target as { to: { addrFrom?: string; portFrom?: number }[] }).to.map((t) => `${t.addrFrom}:${t.portFrom}`).join()));
    for (const l of loadedDnats) expect(dests.has(/--to-destination (\S+)/.exec(l)![1]!), l).toBe(true);

    // Endpoint choice: in each KUBE-SVC chain the i-th of n statistic rules has probability 1/(n-i).
    let checked = 0;
    for (const chain of Object.values(nat.chains).filter((c) => c.name.startsWith('KUBE-SVC-'))) {
      const picks = chain.rules.filter((r) => r.target?.kind === 'jump' && (r.target as { chain: string }).chain.startsWith('KUBE-SEP-') && !r.matches.some((m) => m.kind === 'recent'));
      picks.forEach((r: IptablesRule, i) => {
        const stat = r.matches.find((m) => m.kind === 'statistic') as { probability?: number } | undefined;
        if (i === picks.length - 1) expect(stat, r.raw).toBeUndefined();
        else expect(stat?.probability, r.raw).toBeCloseTo(1 / (picks.length - i), 8);
        checked += 1;
      });
    }
    expect(checked).toBeGreaterThan(5000);

    // Counters and line numbers point back into the capture.
    const lines = capture.split('\n');
    for (const r of [rules[0]!, rules[Math.floor(rules.length / 2)]!, rules.at(-1)!]) {
      expect(lines[r.line - 1]).toBe(r.raw);
      expect(r.counters).not.toBeNull();
    }
  });

  it('read chain by chain (the default parse), the capture gives what a strict parse gives', () => {
    const lazy = parseIptablesSave(capture);
    // Last chain first, as a reader that jumps around would, before the comparison reads the rest in order.
    for (const t of Object.values(lazy.tables).reverse()) for (const c of Object.values(t.chains).reverse()) void c.rules;
    expect(lazy).toEqual(parseIptablesSave(capture, { strict: true }));
    expect(lazy.warnings).toEqual([]);
  });

  it('a capture cut anywhere is an error naming a line, or parses; never a crash', () => {
    const lines = capture.split('\n');
    // Cuts at every table boundary and at 40 other lines spread over the capture, each also inside the next line.
    const cuts = new Set<number>([...lines.keys()].filter((i) => /^(\*|COMMIT)/.test(lines[i]!) || i % Math.ceil(lines.length / 40) === 0));
    let errors = 0;
    for (const cut of cuts) {
      for (const text of [lines.slice(0, cut).join('\n'), `${lines.slice(0, cut).join('\n')}\n${(lines[cut] ?? '').slice(0, 17)}`]) {
        // Read at once, and by default with every chain read afterwards: the same outcome.
        const outcomes: string[] = [];
        for (const read of [() => parseIptablesSave(text, { strict: true }), () => parseIptablesSave(text).warnings]) {
          try {
            read();
            outcomes.push('parsed');
          } catch (err) {
            expect(err, `cut at line ${cut}`).toBeInstanceOf(ParseError);
            expect((err as ParseError).message).toMatch(/^line \d+: /);
            outcomes.push((err as ParseError).message);
          }
        }
        expect(outcomes[1], `cut at line ${cut}`).toBe(outcomes[0]);
        if (outcomes[0] !== 'parsed') errors += 1;
      }
    }
    expect(errors).toBeGreaterThan(cuts.size / 2);
  });
});
