import { realpath, readdir, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { DEFAULT_MAX_JSON_DEPTH, emptyCluster, formatProblem, isError, type BundleMeta, type ClusterObjects, type NodeSnapshot, type Problem } from '@patchbay/schema';
import { runFileJob, type BundleFileKind, type FileJob, type FileOutcome } from './checkFile.js';
import { StringInterner } from './internStrings.js';
import { ParsePool, runningFromSource } from './parsePool.js';
import { blobRefs } from './sections.js';

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

const MiB = 1024 * 1024;

/**
 * The largest file read, by default. The largest real snapshot section is kube-proxy's iptables-save for
 * 10,000 services, about 17 MB, which writeBundle moves to a blob; a 1,000-node snapshot with every route,
 * neighbour and FDB entry is about 1 MB. 64 MiB is four times the largest, and what one file may cost to parse
 * (README, "Memory") stays a few hundred MB.
 */
export const DEFAULT_MAX_FILE_BYTES = 64 * MiB;
/** Deepest nesting an option may ask for: past a few thousand levels, recursion overflows (see DEFAULT_MAX_JSON_DEPTH). */
const MAX_JSON_DEPTH_CAP = 1000;

export interface LoadBundleOptions {
  /** Largest bundle.json, cluster.json or nodes/*.json read (bytes); a larger one is a problem of that file. Default 64 MiB. */
  maxFileBytes?: number;
  /** Largest blobs/SHA256 read (bytes). Default 64 MiB. */
  maxBlobBytes?: number;
  /** Deepest nesting of arrays and objects accepted in a JSON file (1 to 1,000). Default 100. */
  maxJsonDepth?: number;
  /**
   * Worker threads that read and parse files, so the calling thread's event loop keeps turning during a load.
   * 0 parses on the calling thread (it is blocked for each file). Default: the cores, at most 4; but 0 when
   * this package runs from its TypeScript source (tests, tsx tools), where a worker takes a second or more to
   * start (it compiles TypeScript): tests of the workers ask for them.
   */
  workers?: number;
  /** Heap limit of each parse worker (MB); a file that needs more is reported as a problem. Default 2048. */
  maxWorkerHeapMb?: number;
}

/** Runs file jobs on workers or inline, with what each file's value needs on arrival. */
type Runner = (job: FileJob, onPart: (part: unknown) => void) => Promise<FileOutcome>;

function positiveInt(name: string, v: number | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`loadBundle: ${name} must be an integer from 0 to ${max}, got ${String(v)}`);
  return v;
}

/**
 * Reads a bundle directory, validating every file. Never stops at the first problem: it returns what is good
 * and every problem with its file and JSON path. Throws BundleError only when the directory itself is unusable
 * (missing, or no usable cluster.json). Problems with severity 'warning' leave the data usable.
 */
export async function loadBundle(dir: string, options: LoadBundleOptions = {}): Promise<{ bundle: Bundle; problems: Problem[] }> {
  const maxFileBytes = positiveInt('maxFileBytes', options.maxFileBytes, DEFAULT_MAX_FILE_BYTES);
  const maxBlobBytes = positiveInt('maxBlobBytes', options.maxBlobBytes, DEFAULT_MAX_FILE_BYTES);
  const limits = { maxDepth: Math.max(1, positiveInt('maxJsonDepth', options.maxJsonDepth, DEFAULT_MAX_JSON_DEPTH, MAX_JSON_DEPTH_CAP)) };
  const workers = positiveInt('workers', options.workers, runningFromSource ? 0 : Math.min(4, availableParallelism()), 64);
  const maxHeapMb = positiveInt('maxWorkerHeapMb', options.maxWorkerHeapMb, 2048);

  const abs = path.resolve(dir);
  const st = await stat(abs).catch(() => null);
  if (!st?.isDirectory()) throw new BundleError(dir, [{ file: dir, path: '$', message: 'is not a directory' }]);
  // Files must resolve to a place under this (see safeRead.ts); the directory itself may be a link.
  const root = await realpath(abs);
  const job = (rel: string, what: BundleFileKind, maxBytes = maxFileBytes): FileJob => ({ root, file: path.join(abs, rel), rel, what, maxBytes, limits });

  const pool = workers > 0 ? new ParsePool({ size: workers, maxHeapMb }) : null;
  const run: Runner = pool
    ? (j, onPart) => pool.run(j, onPart)
    : async (j, onPart) => {
        const outcome = runFileJob(j);
        if (outcome.value !== undefined) onPart(outcome.value);
        return outcome;
      };
  try {
    return await load(dir, abs, job, run, maxBlobBytes);
  } finally {
    await pool?.close();
  }
}

async function load(
  dir: string,
  abs: string,
  job: (rel: string, what: BundleFileKind, maxBytes?: number) => FileJob,
  run: Runner,
  maxBlobBytes: number,
): Promise<{ bundle: Bundle; problems: Problem[] }> {
  const nothing = () => {};
  const interner = new StringInterner();
  const files = (await readdir(path.join(abs, 'nodes')).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();

  // Every file is queued at once; the pool reads as many side by side as it has workers (all at once would
  // hold every file's text in memory together). Each keeps its own problems, so the report is in file order.
  const metaP = run(job('bundle.json', { kind: 'meta' }), nothing);
  const clusterP = run(job('cluster.json', { kind: 'cluster' }), nothing);
  const nodeP = files.map((f) => run(job(`nodes/${f}`, { kind: 'node', nodeName: f.slice(0, -'.json'.length) }), (part) => interner.internAll(part)));

  const problems: Problem[] = [];
  const meta = await metaP;
  // bundle.json is optional: its absence is no problem.
  const metaMissing = meta.problems.length === 1 && meta.problems[0]!.message === 'cannot read: ENOENT';
  if (!metaMissing) problems.push(...meta.problems);
  const cluster = await clusterP;
  problems.push(...cluster.problems);
  const nodes = await Promise.all(nodeP);
  if (cluster.value === undefined) throw new BundleError(dir, problems);

  const snapshots: NodeSnapshot[] = [];
  for (const n of nodes) {
    problems.push(...n.problems);
    if (n.value !== undefined) snapshots.push(n.value as NodeSnapshot);
  }
  snapshots.sort((a, b) => a.nodeName.localeCompare(b.nodeName));

  const blobs = new Map<string, string>();
  const nftShas = new Set(snapshots.flatMap((s) => (s.nft && 'sha256' in s.nft ? [s.nft.sha256 as string] : [])));
  const wanted = new Map(snapshots.flatMap((s) => blobRefs(s).map((r) => [r.sha256, { ref: r, node: s.nodeName }] as const)));
  const refs = [...wanted.values()].sort((a, b) => a.ref.sha256.localeCompare(b.ref.sha256));
  const blobOutcomes = await Promise.all(
    refs.map(({ ref, node }) =>
      run(job(`blobs/${ref.sha256}`, { kind: 'blob', sha256: ref.sha256, nft: nftShas.has(ref.sha256), referencedBy: `nodes/${node}.json` }, maxBlobBytes), nothing),
    ),
  );
  blobOutcomes.forEach((b, i) => {
    problems.push(...b.problems);
    if (typeof b.value === 'string') blobs.set(refs[i]!.ref.sha256, b.value);
  });

  const metaValue = metaMissing || meta.value === undefined ? null : (meta.value as BundleMeta);
  return { bundle: { dir: abs, meta: metaValue, cluster: (cluster.value as ClusterObjects) ?? emptyCluster(), snapshots, blobs }, problems };
}

/** Like loadBundle, but any problem that is not a warning is an error. */
export async function readBundle(dir: string, options: LoadBundleOptions = {}): Promise<Bundle> {
  const { bundle, problems } = await loadBundle(dir, options);
  if (problems.some(isError)) throw new BundleError(dir, problems);
  return bundle;
}
