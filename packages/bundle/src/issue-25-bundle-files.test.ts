import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeSnapshot, formatProblem, type Problem } from '@patchbay/schema';
import { BundleError, loadBundle } from './readBundle.js';
import { writeBundle } from './writeBundle.js';
// Test-only fixtures from the schema package: real iproute2 output and a kubectl List.
import { realSnapshot } from '../../schema/src/testSnapshot.js';

// Issue 25, defects 4, 5 and 10: bundle files are untrusted input. Each test here failed on the loader before
// the fix (a FIFO hung it, a symlink's target was quoted in the error, there was no size limit, a BOM or
// UTF-16 gave an invisible character).

const clusterList = async () => JSON.parse(await readFile(new URL('../../schema/testdata/cluster-list.json', import.meta.url), 'utf8')) as { items: unknown[] };
const SECRET = 'root:s3cr3t-HASH-do-not-leak:19000:0:99999:7:::';

let dir: string;
let outside: string;
const fifos: string[] = [];
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pb-issue25-'));
  outside = await mkdtemp(path.join(tmpdir(), 'pb-issue25-outside-'));
  await writeBundle(dir, {
    clusterList: await clusterList(),
    snapshots: ['n1', 'n2'].map((n) => NodeSnapshot.parse({ ...realSnapshot(), nodeName: n })),
  });
});
afterEach(async () => {
  // A reader blocked opening a FIFO (the defect) is released by a writer that opens and closes it.
  for (const f of fifos.splice(0)) {
    try {
      closeSync(openSync(f, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // No reader waiting: nothing to release.
    }
  }
  await rm(dir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

const mkfifo = (p: string) => {
  execFileSync('mkfifo', [p]);
  fifos.push(p);
};

/** Fails the test instead of hanging it: the defect was a load that never ended. */
function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, guard]).finally(() => clearTimeout(timer));
}

const lines = (problems: Problem[]) => problems.map(formatProblem);

for (const workers of [0, 2]) {
  describe(`issue 25: bundle files are read as untrusted input (workers: ${workers})`, () => {
    it('reports a FIFO in nodes/ as not a regular file, and loads the rest', { timeout: 60_000 }, async () => {
      mkfifo(path.join(dir, 'nodes', 'n3.json'));
      const { bundle, problems } = await within(20_000, loadBundle(dir, { workers }));
      expect(lines(problems)).toEqual(['nodes/n3.json: $: is a FIFO (named pipe), not a regular file; only regular files are read']);
      expect(bundle.snapshots.map((s) => s.nodeName)).toEqual(['n1', 'n2']);
    });

    it('refuses a FIFO as cluster.json or bundle.json without waiting for a writer', { timeout: 60_000 }, async () => {
      await rm(path.join(dir, 'bundle.json'));
      mkfifo(path.join(dir, 'bundle.json'));
      await rm(path.join(dir, 'cluster.json'));
      mkfifo(path.join(dir, 'cluster.json'));
      const err = await within(20_000, loadBundle(dir, { workers }).then(() => null, (e: unknown) => e));
      expect(err).toBeInstanceOf(BundleError);
      expect(lines((err as BundleError).problems)).toEqual([
        'bundle.json: $: is a FIFO (named pipe), not a regular file; only regular files are read',
        'cluster.json: $: is a FIFO (named pipe), not a regular file; only regular files are read',
      ]);
    });

    it('refuses a symlink that leaves the bundle, and never quotes what it points at', { timeout: 60_000 }, async () => {
      const shadow = path.join(outside, 'shadow');
      await writeFile(shadow, `${SECRET}\n`);
      await rm(path.join(dir, 'nodes', 'n2.json'));
      await symlink(shadow, path.join(dir, 'nodes', 'n2.json'));
      // A symlinked directory leads outside just the same.
      await mkdir(path.join(outside, 'more'));
      await writeFile(path.join(outside, 'more', 'n9.json'), SECRET);
      await symlink(path.join(outside, 'more'), path.join(dir, 'nodes', 'sub'));
      await writeFile(path.join(dir, 'nodes', 'n8.json'), '');
      await rm(path.join(dir, 'nodes', 'n8.json'));
      await symlink('sub/n9.json', path.join(dir, 'nodes', 'n8.json'));
      const { problems } = await loadBundle(dir, { workers });
      expect(lines(problems)).toEqual([
        'nodes/n2.json: $: leads outside the bundle directory (a symbolic link); only files inside the bundle are read',
        'nodes/n8.json: $: leads outside the bundle directory (a symbolic link); only files inside the bundle are read',
      ]);

      // The same for cluster.json, where the problem is thrown.
      await rm(path.join(dir, 'cluster.json'));
      await symlink(shadow, path.join(dir, 'cluster.json'));
      const err = (await loadBundle(dir, { workers }).catch((e: unknown) => e)) as BundleError;
      expect(err).toBeInstanceOf(BundleError);
      for (const text of [err.message, ...lines(err.problems)]) {
        expect(text).not.toContain('s3cr3t');
        expect(text).not.toContain('root:');
      }
    });

    it('reports a JSON syntax error by line and column, never by quoting the text', { timeout: 60_000 }, async () => {
      await writeFile(path.join(dir, 'nodes', 'n2.json'), `{\n  "schemaVersion": 1,\n  "kind": ${SECRET}\n}\n`);
      const { problems } = await loadBundle(dir, { workers });
      expect(lines(problems)).toEqual(['nodes/n2.json: $: not valid JSON: unexpected character at line 3, column 11']);
    });

    it('refuses a file over the size limit before reading it, naming the limit', { timeout: 60_000 }, async () => {
      const size = (await readFile(path.join(dir, 'nodes', 'n2.json'))).length;
      const { problems, bundle } = await loadBundle(dir, { workers, maxFileBytes: size - 1 });
      expect(lines(problems)).toEqual([
        `nodes/n1.json: $: is ${size} bytes, over the reader's limit of ${size - 1} bytes for this file (raise it with the maxFileBytes / maxBlobBytes option if the file is genuine)`,
        `nodes/n2.json: $: is ${size} bytes, over the reader's limit of ${size - 1} bytes for this file (raise it with the maxFileBytes / maxBlobBytes option if the file is genuine)`,
      ]);
      expect(bundle.snapshots).toEqual([]);
      // The default limit (64 MiB) stops a file just over it; sparse, so the test writes nothing.
      await truncate(path.join(dir, 'nodes', 'n2.json'), 64 * 1024 * 1024 + 1);
      const dflt = await loadBundle(dir, { workers });
      expect(lines(dflt.problems)).toEqual([expect.stringMatching(/^nodes\/n2\.json: \$: is 67108865 bytes, over the reader's limit of 67108864 bytes/)]);
    });

    it('refuses a blob over its size limit', { timeout: 60_000 }, async () => {
      const snap = NodeSnapshot.parse({ ...realSnapshot(), nodeName: 'n1' });
      snap.iptables = [{ family: 'ipv4', backend: 'nft', save: `*filter\n${'-A INPUT -j ACCEPT\n'.repeat(5000)}COMMIT\n` }];
      await rm(dir, { recursive: true });
      await writeBundle(dir, { clusterList: await clusterList(), snapshots: [snap] });
      const { problems } = await loadBundle(dir, { workers, maxBlobBytes: 1000 });
      expect(lines(problems)).toEqual([expect.stringMatching(/^blobs\/[0-9a-f]{64}: \$: is \d+ bytes, over the reader's limit of 1000 bytes/)]);
    });

    it('accepts a UTF-8 byte order mark, and names UTF-16 and UTF-32 instead of showing an invisible character', { timeout: 60_000 }, async () => {
      const text = await readFile(path.join(dir, 'cluster.json'), 'utf8');
      await writeFile(path.join(dir, 'cluster.json'), `\uFEFF${text}`);
      const n2 = await readFile(path.join(dir, 'nodes', 'n2.json'), 'utf8');
      await writeFile(path.join(dir, 'nodes', 'n2.json'), Buffer.from(`\uFEFF${n2}`, 'utf16le'));
      await writeFile(path.join(dir, 'nodes', 'n3.json'), Buffer.from(n2.replace('"n2"', '"n3"'), 'utf16le'));
      const be = Buffer.from(`\uFEFF${n2.replace('"n2"', '"n4"')}`, 'utf16le').swap16();
      await writeFile(path.join(dir, 'nodes', 'n4.json'), be);
      const n5 = Buffer.alloc(n2.length * 4);
      [...n2].forEach((c, i) => n5.writeUInt32LE(c.codePointAt(0)!, i * 4));
      await writeFile(path.join(dir, 'nodes', 'n5.json'), n5);
      await writeFile(path.join(dir, 'nodes', 'n6.json'), Buffer.concat([Buffer.from('{"a": "'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]));
      const { problems, bundle } = await loadBundle(dir, { workers });
      expect(lines(problems)).toEqual([
        'nodes/n2.json: $: is UTF-16 (little-endian, with a byte order mark); write UTF-8',
        'nodes/n3.json: $: is UTF-16 (little-endian); write UTF-8',
        'nodes/n4.json: $: is UTF-16 (big-endian, with a byte order mark); write UTF-8',
        'nodes/n5.json: $: is UTF-32 (little-endian); write UTF-8',
        'nodes/n6.json: $: is not valid UTF-8 (first bad byte at offset 7); write UTF-8',
      ]);
      expect(bundle.cluster.pods).toHaveLength(1);
      expect(bundle.snapshots.map((s) => s.nodeName)).toEqual(['n1']);
    });
  });
}
