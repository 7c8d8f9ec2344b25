import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from './parse.js';
import { IptablesParseCache } from './parseCache.js';

const testdata = fileURLToPath(new URL('../../testdata/', import.meta.url));

/** Every recorded iptables-save dump of the golden tests. */
function recordedDumps(): Array<{ name: string; text: string }> {
  const out: Array<{ name: string; text: string }> = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.txt')) {
        const text = readFileSync(p, 'utf8');
        if (/^\*\w+$/m.test(text) && /^COMMIT$/m.test(text)) out.push({ name: p.slice(testdata.length), text });
      }
    }
  };
  walk(testdata);
  return out;
}

describe('IptablesParseCache', () => {
  it('changes nothing in what any recorded dump parses to, whatever was read before it', () => {
    const dumps = recordedDumps();
    expect(dumps.length).toBeGreaterThan(4);
    const cache = new IptablesParseCache();
    // Twice round, so each dump is also read after every other one has filled the cache.
    for (const d of [...dumps, ...dumps]) {
      expect(parseIptablesSave(d.text, { cache }), d.name).toEqual(parseIptablesSave(d.text));
    }
    expect(cache.sections.size).toBeGreaterThan(0);
    expect([...cache.targets.values()].reduce((n, m) => n + m.size, 0)).toBeGreaterThan(0);
  });

  it('shares the match lists and built-in targets of identical rules between dumps', () => {
    const a = ['*nat', ':KUBE-SEP-A - [0:0]', '-A KUBE-SEP-A -p tcp -m tcp -j DNAT --to-destination 10.244.1.2:8080', 'COMMIT', ''].join('\n');
    const b = ['*nat', ':OTHER - [0:0]', ':KUBE-SEP-A - [0:0]', '-A OTHER -j RETURN', '-A KUBE-SEP-A -p tcp -m tcp -j DNAT --to-destination 10.244.1.2:8080', 'COMMIT', ''].join('\n');
    const cache = new IptablesParseCache();
    const ra = parseIptablesSave(a, { cache }).tables['nat']!.chains['KUBE-SEP-A']!.rules[0]!;
    const rb = parseIptablesSave(b, { cache }).tables['nat']!.chains['KUBE-SEP-A']!.rules[0]!;
    expect(rb.matches).toBe(ra.matches);
    expect(rb.target).toBe(ra.target);
    expect(rb.line).toBe(5);
    expect(ra.line).toBe(3);
  });

  it('reads a jump to a chain the dump does not declare as if no other dump had been read', () => {
    const withChain = ['*filter', ':FOO - [0:0]', ':X - [0:0]', '-A X -j FOO', 'COMMIT', ''].join('\n');
    const without = ['*filter', ':X - [0:0]', '-A X -j FOO', 'COMMIT', ''].join('\n');
    const cache = new IptablesParseCache();
    expect(parseIptablesSave(withChain, { cache }).tables['filter']!.chains['X']!.rules[0]!.target).toEqual({ kind: 'jump', chain: 'FOO' });
    const r = parseIptablesSave(without, { cache });
    expect(r.tables['filter']!.chains['X']!.rules[0]!.target).toEqual(parseIptablesSave(without).tables['filter']!.chains['X']!.rules[0]!.target);
  });

  it('still tells the family from addresses met only through the cache', () => {
    const v6 = ['*filter', ':X - [0:0]', '-A X -s fd00::1/128 -j ACCEPT', 'COMMIT', ''].join('\n');
    const cache = new IptablesParseCache();
    expect(parseIptablesSave(v6, { cache }).family).toBe('ipv6');
    expect(parseIptablesSave(v6, { cache }).family).toBe('ipv6');
  });
});
