// `npm run bench -- map`: loads the cluster map for synthetic bundles in headless Chromium through the real
// server (`patchbay serve`) and prints time to first render, frame times while panning, and the time to expand
// one node (30 pods at 1,000 nodes, 110 at 100). Prints figures; asserts nothing (targets: 1,000 nodes
// collapsed first render <= 2 s and >= 30 fps panning; a 110-pod expansion <= 500 ms).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from '@playwright/test';
import { writeSyntheticBundle } from '@patchbay/lab';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor((s.length - 1) / 2)] as number) : NaN;
}
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor(p * s.length))] as number) : NaN;
}

async function serve(dir: string): Promise<{ url: string; child: ChildProcess; loadMs: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(root, 'apps/server/bin/patchbay.mjs'), 'serve', '--bundle', dir, '--port', '0', '--host', '127.0.0.1'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', NEXT_TELEMETRY_DISABLED: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /(http:\/\/\S+)/.exec(err);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`patchbay serve exited ${code}: ${err}`)));
  });
  return { url, child, loadMs: performance.now() - started };
}

async function firstRender(page: Page, url: string): Promise<{ ms: number; elements: number }> {
  await page.goto(url);
  const graph = page.getByTestId('cluster-map');
  await graph.locator('xpath=.').and(page.locator('[data-rendered-at]')).waitFor({ timeout: 120_000 });
  const ms = Number(await graph.getAttribute('data-rendered-at'));
  const elements = Number(await graph.getAttribute('data-elements'));
  return { ms, elements };
}

/** Drags the canvas with the mouse for `frames` animation frames and returns the frame intervals. */
async function panFrames(page: Page, frames = 90): Promise<number[]> {
  const box = await page.getByTestId('cluster-map').boundingBox();
  if (!box) throw new Error('no graph');
  // A string, not a function: tsx's keepNames would inject a helper the page does not have.
  await page.evaluate(`(() => {
    window.__frames = [];
    let last = performance.now();
    let count = 0;
    function tick(t) {
      window.__frames.push(t - last);
      last = t;
      if (++count < ${frames}) requestAnimationFrame(tick);
    }
    requestAnimationFrame(tick);
  })()`);
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  for (let i = 0; i < frames; i++) {
    await page.mouse.move(cx + Math.sin(i / 10) * 200, cy + Math.cos(i / 10) * 120);
  }
  await page.mouse.up();
  await page.waitForFunction((n) => ((window as unknown as { __frames?: number[] }).__frames?.length ?? 0) >= n, frames, { timeout: 60_000 });
  const all = await page.evaluate(() => (window as unknown as { __frames: number[] }).__frames);
  return all.slice(1);
}

async function expandTime(page: Page): Promise<{ ms: number; pods: number }> {
  const graph = page.getByTestId('cluster-map');
  const before = Number(await graph.getAttribute('data-elements'));
  const t0 = await page.evaluate(() => performance.now());
  await page.getByRole('table', { name: /Nodes/ }).getByRole('button', { name: 'Expand' }).first().click();
  await page.waitForFunction(
    ([b]) => Number(document.querySelector('[data-testid="cluster-map"]')?.getAttribute('data-elements')) > (b as number),
    [before],
    { timeout: 60_000 },
  );
  const at = Number(await graph.getAttribute('data-rendered-at'));
  const pods = await page.evaluate(() => (window as unknown as { __patchbayCy: { nodes(s: string): { length: number } } }).__patchbayCy.nodes('.pod').length);
  return { ms: at - t0, pods };
}

async function main(): Promise<void> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const cases = [
    { name: '100 nodes x 30 pods', nodes: 100, podsPerNode: 30, expand: false },
    { name: '1,000 nodes x 30 pods', nodes: 1000, podsPerNode: 30, expand: true },
    // 110 pods per node fit 10.244.0.0/16 only up to ~590 nodes (1,000 x 110 would be 110,000 pod addresses).
    { name: '100 nodes x 110 pods (expand one node)', nodes: 100, podsPerNode: 110, expand: true },
  ];
  const only = process.env.BENCH_ONLY;
  try {
    for (const c of cases.filter((x) => !only || x.name.includes(only))) {
      const dir = await mkdtemp(path.join(tmpdir(), 'pb-bench-map-'));
      try {
        const g0 = performance.now();
        await writeSyntheticBundle(dir, { nodes: c.nodes, podsPerNode: c.podsPerNode, services: 200, seed: 7 });
        const genMs = performance.now() - g0;
        const { url, child, loadMs } = await serve(dir);
        try {
          const renders: number[] = [];
          const frames: number[] = [];
          const expands: number[] = [];
          let elements = 0;
          let pods = 0;
          for (let r = 0; r < RUNS; r++) {
            const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
            const fr = await firstRender(page, url);
            renders.push(fr.ms);
            elements = fr.elements;
            frames.push(...(await panFrames(page)));
            if (c.expand) {
              const e = await expandTime(page);
              expands.push(e.ms);
              pods = e.pods;
            }
            await page.close();
          }
          const fps = 1000 / (frames.reduce((a, b) => a + b, 0) / frames.length);
          console.log(`${c.name}: bundle generated in ${Math.round(genMs)} ms, server ready in ${Math.round(loadMs)} ms; ${elements} elements drawn`);
          console.log(`  first render (navigation start to map drawn), median of ${RUNS}: ${Math.round(median(renders))} ms  [${renders.map(Math.round).join(', ')}]`);
          console.log(`  panning frame time median/p95: ${median(frames).toFixed(1)}/${pct(frames, 0.95).toFixed(1)} ms, ${fps.toFixed(1)} fps over ${frames.length} frames`);
          if (c.expand) console.log(`  expand one node to ${pods} pods (click to drawn), median of ${RUNS}: ${Math.round(median(expands))} ms  [${expands.map(Math.round).join(', ')}]`);
        } finally {
          child.kill('SIGTERM');
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await browser.close();
  }
}

await main();
