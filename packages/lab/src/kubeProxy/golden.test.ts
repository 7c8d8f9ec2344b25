import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderIptablesRules } from './iptables.js';
import { renderNftRules } from './nftables.js';
import { nodeOptions, smallCluster } from './testCluster.js';

// Whole-output comparisons for the small cluster. The iptables goldens were checked to round-trip byte for byte
// through iptables-restore/iptables-save (1.8.9, nf_tables) and the nft ones to load with nft 1.0.6; regenerate
// with UPDATE_GOLDEN=1 and re-check by hand (packages/lab/src/kubeProxy/README.md).
const update = process.env.UPDATE_GOLDEN === '1';

function golden(name: string, actual: string): void {
  const file = new URL(`./testdata/${name}`, import.meta.url);
  if (update) writeFileSync(file, actual);
  const expected = readFileSync(file, 'utf8');
  if (actual !== expected) {
    const a = actual.split('\n');
    const e = expected.split('\n');
    const first = a.findIndex((line, i) => line !== e[i]);
    throw new Error(`${name} differs at line ${first + 1}:\n  expected: ${e[first]}\n  actual:   ${a[first]}\n\nfull output:\n${actual}`);
  }
}

describe('golden output for testdata/small-cluster.json', () => {
  for (const node of ['n1', 'n2'] as const) {
    it(`iptables, node ${node}`, () => golden(`small-cluster.${node}.iptables`, renderIptablesRules(smallCluster(), nodeOptions(node))));
    it(`nft, node ${node}`, () => golden(`small-cluster.${node}.nft`, renderNftRules(smallCluster(), nodeOptions(node))));
  }
  it('is deterministic', () => {
    expect(renderIptablesRules(smallCluster(), nodeOptions('n1'))).toBe(renderIptablesRules(smallCluster(), nodeOptions('n1')));
  });
});
