import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeSnapshot, formatProblem, parseClusterList, type Problem } from '@patchbay/schema';
import { checkBundleFile } from './checkFile.js';
import { loadBundle } from './readBundle.js';
import { writeBundle } from './writeBundle.js';
// Test-only fixtures from the schema package: real iproute2 output and a kubectl List.
import { realSnapshot } from '../../schema/src/testSnapshot.js';

// Issue 25, defect 8: deeply nested JSON where a schema accepts unknown JSON (looseObject passthrough,
// z.unknown) was accepted, then overflowed the stack of whatever walked it next (an uncaught RangeError in the
// trace CLI). Now every such file is refused at load, as a problem of that file and JSON path.

const clusterList = async () => JSON.parse(await readFile(new URL('../../schema/testdata/cluster-list.json', import.meta.url), 'utf8')) as { items: Record<string, unknown>[] };

/** JSON text of `levels` nested containers, built as text: building the value would itself recurse. */
const deepArrays = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const deepObjects = (levels: number) => `${'{"a":'.repeat(levels)}{}${'}'.repeat(levels)}`;
const TOO_DEEP = 20_000;
const DEEP = '"__DEEP__"';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pb-issue25-deep-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lines = (problems: Problem[]) => problems.map(formatProblem);
const snapshot = (node: string) => NodeSnapshot.parse({ ...realSnapshot(), nodeName: node });

for (const workers of [0, 2]) {
  describe(`issue 25: deeply nested JSON is a problem of its file (workers: ${workers})`, () => {
    it('in a snapshot: under a link\'s info_data (looseObject) and in an inline nft ruleset (z.unknown)', { timeout: 60_000 }, async () => {
      await writeBundle(dir, { clusterList: await clusterList(), snapshots: [snapshot('n1'), snapshot('n2'), snapshot('n3')] });
      const n2 = JSON.parse(await readFile(path.join(dir, 'nodes', 'n2.json'), 'utf8'));
      n2.host.links[0].linkinfo = { info_kind: 'veth', info_data: DEEP };
      await writeFile(path.join(dir, 'nodes', 'n2.json'), JSON.stringify(n2).replace(JSON.stringify(DEEP), deepObjects(TOO_DEEP)));
      const n3 = JSON.parse(await readFile(path.join(dir, 'nodes', 'n3.json'), 'utf8'));
      n3.nft = { nftables: [DEEP] };
      await writeFile(path.join(dir, 'nodes', 'n3.json'), JSON.stringify(n3).replace(JSON.stringify(DEEP), deepArrays(TOO_DEEP)));

      const { bundle, problems } = await loadBundle(dir, { workers });
      // The path of the first container past 100 levels: the snapshot's own 5, then info_data's chain.
      expect(lines(problems)).toEqual([
        `nodes/n2.json: $.host.links[0].linkinfo.info_data${'.a'.repeat(95)}: nests arrays and objects more than 100 levels deep; nothing past this point is read`,
        `nodes/n3.json: $.nft.nftables${'[0]'.repeat(98)}: nests arrays and objects more than 100 levels deep; nothing past this point is read`,
      ]);
      expect(bundle.snapshots.map((s) => s.nodeName)).toEqual(['n1']);
    });

    it('in cluster.json: a deep item is left out (and recorded as rejected), the others kept', { timeout: 60_000 }, async () => {
      const list = await clusterList();
      const pod = list.items.findIndex((i) => i.kind === 'Pod');
      (list.items[pod]!.metadata as Record<string, unknown>).managedFields = DEEP;
      await writeBundle(dir, { clusterList: list, snapshots: [snapshot('n1')] });
      const text = await readFile(path.join(dir, 'cluster.json'), 'utf8');
      await writeFile(path.join(dir, 'cluster.json'), text.replace(JSON.stringify(DEEP), deepArrays(TOO_DEEP)));

      const { bundle, problems } = await loadBundle(dir, { workers });
      const at = `$.items[${pod}].metadata.managedFields${'[0]'.repeat(96)}`;
      expect(lines(problems)).toContainEqual(`cluster.json: ${at}: nests arrays and objects more than 100 levels deep; the item is left out`);
      expect(bundle.cluster.pods).toEqual([]);
      expect(bundle.cluster.rejected).toEqual([{ kind: 'Pod', namespace: 'shop', name: 'web-1', path: `$.items[${pod}]`, reason: `${at}: nests arrays and objects more than 100 levels deep; the item is left out` }]);
      expect(bundle.cluster.services).toHaveLength(1);
    });

    it('in bundle.json, and in a List deep outside its items (then no item is read)', { timeout: 60_000 }, async () => {
      await writeBundle(dir, { clusterList: await clusterList(), snapshots: [snapshot('n1')] });
      await writeFile(path.join(dir, 'bundle.json'), `{"schemaVersion": 1, "x": ${deepObjects(TOO_DEEP)}}`);
      const list = await readFile(path.join(dir, 'cluster.json'), 'utf8');
      await writeFile(path.join(dir, 'cluster.json'), `{"x": ${deepArrays(TOO_DEEP)}, ${list.trim().slice(1)}`);
      const { bundle, problems } = await loadBundle(dir, { workers });
      expect(bundle.meta).toBeNull();
      expect(bundle.cluster.pods).toEqual([]);
      expect(lines(problems)).toEqual([
        `bundle.json: $.x${'.a'.repeat(99)}: nests arrays and objects more than 100 levels deep; nothing past this point is read`,
        `cluster.json: $.x${'[0]'.repeat(99)}: nests arrays and objects more than 100 levels deep; nothing past this point is read`,
      ]);
    });

    it('in a blob that a snapshot uses as its nft ruleset', { timeout: 60_000 }, async () => {
      const snap = snapshot('n1');
      snap.nft = { nftables: [{ metainfo: { json_schema_version: 1 } }, { pad: 'x'.repeat(70_000) }] };
      await writeBundle(dir, { clusterList: await clusterList(), snapshots: [snap] });
      const [blob] = await readdir(path.join(dir, 'blobs'));
      const deep = `{"nftables": [${deepArrays(TOO_DEEP)}]}`;
      const { sha256 } = await import('./sections.js');
      await writeFile(path.join(dir, 'blobs', sha256(deep)), deep);
      const n1 = JSON.parse(await readFile(path.join(dir, 'nodes', 'n1.json'), 'utf8'));
      expect(n1.nft.sha256).toBe(blob);
      n1.nft = { sha256: sha256(deep), bytes: deep.length };
      await writeFile(path.join(dir, 'nodes', 'n1.json'), JSON.stringify(n1));

      const { problems } = await loadBundle(dir, { workers });
      expect(lines(problems)).toEqual([`blobs/${sha256(deep)}: $.nftables${'[0]'.repeat(99)}: nests arrays and objects more than 100 levels deep; nothing past this point is read`]);
    });
  });
}

describe('issue 25: the depth limit without the disk', () => {
  it('checkBundleFile and parseClusterList refuse deep values, with a configurable limit', () => {
    const bytes = Buffer.from(`{"schemaVersion": 1, "x": ${deepArrays(TOO_DEEP)}}`);
    expect(lines(checkBundleFile('bundle.json', { kind: 'meta' }, bytes, { maxDepth: 100 }).problems)).toEqual([
      `bundle.json: $.x${'[0]'.repeat(99)}: nests arrays and objects more than 100 levels deep; nothing past this point is read`,
    ]);
    expect(lines(checkBundleFile('bundle.json', { kind: 'meta' }, Buffer.from('{"schemaVersion": 1, "x": [[[]]]}'), { maxDepth: 3 }).problems)).toEqual([
      'bundle.json: $.x[0][0]: nests arrays and objects more than 3 levels deep; nothing past this point is read',
    ]);
    const list = JSON.parse(`{"kind": "List", "items": [{"kind": "Namespace", "metadata": {"name": "a", "x": ${deepObjects(TOO_DEEP)}}}]}`);
    const { cluster, problems } = parseClusterList('cluster.json', list);
    expect(lines(problems)).toEqual([`cluster.json: $.items[0].metadata.x${'.a'.repeat(96)}: nests arrays and objects more than 100 levels deep; the item is left out`]);
    expect(cluster.namespaces).toEqual([]);
  });
});
