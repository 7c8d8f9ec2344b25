import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256, type Bundle } from '@patchbay/bundle';
import { realSnapshot } from '../../schema/src/testSnapshot.js';
import { testModel } from '../../topology/testdata/model.js';
import { BundleSource } from './bundleSource.js';
import { createCaller } from './router.js';
import type { SourceEvent } from './source.js';

// Issue 25, defect 9: one persistently broken node file refused every later reload (any new problem refused the
// whole reload), so in a large cluster one bad agent froze the dashboard forever. Now a reload applies what is
// good; the broken node keeps its last good snapshot, flagged with since when and why, until its file is fixed.

const list = (nodes: string[]) => JSON.stringify({ kind: 'List', apiVersion: 'v1', items: nodes.map((name) => ({ kind: 'Node', apiVersion: 'v1', metadata: { name } })) });
const at = (i: number) => `2026-11-21T14:00:${String(i).padStart(2, '0')}Z`;
const snapshot = (node: string, capturedAt: string, extra: object = {}) => JSON.stringify({ ...realSnapshot(), nodeName: node, capturedAt, ...extra });

let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
});

async function bundle(nodes: string[]): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pb-api-stale-'));
  dirs.push(dir);
  await mkdir(path.join(dir, 'nodes'));
  await writeFile(path.join(dir, 'cluster.json'), list(nodes));
  for (const n of nodes) await writeFile(path.join(dir, 'nodes', `${n}.json`), snapshot(n, at(0)));
  return dir;
}

/** A clock the test moves by hand, so "since" is checkable. */
function clock() {
  let t = Date.parse('2026-11-21T15:00:00Z');
  return { now: () => new Date(t), tick: () => (t += 60_000) };
}

const served = (src: BundleSource) => Object.fromEntries(src.current().bundle.snapshots.map((s) => [s.nodeName, s.capturedAt]));
const resolve = (_b: Bundle) => testModel();

describe('issue 25: one broken node file does not freeze the others', { timeout: 60_000 }, () => {
  it('serves every other change, keeps the broken node at its last good snapshot, flags it, and clears the flag once fixed', async () => {
    const dir = await bundle(['n1', 'n2', 'n3']);
    const c = clock();
    const src = new BundleSource(dir, { resolve, now: c.now });
    await src.start({ watch: false });
    const caller = createCaller({ source: src, traceFlow: () => { throw new Error('unused'); } });
    const file = (n: string) => path.join(dir, 'nodes', `${n}.json`);

    // n2's agent starts writing garbage; at the same time n1 and cluster.json change.
    c.tick();
    const brokenSince = c.now().toISOString();
    await writeFile(file('n2'), '{"schemaVersion": 1, "kind": "NodeSn');
    await writeFile(file('n1'), snapshot('n1', at(1)));
    await writeFile(path.join(dir, 'cluster.json'), list(['n1', 'n2', 'n3', 'n4']));
    expect((await src.reload()).type).toBe('loaded');
    expect(src.lastError()).toBeNull();
    expect(served(src)).toEqual({ n1: at(1), n2: at(0), n3: at(0) });
    expect(src.current().bundle.cluster.nodes.map((n) => n.metadata.name)).toEqual(['n1', 'n2', 'n3', 'n4']);
    expect(src.current().staleNodes).toEqual([
      { node: 'n2', file: 'nodes/n2.json', since: brokenSince, servedCapturedAt: at(0), problems: [expect.objectContaining({ file: 'nodes/n2.json', path: '$', message: expect.stringMatching(/^not valid JSON/) })] },
    ]);

    // Still broken (in another way) while n3 and cluster.json change again: served, and "since" stays.
    c.tick();
    await writeFile(file('n2'), snapshot('n2', at(2), { schemaVersion: 2 }));
    await writeFile(file('n3'), snapshot('n3', at(2)));
    await writeFile(path.join(dir, 'cluster.json'), list(['n1', 'n2', 'n3']));
    expect((await src.reload()).type).toBe('loaded');
    expect(served(src)).toEqual({ n1: at(1), n2: at(0), n3: at(2) });
    expect(src.current().bundle.cluster.nodes).toHaveLength(3);
    expect(src.current().staleNodes).toMatchObject([{ node: 'n2', since: brokenSince, problems: [{ file: 'nodes/n2.json', path: '$.schemaVersion', message: 'schemaVersion must be 1' }] }]);
    expect(src.current().generation).toBe(3);

    // The API's status output says so too.
    const summary = await caller.summary();
    expect(summary.staleNodes).toMatchObject([{ node: 'n2', file: 'nodes/n2.json', since: brokenSince, servedCapturedAt: at(0) }]);
    expect(summary.lastReloadError).toBeNull();

    // Fixed: the new snapshot is served and the flag is gone.
    await writeFile(file('n2'), snapshot('n2', at(3)));
    expect((await src.reload()).type).toBe('loaded');
    expect(served(src)).toEqual({ n1: at(1), n2: at(3), n3: at(2) });
    expect(src.current().staleNodes).toEqual([]);
    expect((await caller.summary()).staleNodes).toEqual([]);
    src.close();
  });

  it('a node file that is bad from the start is not observed and listed as a problem, not flagged', async () => {
    const dir = await bundle(['n1']);
    const src = new BundleSource(dir, { resolve });
    await src.start({ watch: false });
    await writeFile(path.join(dir, 'cluster.json'), list(['n1', 'n5']));
    await writeFile(path.join(dir, 'nodes', 'n5.json'), snapshot('n5', at(1), { nodeName: 'n6' }));
    expect((await src.reload()).type).toBe('loaded');
    expect(Object.keys(served(src))).toEqual(['n1']);
    expect(src.current().staleNodes).toEqual([]);
    expect(src.current().problems).toEqual([{ file: 'nodes/n5.json', path: '$.nodeName', message: expect.any(String) }]);
    src.close();
  });

  it('a node whose blob goes missing keeps its last whole snapshot, flagged with the blob problem', async () => {
    const dir = await bundle(['n1', 'n2']);
    const save = '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n';
    const sha = sha256(save);
    await mkdir(path.join(dir, 'blobs'));
    await writeFile(path.join(dir, 'blobs', sha), save);
    const withBlob = (i: number) => snapshot('n1', at(i), { iptables: [{ family: 'ipv4', backend: 'nft', save: { sha256: sha, bytes: save.length } }] });
    await writeFile(path.join(dir, 'nodes', 'n1.json'), withBlob(0));
    const src = new BundleSource(dir, { resolve });
    await src.start({ watch: false });

    await rm(path.join(dir, 'blobs', sha));
    await writeFile(path.join(dir, 'nodes', 'n1.json'), withBlob(1));
    await writeFile(path.join(dir, 'nodes', 'n2.json'), snapshot('n2', at(1)));
    expect((await src.reload()).type).toBe('loaded');
    expect(served(src)).toEqual({ n1: at(0), n2: at(1) });
    expect(src.current().bundle.blobs.get(sha)).toBe(save);
    expect(src.current().staleNodes).toMatchObject([{ node: 'n1', servedCapturedAt: at(0), problems: [{ file: `blobs/${sha}`, message: expect.stringMatching(/missing/) }] }]);
    src.close();
  });

  it('tells subscribers and the update stream which nodes are stale', async () => {
    const dir = await bundle(['n1', 'n2']);
    const src = new BundleSource(dir, { resolve });
    await src.start({ watch: false });
    const events: SourceEvent[] = [];
    src.subscribe((e) => events.push(e));
    const ac = new AbortController();
    const caller = createCaller({ source: src, traceFlow: () => { throw new Error('unused'); } }, { signal: ac.signal });
    const stream = ((await caller.updates()) as AsyncIterable<{ type: string; staleNodes: { node: string }[] }>)[Symbol.asyncIterator]();
    expect((await stream.next()).value).toMatchObject({ type: 'hello', staleNodes: [] });
    const next = stream.next();
    await writeFile(path.join(dir, 'nodes', 'n2.json'), '[]');
    await src.reload();
    expect(events.map((e) => [e.type, e.state.staleNodes.map((s) => s.node)])).toEqual([['loaded', ['n2']]]);
    expect((await next).value).toMatchObject({ type: 'loaded', generation: 2, staleNodes: [{ node: 'n2', file: 'nodes/n2.json' }] });
    ac.abort();
    await stream.return?.();
    src.close();
  });
});
