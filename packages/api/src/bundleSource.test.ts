import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bundle } from '@patchbay/bundle';
import { testModel } from '../../topology/testdata/model.js';
import { BundleSource } from './bundleSource.js';
import type { SourceEvent } from './source.js';

const list = (nodes: string[]) => JSON.stringify({ kind: 'List', apiVersion: 'v1', items: nodes.map((name) => ({ kind: 'Node', apiVersion: 'v1', metadata: { name } })) });

// The resolver is passed in; this one records what it saw and refuses a node named "boom".
function resolver(seen: Bundle[]) {
  return (b: Bundle) => {
    seen.push(b);
    if (b.cluster.nodes.some((n) => n.metadata.name === 'boom')) throw new Error('resolver failed on boom');
    return testModel();
  };
}

let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
});

async function bundleDir(nodes: string[]): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pb-api-src-'));
  dirs.push(dir);
  await writeFile(path.join(dir, 'cluster.json'), list(nodes));
  return dir;
}

describe('BundleSource', { timeout: 60_000 }, () => {
  it('loads a bundle and reloads it when it changes', async () => {
    const seen: Bundle[] = [];
    const dir = await bundleDir(['n1']);
    const src = new BundleSource(dir, { resolve: resolver(seen) });
    const s = await src.start({ watch: false });
    expect(s.generation).toBe(1);
    expect(seen[0]?.cluster.nodes.map((n) => n.metadata.name)).toEqual(['n1']);
    await writeFile(path.join(dir, 'cluster.json'), list(['n1', 'n2']));
    const e = await src.reload();
    expect(e.type).toBe('loaded');
    expect(src.current().generation).toBe(2);
    expect(src.current().bundle.cluster.nodes).toHaveLength(2);
    src.close();
  });

  it('keeps the last good state when a reload is bad, and says why', async () => {
    const dir = await bundleDir(['n1']);
    const events: SourceEvent[] = [];
    const src = new BundleSource(dir, { resolve: resolver([]), now: () => new Date('2026-11-21T15:00:00Z') });
    await src.start({ watch: false });
    src.subscribe((e) => events.push(e));

    await writeFile(path.join(dir, 'cluster.json'), '{"kind": "List", "items": [');
    const bad = await src.reload();
    expect(bad.type).toBe('rejected');
    expect(src.current().generation).toBe(1);
    expect(src.current().bundle.cluster.nodes.map((n) => n.metadata.name)).toEqual(['n1']);
    expect(src.lastError()?.message).toMatch(/^reload failed: cluster.json: \$: not valid JSON/);

    // A resolver that throws is refused the same way.
    await writeFile(path.join(dir, 'cluster.json'), list(['boom']));
    expect((await src.reload()).type).toBe('rejected');
    expect(src.lastError()?.message).toBe('reload failed: resolver failed on boom');

    // Fixed: accepted, the error clears.
    await writeFile(path.join(dir, 'cluster.json'), list(['n1', 'n2']));
    expect((await src.reload()).type).toBe('loaded');
    expect(src.current().generation).toBe(2);
    expect(src.lastError()).toBeNull();

    // A half-written snapshot of a node never read well is only that node's problem (issue 25, defect 9): the
    // rest is applied, the node is not observed, and its problem is listed.
    await mkdir(path.join(dir, 'nodes'));
    await writeFile(path.join(dir, 'nodes', 'n2.json'), '{"schemaVersion": 1, "kind": "NodeSn');
    expect((await src.reload()).type).toBe('loaded');
    expect(src.current().problems.map((p) => p.file)).toEqual(['nodes/n2.json']);
    expect(src.current().bundle.snapshots).toEqual([]);
    expect(src.current().staleNodes).toEqual([]);
    expect(src.current().generation).toBe(3);
    expect(src.lastError()).toBeNull();
    expect(events.map((e) => e.type)).toEqual(['rejected', 'rejected', 'loaded', 'loaded']);
    expect(events[0]).toMatchObject({ error: { at: '2026-11-21T15:00:00.000Z' } });
  });

  it('fails to start on a directory that is not a bundle', async () => {
    const src = new BundleSource(path.join(tmpdir(), 'pb-no-such-bundle'), { resolve: resolver([]) });
    await expect(src.start({ watch: false })).rejects.toThrow(/is not a directory/);
  });

  it('reloads by itself when a file in the directory changes', async () => {
    const dir = await bundleDir(['n1']);
    const src = new BundleSource(dir, { resolve: resolver([]), debounceMs: 50 });
    await src.start();
    const loaded = new Promise<SourceEvent>((resolve) => src.subscribe(resolve));
    await writeFile(path.join(dir, 'cluster.json'), list(['n1', 'n2']));
    expect((await loaded).type).toBe('loaded');
    expect(src.current().bundle.cluster.nodes).toHaveLength(2);
    src.close();
  });
});
