// The loader without the disk, for the in-memory layer: each file's bytes go through @patchbay/bundle's
// checkBundleFile, the very function loadBundle runs on each file it reads (encoding, JSON syntax, depth,
// schema, the file-name check), and are assembled in the loader's order. Ten thousand bundles through tmpfs
// would spend most of the suite's time in I/O; the file-backed layer covers what only the loader does (lstat,
// FIFOs, symlinks, sizes, blobs). Not copied: the string interner (an internal optimisation of the loader).
import { BundleError, checkBundleFile, type Bundle, type FileOutcome } from '@patchbay/bundle';
import { DEFAULT_MAX_JSON_DEPTH, emptyCluster, type BundleMeta, type ClusterObjects, type NodeSnapshot, type Problem } from '@patchbay/schema';
import type { FileSet } from './seeds.js';

const LIMITS = { maxDepth: DEFAULT_MAX_JSON_DEPTH };

/**
 * Outcomes for file contents this process has seen, by the Buffer itself and the file name (problems carry the
 * name): a case changes one or two files and shares the seed's Buffers for the rest, so only what changed is
 * checked again. Values are deep-frozen, as the loader's contract says loaded snapshots are read-only: a stage
 * that writes into one fails its case with a TypeError instead of quietly changing the next case's input.
 */
const seen = new WeakMap<Buffer, Map<string, FileOutcome>>();

function deepFreeze(root: unknown): void {
  const stack = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object' || Object.isFrozen(v)) continue;
    Object.freeze(v);
    for (const x of Object.values(v)) stack.push(x);
  }
}

function check(files: FileSet, rel: string, what: Parameters<typeof checkBundleFile>[1]): FileOutcome {
  const e = files.get(rel);
  if (!e || e.type !== 'file') return { problems: [{ file: rel, path: '$', message: 'cannot read: ENOENT' }] };
  const byName = seen.get(e.data) ?? new Map<string, FileOutcome>();
  seen.set(e.data, byName);
  const hit = byName.get(rel);
  if (hit) return hit;
  const outcome = checkBundleFile(rel, what, e.data, LIMITS);
  deepFreeze(outcome.value);
  byName.set(rel, outcome);
  return outcome;
}

export function loadInMemory(files: FileSet): { bundle: Bundle; problems: Problem[] } {
  const problems: Problem[] = [];
  let meta: BundleMeta | null = null;
  if (files.has('bundle.json')) {
    const m = check(files, 'bundle.json', { kind: 'meta' });
    problems.push(...m.problems);
    if (m.value !== undefined) meta = m.value as BundleMeta;
  }
  const cluster = check(files, 'cluster.json', { kind: 'cluster' });
  problems.push(...cluster.problems);
  const names = [...files.keys()].filter((k) => k.startsWith('nodes/') && k.endsWith('.json') && !k.slice('nodes/'.length).includes('/')).sort();
  const snapshots: NodeSnapshot[] = [];
  for (const rel of names) {
    const n = check(files, rel, { kind: 'node', nodeName: rel.slice('nodes/'.length, -'.json'.length) });
    problems.push(...n.problems);
    if (n.value !== undefined) snapshots.push(n.value as NodeSnapshot);
  }
  if (cluster.value === undefined) throw new BundleError('(memory)', problems);
  snapshots.sort((a, b) => a.nodeName.localeCompare(b.nodeName));
  return { bundle: { dir: '(memory)', meta, cluster: (cluster.value as ClusterObjects) ?? emptyCluster(), snapshots, blobs: new Map() }, problems };
}
