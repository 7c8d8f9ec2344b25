// Compares two builds of this package on one dump, in one process, parses alternating (A B, B A, ...): on a
// noisy machine, single timings of one build spread by a factor of two, while the median of the paired ratios of
// two copies of one build stays within about 2% of 1. Not part of `npm run bench`; a tool for changing the reader.
//
//   cp -r packages/parse/dist node_modules/.cache/parse-A   (before the change, then rebuild for after; a copy
//                                                           under node_modules still finds @patchbay/schema)
//   npx tsx packages/parse/bench/pairedAB.ts --a node_modules/.cache/parse-A --b packages/parse/dist --dump capture.txt [--pairs 14]
//
// Without --dump, the bench's generated kube-proxy dump is used.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { parseIptablesSave as Parse } from '../src/index.js';
import { generateKubeProxyDump } from './kubeProxyDump.js';
import { median } from './median.js';

const WARM_UP_PAIRS = 3;

const { values } = parseArgs({
  options: { a: { type: 'string' }, b: { type: 'string' }, dump: { type: 'string' }, pairs: { type: 'string', default: '14' } },
});
if (!values.a || !values.b) {
  console.error('usage: pairedAB.ts --a DIST_DIR --b DIST_DIR [--dump FILE] [--pairs N]');
  process.exit(2);
}
const pairs = Number(values.pairs);
if (!Number.isInteger(pairs) || pairs <= WARM_UP_PAIRS) {
  console.error(`--pairs must be an integer above ${WARM_UP_PAIRS} (the warm-up pairs dropped), not "${values.pairs}"`);
  process.exit(2);
}

async function load(dir: string): Promise<typeof Parse> {
  const file = path.resolve(dir, 'index.js');
  let mod: { parseIptablesSave?: typeof Parse };
  try {
    mod = (await import(pathToFileURL(file).href)) as typeof mod;
  } catch (err) {
    console.error(`cannot load the build at ${dir}: ${(err as Error).message.split('\n')[0]}`);
    process.exit(2);
  }
  if (typeof mod.parseIptablesSave !== 'function') {
    console.error(`${file} exports no parseIptablesSave: not a build of @patchbay/parse?`);
    process.exit(2);
  }
  return mod.parseIptablesSave;
}

const parseA = await load(values.a);
const parseB = await load(values.b);
const text = values.dump ? readFileSync(values.dump, 'utf8') : generateKubeProxyDump(10_000, 3);
const times: Record<'a' | 'b', number[]> = { a: [], b: [] };
// Holds the last result until the next parse, as a caller would; emptied first so each parse starts with the
// same live heap.
const held: unknown[] = [];
for (let i = 0; i < pairs; i++) {
  const order: Array<['a' | 'b', typeof Parse]> = i % 2 === 0 ? [['a', parseA], ['b', parseB]] : [['b', parseB], ['a', parseA]];
  for (const [which, parse] of order) {
    held.length = 0;
    const t0 = performance.now();
    held.push(parse(text, { strict: true }));
    times[which].push(performance.now() - t0);
  }
}
const a = times.a.slice(WARM_UP_PAIRS);
const b = times.b.slice(WARM_UP_PAIRS);
const ratio = median(a.map((t, i) => b[i]! / t));
console.log(`${(Buffer.byteLength(text) / 1e6).toFixed(1)} MB dump, ${a.length} pairs after ${WARM_UP_PAIRS} warm-up pairs`);
console.log(`  A median ${median(a).toFixed(0)} ms (min ${Math.min(...a).toFixed(0)})   ${values.a}`);
console.log(`  B median ${median(b).toFixed(0)} ms (min ${Math.min(...b).toFixed(0)})   ${values.b}`);
console.log(`  B/A, median of paired ratios: ${ratio.toFixed(3)}`);
