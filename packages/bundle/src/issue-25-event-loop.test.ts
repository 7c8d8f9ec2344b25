import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeSnapshot } from '@patchbay/schema';
import { loadBundle } from './readBundle.js';
import { writeBundle } from './writeBundle.js';
// Test-only fixture from the schema package: real iproute2 output.
import { realSnapshot } from '../../schema/src/testSnapshot.js';

// Issue 25, defect 5: a large snapshot was parsed and validated on the loader's thread, blocking its event
// loop (a 193 MB one for 9.6 s: /healthz and the UI stalled). With parse workers, a timer keeps firing while a
// large file loads. Nothing here asserts a speed: the longest stall with workers is compared with the
// longest stall of the same load on the calling thread, in the same process.

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pb-issue25-loop-'));
  const big = NodeSnapshot.parse({ ...realSnapshot(), nodeName: 'big' });
  const route = big.host.routes.inet[0]!;
  // About 30 MB of routes: the shape that makes a real snapshot large (a route per node and pod network).
  big.host.routes.inet = Array.from({ length: 200_000 }, (_, i) => ({ ...route, dst: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32`, gateway: `192.0.2.${i % 250}`, protocol: 'kernel', scope: 'link' }));
  await writeBundle(dir, { clusterList: { kind: 'List', items: [] }, snapshots: [big, NodeSnapshot.parse({ ...realSnapshot(), nodeName: 'small' })] });
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Loads the bundle while a 10 ms timer counts its ticks and the longest gap between them. */
async function loadTicking(workers: number) {
  let ticks = 0;
  let last = performance.now();
  let longestGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
    ticks++;
  }, 10);
  try {
    const result = await loadBundle(dir, { workers });
    longestGap = Math.max(longestGap, performance.now() - last);
    return { result, ticks, longestGap };
  } finally {
    clearInterval(timer);
  }
}

describe('issue 25: the event loop keeps turning while a large bundle loads', () => {
  it('ticks throughout a load on parse workers, and the result is the same as parsing inline', { timeout: 300_000 }, async () => {
    const inline = await loadTicking(0);
    const workers = await loadTicking(1);
    expect(inline.result.problems).toEqual([]);
    expect(workers.result.problems).toEqual([]);
    expect(workers.result.bundle.snapshots.map((s) => s.nodeName)).toEqual(['big', 'small']);
    expect(workers.result.bundle.snapshots[0]!.host.routes.inet).toHaveLength(200_000);
    // Same data, whether parsed here or rebuilt from a worker's slices.
    expect(workers.result.bundle.snapshots).toEqual(inline.result.bundle.snapshots);
    // Inline, one long stall (the big file's parse); on workers, the timer keeps firing throughout.
    expect(workers.ticks).toBeGreaterThan(10);
    expect(workers.longestGap).toBeLessThan(inline.longestGap / 2);
    console.log(`inline: ${inline.ticks} ticks, longest gap ${inline.longestGap.toFixed(0)} ms; workers: ${workers.ticks} ticks, longest gap ${workers.longestGap.toFixed(0)} ms`);
  });
});
