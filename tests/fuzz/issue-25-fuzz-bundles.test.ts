// Issue 25, "Done when": mutated bundles and snapshots (truncations, type flips, huge and deep values, jump
// loops, non-regular files) through load, resolve and trace. Every case must return a result or fail with a
// named problem, within the case bound. See README.md in this folder for the design and how to replay a case.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BundleLayer } from './bundleCases.js';
import { BUNDLE_CASES, CASE_BOUND_MS, MAX_HANGS, SEED, WORKERS, budgetMs, caseIndexes } from './config.js';
import { SECRET_MARKER, count, failureReport, newTally, tallyLine, type CaseResult, type Tally } from './judge.js';
import { FuzzWorker } from './workerClient.js';

// tmpfs: thousands of small bundles written and read back without touching a disk.
const root = mkdtempSync('/dev/shm/pbfuzz-');
const outsideFile = path.join(root, 'outside-secret.txt');
writeFileSync(outsideFile, `${SECRET_MARKER} -----BEGIN PRIVATE KEY-----\n`);
// Two workers: the machine has two cores, and the test process itself mostly waits.
const workers = Array.from({ length: WORKERS }, () => new FuzzWorker());
const tallies: Tally[] = [];

afterAll(() => {
  for (const w of workers) w.close();
  rmSync(root, { recursive: true, force: true });
  const total = tallies.reduce((s, t) => s + t.run, 0);
  console.log(`fuzz bundles (seed ${SEED}): ${total} mutated bundles; ${tallies.map(tallyLine).join('; ')}; worker restarts ${workers.reduce((n, w) => n + w.restarts, 0)}`);
});

async function runLayer(layer: BundleLayer, cases: number): Promise<{ tally: Tally; failures: CaseResult[] }> {
  const tally = newTally(layer);
  tallies.push(tally);
  const failures: CaseResult[] = [];
  const indexes = caseIndexes(layer, cases);
  const started = performance.now();
  const deadline = started + budgetMs(layer, indexes.length);
  let next = 0;
  // Each worker takes the next case until none is left, the budget is spent or too many cases hung.
  const drive = async (worker: FuzzWorker) => {
    while (next < indexes.length && performance.now() < deadline && tally.hang < MAX_HANGS) {
      const index = indexes[next++]!;
      const r = await worker.run({ layer, seed: SEED, index, root, outsideFile }, CASE_BOUND_MS);
      // A case that answered but took longer than the bound is a hang too (it could not be stopped sooner).
      if (r.verdict !== 'hang' && r.ms > CASE_BOUND_MS) Object.assign(r, { verdict: 'hang', detail: `took ${r.ms} ms (bound ${CASE_BOUND_MS} ms); ${r.detail}` });
      count(tally, r);
      if (r.verdict === 'crash' || r.verdict === 'leak' || r.verdict === 'hang') failures.push(r);
    }
  };
  await Promise.all(workers.map(drive));
  tally.notRun = indexes.length - tally.run;
  failures.sort((a, b) => a.index - b.index);
  tally.seconds = (performance.now() - started) / 1000;
  console.log(tallyLine(tally));
  if (failures.length > 0) console.log(failureReport(failures, SEED));
  return { tally, failures };
}

const FILE_CASES = Math.round(BUNDLE_CASES / 10);
const MEMORY_CASES = BUNDLE_CASES - FILE_CASES;
/** vitest's own timeout: the layer's budget plus room for the hangs it may still meet and a worker start. */
const timeout = (layer: BundleLayer, cases: number) => budgetMs(layer, cases) + (MAX_HANGS + 2) * (CASE_BOUND_MS + 5_000);

describe('issue 25: fuzz over bundles and snapshots', () => {
  it('loads mutated bundles from real files (FIFOs, symlinks, directories, blobs), then resolves and traces them', async () => {
    const { tally, failures } = await runLayer('file', FILE_CASES);
    expect(failureReport(failures, SEED)).toBe('');
    expect(tally.notRun).toBe(0);
  }, timeout('file', FILE_CASES));

  it('validates, resolves and traces mutated bundles in memory', async () => {
    const { tally, failures } = await runLayer('memory', MEMORY_CASES);
    expect(failureReport(failures, SEED)).toBe('');
    expect(tally.notRun).toBe(0);
  }, timeout('memory', MEMORY_CASES));
});
