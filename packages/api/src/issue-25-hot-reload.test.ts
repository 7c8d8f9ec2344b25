import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bundle } from '@patchbay/bundle';
import { realSnapshot } from '../../schema/src/testSnapshot.js';
import { testModel } from '../../topology/testdata/model.js';
import { BundleSource, type BundleSourceOptions } from './bundleSource.js';
import { createCaller } from './router.js';

// Issue 25, defect 3: hot reload silently stopped after a file was replaced by rename, the bundle directory was
// swapped, or a file or nodes/ was deleted and recreated (Node's recursive fs.watch on Linux follows inodes, not
// names). Every way of replacing a file is applied twice and then followed by an edit in place: the later
// changes are where the old code went deaf. Each runs with the directory watchers alone (no periodic check) and
// with the periodic check alone (no watchers), so both mechanisms are shown to work on their own.

const list = (nodes: string[]) => JSON.stringify({ kind: 'List', apiVersion: 'v1', items: nodes.map((name) => ({ kind: 'Node', apiVersion: 'v1', metadata: { name } })) });
const snapshot = (node: string, capturedAt: string) => JSON.stringify({ ...realSnapshot(), nodeName: node, capturedAt });
const at = (i: number) => `2026-11-21T14:00:${String(i).padStart(2, '0')}Z`;

let cleanup: string[] = [];
let sources: BundleSource[] = [];
afterEach(async () => {
  for (const s of sources) s.close();
  sources = [];
  await Promise.all(cleanup.map((d) => rm(d, { recursive: true, force: true })));
  cleanup = [];
});

/** A bundle at PARENT/bundle with nodes n1 and n2 (n1 captured at `at(0)`), so the parent can hold swaps. */
async function makeBundle(): Promise<{ parent: string; dir: string }> {
  const parent = await mkdtemp(path.join(tmpdir(), 'pb-api-reload-'));
  cleanup.push(parent);
  const dir = path.join(parent, 'bundle');
  await writeBundleDir(dir, at(0), ['n1', 'n2']);
  return { parent, dir };
}

async function writeBundleDir(dir: string, n1At: string, nodes: string[]): Promise<void> {
  await mkdir(path.join(dir, 'nodes'), { recursive: true });
  await writeFile(path.join(dir, 'cluster.json'), list(nodes));
  await writeFile(path.join(dir, 'nodes', 'n1.json'), snapshot('n1', n1At));
  await writeFile(path.join(dir, 'nodes', 'n2.json'), snapshot('n2', at(0)));
}

async function startSource(dir: string, opts: Partial<BundleSourceOptions>): Promise<BundleSource> {
  const src = new BundleSource(dir, { resolve: (_b: Bundle) => testModel(), debounceMs: 30, ...opts });
  sources.push(src);
  await src.start();
  return src;
}

const served = (src: BundleSource, node: string) => src.current().bundle.snapshots.find((s) => s.nodeName === node)?.capturedAt ?? null;

/** Polls until `check` holds; a generous bound only guards against a hang, nothing is timed. */
async function eventually(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`not picked up within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

type Replace = (ctx: { parent: string; dir: string }, n1At: string, i: number) => Promise<void>;

const ways: [string, Replace][] = [
  ['edit in place', async ({ dir }, n1At) => writeFile(path.join(dir, 'nodes', 'n1.json'), snapshot('n1', n1At))],
  [
    'replace by rename (write a temporary file elsewhere, mv over)',
    async ({ parent, dir }, n1At, i) => {
      const tmp = path.join(parent, `tmp-${i}.json`);
      await writeFile(tmp, snapshot('n1', n1At));
      await rename(tmp, path.join(dir, 'nodes', 'n1.json'));
    },
  ],
  [
    'rsync-style (a temporary file in the same directory, then rename)',
    async ({ dir }, n1At, i) => {
      const tmp = path.join(dir, 'nodes', `.n1.json.${i}XyZ`);
      await writeFile(tmp, snapshot('n1', n1At));
      await rename(tmp, path.join(dir, 'nodes', 'n1.json'));
    },
  ],
  [
    'directory swap (the bundle directory renamed away, a new one renamed in)',
    async ({ parent, dir }, n1At, i) => {
      const next = path.join(parent, `bundle.new-${i}`);
      const old = path.join(parent, `bundle.old-${i}`);
      await writeBundleDir(next, n1At, ['n1', 'n2']);
      await rename(dir, old);
      await rename(next, dir);
      await rm(old, { recursive: true });
    },
  ],
  [
    'delete and recreate the node file',
    async ({ dir }, n1At) => {
      await rm(path.join(dir, 'nodes', 'n1.json'));
      await writeFile(path.join(dir, 'nodes', 'n1.json'), snapshot('n1', n1At));
    },
  ],
  [
    'delete and recreate nodes/',
    async ({ dir }, n1At) => {
      await rm(path.join(dir, 'nodes'), { recursive: true });
      await mkdir(path.join(dir, 'nodes'));
      await writeFile(path.join(dir, 'nodes', 'n1.json'), snapshot('n1', n1At));
      await writeFile(path.join(dir, 'nodes', 'n2.json'), snapshot('n2', at(0)));
    },
  ],
];

const modes: [string, Partial<BundleSourceOptions>][] = [
  ['directory watchers alone', { pollMs: 0 }],
  ['periodic check alone', { watchEvents: false, pollMs: 100 }],
];

describe('issue 25: hot reload keeps working however a file is replaced', () => {
  for (const [mode, opts] of modes) {
    describe(mode, () => {
      for (const [name, replace] of ways) {
        it(`${name}, twice, then an edit in place`, async () => {
          const ctx = await makeBundle();
          const src = await startSource(ctx.dir, opts);
          expect(served(src, 'n1')).toBe(at(0));
          for (const i of [1, 2]) {
            await replace(ctx, at(i), i);
            await eventually(`${name} #${i}`, () => served(src, 'n1') === at(i));
          }
          await writeFile(path.join(ctx.dir, 'nodes', 'n1.json'), snapshot('n1', at(3)));
          await eventually(`an edit in place after ${name}`, () => served(src, 'n1') === at(3));
          expect(src.lastError()).toBeNull();
          expect(src.watchError()).toBeNull();
        }, 120_000);
      }

      it('cluster.json replaced by rename, then edited in place', async () => {
        const ctx = await makeBundle();
        const src = await startSource(ctx.dir, opts);
        const tmp = path.join(ctx.dir, '.cluster.json.tmp');
        await writeFile(tmp, list(['n1', 'n2', 'n3']));
        await rename(tmp, path.join(ctx.dir, 'cluster.json'));
        await eventually('cluster.json replaced by rename', () => src.current().bundle.cluster.nodes.length === 3);
        await writeFile(path.join(ctx.dir, 'cluster.json'), list(['n1']));
        await eventually('cluster.json edited in place after the rename', () => src.current().bundle.cluster.nodes.length === 1);
      }, 120_000);
    });
  }

  it('says so in its status when the bundle directory is gone, and recovers when it is back', async () => {
    const ctx = await makeBundle();
    const src = await startSource(ctx.dir, { pollMs: 100 });
    const away = path.join(ctx.parent, 'away');
    await rename(ctx.dir, away);
    await eventually('the vanished directory reported', () => src.watchError() !== null);
    expect(src.watchError()?.message).toMatch(/bundle directory .* is gone/);
    // The last good state is still served, and the API's status says changes may be missed.
    expect(served(src, 'n1')).toBe(at(0));
    const caller = createCaller({ source: src, traceFlow: () => { throw new Error('unused'); } });
    expect((await caller.summary()).watchError?.message).toMatch(/bundle directory .* is gone/);
    await writeBundleDir(ctx.dir, at(5), ['n1', 'n2']);
    await eventually('the directory back and read', () => served(src, 'n1') === at(5) && src.watchError() === null);
    expect((await caller.summary()).watchError).toBeNull();
  }, 120_000);
});
