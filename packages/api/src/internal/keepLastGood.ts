import { blobRefs, type Bundle } from '@patchbay/bundle';
import type { NodeSnapshot, Problem } from '@patchbay/schema';
import type { SourceState, StaleNode } from '../source.js';

// One broken node file must not freeze the rest of the cluster (issue 25, defect 9): a reload applies what is
// good, and a node whose file went bad after it had been read well keeps its last good snapshot, flagged as
// stale with since when and why. A node file that was never good is simply not observed (loadBundle already
// leaves it out and lists its problems); a deleted file means the node is no longer observed, not stale.

const NODE_FILE = /^nodes\/(.+)\.json$/;

/** Problems of each node file whose snapshot the load left out, by node name. */
function badNodeFiles(problems: Problem[], loaded: ReadonlySet<string>): Map<string, Problem[]> {
  const bad = new Map<string, Problem[]>();
  for (const p of problems) {
    const node = NODE_FILE.exec(p.file)?.[1];
    // A problem that did not cost the node its snapshot (a warning) does not make it stale.
    if (node === undefined || loaded.has(node)) continue;
    bad.set(node, [...(bad.get(node) ?? []), p]);
  }
  return bad;
}

/** Loaded snapshots that refer to a blob the load could not use (missing, or not matching its sha256). */
function brokenBlobs(snapshots: NodeSnapshot[], blobs: ReadonlyMap<string, string>, problems: Problem[]): Map<string, Problem[]> {
  const bad = new Map<string, Problem[]>();
  for (const s of snapshots) {
    const missing = blobRefs(s).filter((r) => !blobs.has(r.sha256));
    if (missing.length === 0) continue;
    const files = new Set(missing.map((r) => `blobs/${r.sha256}`));
    const found = problems.filter((p) => files.has(p.file));
    bad.set(s.nodeName, found.length > 0 ? found : [...files].map((file) => ({ file, path: '$', message: 'not readable' })));
  }
  return bad;
}

/**
 * The bundle to serve from a fresh load: every good snapshot of the load, and for each node whose file (or a
 * blob it refers to) is bad now, the snapshot the previous state served for it, if any. Pure.
 */
export function keepLastGood(previous: SourceState, loaded: Bundle, problems: Problem[], now: string): { bundle: Bundle; staleNodes: StaleNode[] } {
  const loadedNames = new Set(loaded.snapshots.map((s) => s.nodeName));
  const bad = badNodeFiles(problems, loadedNames);
  for (const [node, ps] of brokenBlobs(loaded.snapshots, loaded.blobs, problems)) bad.set(node, ps);
  if (bad.size === 0) return { bundle: loaded, staleNodes: [] };

  const before = new Map(previous.bundle.snapshots.map((s) => [s.nodeName, s]));
  const wasStale = new Map(previous.staleNodes.map((s) => [s.node, s]));
  const kept = new Map<string, NodeSnapshot>();
  const staleNodes: StaleNode[] = [];
  for (const [node, ps] of [...bad].sort(([a], [b]) => a.localeCompare(b))) {
    const last = before.get(node);
    // Only a snapshot that was whole (every blob it refers to read) is worth keeping over the new load.
    if (!last || !blobRefs(last).every((r) => previous.bundle.blobs.has(r.sha256))) continue;
    kept.set(node, last);
    staleNodes.push({ node, file: `nodes/${node}.json`, since: wasStale.get(node)?.since ?? now, servedCapturedAt: last.capturedAt, problems: ps });
  }
  if (kept.size === 0) return { bundle: loaded, staleNodes: [] };

  const snapshots = [...loaded.snapshots.filter((s) => !kept.has(s.nodeName)), ...kept.values()].sort((a, b) => a.nodeName.localeCompare(b.nodeName));
  const blobs = new Map(loaded.blobs);
  for (const s of kept.values()) {
    for (const r of blobRefs(s)) {
      const text = previous.bundle.blobs.get(r.sha256);
      if (text !== undefined && !blobs.has(r.sha256)) blobs.set(r.sha256, text);
    }
  }
  return { bundle: { ...loaded, snapshots, blobs }, staleNodes };
}
