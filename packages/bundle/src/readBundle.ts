import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  BundleMeta,
  NodeSnapshot,
  emptyCluster,
  formatProblem,
  parseClusterList,
  zodProblems,
  type ClusterObjects,
  type Problem,
} from '@patchbay/schema';
import { StringInterner } from './internStrings.js';
import { blobRefs, sha256 } from './sections.js';

export interface Bundle {
  dir: string;
  meta: BundleMeta | null;
  cluster: ClusterObjects;
  /** Valid snapshots, sorted by node name. A node whose snapshot is missing or invalid is "not observed". */
  snapshots: NodeSnapshot[];
  blobs: Map<string, string>;
}

export class BundleError extends Error {
  constructor(
    readonly dir: string,
    readonly problems: Problem[],
  ) {
    super(`bundle ${dir} has ${problems.length} problem(s):\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    this.name = 'BundleError';
  }
}

const READ_CONCURRENCY = 4;

/** Runs fn over items with at most `limit` at once. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function readJson(file: string, rel: string, problems: Problem[]): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    problems.push({ file: rel, path: '$', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    problems.push({ file: rel, path: '$', message: `not valid JSON: ${(err as Error).message}` });
    return undefined;
  }
}

/**
 * Reads a bundle directory, validating every file. Never stops at the first problem: it returns what is good
 * and every problem with its file and JSON path. Throws BundleError only when the directory itself is unusable
 * (missing, or no cluster.json).
 */
export async function loadBundle(dir: string): Promise<{ bundle: Bundle; problems: Problem[] }> {
  const problems: Problem[] = [];
  const abs = path.resolve(dir);
  const st = await stat(abs).catch(() => null);
  if (!st?.isDirectory()) throw new BundleError(dir, [{ file: dir, path: '$', message: 'is not a directory' }]);

  let meta: BundleMeta | null = null;
  const metaFile = path.join(abs, 'bundle.json');
  if (await stat(metaFile).catch(() => null)) {
    const json = await readJson(metaFile, 'bundle.json', problems);
    if (json !== undefined) {
      const parsed = BundleMeta.safeParse(json);
      if (parsed.success) meta = parsed.data;
      else problems.push(...zodProblems('bundle.json', parsed.error));
    }
  }

  const clusterJson = await readJson(path.join(abs, 'cluster.json'), 'cluster.json', problems);
  if (clusterJson === undefined) throw new BundleError(dir, problems);
  const { cluster, problems: clusterProblems } = parseClusterList('cluster.json', clusterJson);
  problems.push(...clusterProblems);

  const snapshots: NodeSnapshot[] = [];
  const nodesDir = path.join(abs, 'nodes');
  const files = (await readdir(nodesDir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();
  // A few files are read side by side (all at once would hold every file's text in memory together, and a
  // 1,000-node bundle then spends most of its load in the garbage collector); each keeps its own problems so
  // the report lists them in file order.
  const nodeProblems: Problem[][] = files.map(() => []);
  const interner = new StringInterner();
  await eachLimited(
    files,
    READ_CONCURRENCY,
    async (f, i) => {
      const rel = `nodes/${f}`;
      const problems = nodeProblems[i]!;
      const json = await readJson(path.join(nodesDir, f), rel, problems);
      if (json === undefined) return;
      const parsed = NodeSnapshot.safeParse(json);
      if (!parsed.success) {
        problems.push(...zodProblems(rel, parsed.error));
        return;
      }
      const expected = f.slice(0, -'.json'.length);
      if (parsed.data.nodeName !== expected) {
        problems.push({ file: rel, path: '$.nodeName', message: `is ${JSON.stringify(parsed.data.nodeName)}, but the file is named for ${JSON.stringify(expected)}` });
        return;
      }
      interner.internAll(parsed.data);
      snapshots.push(parsed.data);
    },
  );
  problems.push(...nodeProblems.flat());
  snapshots.sort((a, b) => a.nodeName.localeCompare(b.nodeName));

  const blobs = new Map<string, string>();
  const wanted = new Map(snapshots.flatMap((s) => blobRefs(s).map((r) => [r.sha256, { ref: r, node: s.nodeName }] as const)));
  const refs = [...wanted.values()].sort((a, b) => a.ref.sha256.localeCompare(b.ref.sha256));
  const blobProblems: Problem[][] = refs.map(() => []);
  await Promise.all(
    refs.map(async ({ ref, node }, i) => {
      const rel = `blobs/${ref.sha256}`;
      const problems = blobProblems[i]!;
      const text = await readFile(path.join(abs, 'blobs', ref.sha256), 'utf8').catch(() => undefined);
      if (text === undefined) {
        problems.push({ file: rel, path: '$', message: `missing (referenced by nodes/${node}.json)` });
      } else if (sha256(text) !== ref.sha256) {
        problems.push({ file: rel, path: '$', message: 'content does not match its sha256' });
      } else {
        blobs.set(ref.sha256, text);
      }
    }),
  );
  problems.push(...blobProblems.flat());

  return { bundle: { dir: abs, meta, cluster: cluster ?? emptyCluster(), snapshots, blobs }, problems };
}

/** Like loadBundle, but any problem at all is an error. */
export async function readBundle(dir: string): Promise<Bundle> {
  const { bundle, problems } = await loadBundle(dir);
  if (problems.length > 0) throw new BundleError(dir, problems);
  return bundle;
}
