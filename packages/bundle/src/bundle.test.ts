import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeSnapshot } from '@patchbay/schema';
import { BundleError, loadBundle, readBundle } from './readBundle.js';
import { sectionText } from './sections.js';
import { writeBundle } from './writeBundle.js';
// Test-only fixtures from the schema package: real iproute2 output and a kubectl List.
import { realSnapshot } from '../../schema/src/testSnapshot.js';

const clusterList = async () => JSON.parse(await readFile(new URL('../../schema/testdata/cluster-list.json', import.meta.url), 'utf8')) as { items: unknown[] };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pb-bundle-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function snapshotFor(node: string, rules: string): NodeSnapshot {
  const s = NodeSnapshot.parse({ ...realSnapshot(), nodeName: node });
  s.iptables = [{ family: 'ipv4', backend: 'nft', save: rules }];
  return s;
}

describe('bundle write + read', () => {
  it('round-trips, storing identical large sections once in blobs/', async () => {
    const big = `*nat\n${'-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y\n'.repeat(2000)}COMMIT\n`;
    await writeBundle(dir, { clusterList: await clusterList(), snapshots: [snapshotFor('n1', big), snapshotFor('n2', big)], meta: { schemaVersion: 1, source: 'test' } });
    expect(await readdir(path.join(dir, 'blobs'))).toHaveLength(1);
    const b = await readBundle(dir);
    expect(b.meta?.source).toBe('test');
    expect(b.snapshots.map((s) => s.nodeName)).toEqual(['n1', 'n2']);
    const save = b.snapshots[1]!.iptables[0]!.save;
    expect(typeof save).toBe('object');
    expect(sectionText(save, b.blobs)).toBe(big);
    expect(b.cluster.pods).toHaveLength(1);
  });

  it('reports every problem in every file, and still returns what is good', async () => {
    await writeBundle(dir, { clusterList: await clusterList(), snapshots: [snapshotFor('n1', 'x'), snapshotFor('n2', 'y'), snapshotFor('n3', 'z')] });
    await writeFile(path.join(dir, 'nodes', 'n2.json'), '{"schemaVersion": 1, ');
    const n3 = JSON.parse(await readFile(path.join(dir, 'nodes', 'n3.json'), 'utf8'));
    n3.nodeName = 'n9';
    await writeFile(path.join(dir, 'nodes', 'n3.json'), JSON.stringify(n3));
    const list = await clusterList();
    (list.items[0] as { spec: unknown }).spec = { podCIDR: 7 };
    await writeFile(path.join(dir, 'cluster.json'), JSON.stringify(list));
    await writeFile(path.join(dir, 'bundle.json'), '{"schemaVersion": 3}');

    const { bundle, problems } = await loadBundle(dir);
    expect(problems.map((p) => `${p.file}: ${p.path}: ${p.message.replace(/ \(line.*$/, '')}`)).toEqual([
      'bundle.json: $.schemaVersion: schemaVersion must be 1',
      'cluster.json: $.items[0].spec.podCIDR: Invalid input: expected string, received number',
      expect.stringMatching(/^nodes\/n2\.json: \$: not valid JSON: /),
      'nodes/n3.json: $.nodeName: is "n9", but the file is named for "n3"',
    ]);
    expect(bundle.snapshots.map((s) => s.nodeName)).toEqual(['n1']);
    await expect(readBundle(dir)).rejects.toBeInstanceOf(BundleError);
  });

  it('names a missing or corrupt blob and the snapshot that needs it', async () => {
    const big = 'A'.repeat(70_000);
    await writeBundle(dir, { clusterList: await clusterList(), snapshots: [snapshotFor('n1', big)] });
    const [blob] = await readdir(path.join(dir, 'blobs'));
    await writeFile(path.join(dir, 'blobs', blob!), 'tampered');
    const { problems } = await loadBundle(dir);
    expect(problems).toEqual([{ file: `blobs/${blob}`, path: '$', message: 'content does not match its sha256' }]);
    await rm(path.join(dir, 'blobs', blob!));
    expect((await loadBundle(dir)).problems).toEqual([{ file: `blobs/${blob}`, path: '$', message: 'missing (referenced by nodes/n1.json)' }]);
  });

  it('refuses a directory that is not a bundle, saying why', async () => {
    await expect(loadBundle(path.join(dir, 'nope'))).rejects.toThrow(/is not a directory/);
    await expect(loadBundle(dir)).rejects.toThrow(/cluster\.json: \$: cannot read: ENOENT/);
  });

  it('follows a symlink that stays inside the bundle, on the parse workers too', { timeout: 60_000 }, async () => {
    await writeBundle(dir, { clusterList: await clusterList(), snapshots: [snapshotFor('n1', 'x'), snapshotFor('n2', 'y')] });
    await mkdir(path.join(dir, 'store'));
    await writeFile(path.join(dir, 'store', 'n2.json'), await readFile(path.join(dir, 'nodes', 'n2.json')));
    await rm(path.join(dir, 'nodes', 'n2.json'));
    await symlink('../store/n2.json', path.join(dir, 'nodes', 'n2.json'));
    for (const workers of [0, 2]) {
      const b = await readBundle(dir, { workers });
      expect(b.snapshots.map((s) => s.nodeName)).toEqual(['n1', 'n2']);
      expect(b.snapshots[1]!.iptables[0]!.save).toBe('y');
    }
  });
});
