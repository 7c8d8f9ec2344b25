// Golden tests over recorded real outputs: every testdata/<case>/input.(txt|json) and every capture in
// testdata/kube-proxy/ is parsed strictly and compared, through the normaliser, with its expected JSON.
// UPDATE_GOLDEN=1 npx vitest run --project unit packages/parse   rewrites the expected files.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readers } from './index.js';
import { diffLines, normaliseForGolden } from './internal/normalise.js';

const testdata = fileURLToPath(new URL('../testdata/', import.meta.url));
const update = process.env['UPDATE_GOLDEN'] === '1';

type Parser = 'iptables' | 'nft' | 'ipvs' | 'ipset';

/** Which parser an input needs, from its content (the kube-proxy captures are named by their producer). */
function sniff(file: string, text: string): Parser {
  if (file.endsWith('.json')) return 'nft';
  if (/^(\*\w+|COMMIT)$/m.test(text)) return 'iptables';
  if (/^IP Virtual Server|^Prot LocalAddress/m.test(text)) return 'ipvs';
  if (/^(create|add) \S+ /m.test(text)) return 'ipset';
  throw new Error(`${file}: cannot tell which parser reads it`);
}

/** Through the reader registry, strictly: a recorded real output must parse without a single warning. */
function parse(parser: Parser, text: string): unknown {
  return readers[parser].read(parser === 'nft' ? JSON.parse(text) : text, { strict: true }).model;
}

interface GoldenCase {
  name: string;
  input: string;
  expected: string;
}

function cases(): GoldenCase[] {
  const out: GoldenCase[] = [];
  for (const dir of readdirSync(testdata, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    const base = join(testdata, dir.name);
    for (const name of ['input.txt', 'input.json']) {
      if (existsSync(join(base, name))) out.push({ name: dir.name, input: join(base, name), expected: join(base, 'expected.json') });
    }
  }
  // Captures dropped by the kube-proxy rule writers: <node>.<tool>.txt|json, expected beside them.
  const kp = join(testdata, 'kube-proxy');
  if (existsSync(kp)) {
    for (const f of readdirSync(kp).sort()) {
      if (!/\.(txt|json)$/.test(f) || f.endsWith('.expected.json') || f === 'cluster.json') continue;
      out.push({ name: `kube-proxy/${f}`, input: join(kp, f), expected: join(kp, f.replace(/\.(txt|json)$/, '.expected.json')) });
    }
  }
  return out;
}

describe('golden files', () => {
  const all = cases();
  it('finds the recorded cases', () => {
    expect(all.length).toBeGreaterThanOrEqual(8);
  });

  it.each(all.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const text = readFileSync(c.input, 'utf8');
    const actual = `${JSON.stringify(normaliseForGolden(parse(sniff(c.input, text), text)), null, 1)}\n`;
    if (update || !existsSync(c.expected)) {
      if (!update) throw new Error(`${c.expected} is missing; run with UPDATE_GOLDEN=1 to create it`);
      writeFileSync(c.expected, actual);
      return;
    }
    const expected = readFileSync(c.expected, 'utf8');
    if (actual !== expected) {
      // The diff first, then the whole result so a reviewer can read it without re-running.
      expect.fail(`${c.name} differs from ${c.expected}:\n${diffLines(expected, actual)}\n\nwhole result:\n${actual}`);
    }
  });
});
