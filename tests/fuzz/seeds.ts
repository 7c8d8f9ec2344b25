// The bundles the fuzz starts from, as the files a bundle directory holds: the demo bundle (a real recorded
// flannel-vxlan lab, 3 nodes), the trace test kit's two-node shop, and a small synthetic cluster. Every
// mutation starts from one of these, so each case is a plausible bundle with one or a few things wrong.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCluster, generateSnapshots } from '@patchbay/lab';
import type { ClusterObjects } from '@patchbay/schema';
import { twoNodeShop } from '../../packages/trace/test/kit.js';

/** What one bundle entry is on disk. Only the file-backed layer can write the non-regular kinds. */
export type Entry =
  | { type: 'file'; data: Buffer }
  | { type: 'fifo' }
  | { type: 'dir' }
  /** target is relative to the entry's directory, or absolute (a link that leaves the bundle). */
  | { type: 'symlink'; target: string };

/** Bundle-relative path (`cluster.json`, `nodes/n1.json`, `blobs/SHA`) to entry. */
export type FileSet = Map<string, Entry>;

export interface Seed {
  name: 'demo' | 'kit' | 'synthetic';
  files: FileSet;
}

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const DEMO_DIR = path.join(REPO, 'apps/server/demo/bundle');

const text = (s: string): Entry => ({ type: 'file', data: Buffer.from(s, 'utf8') });

function listOf(cluster: ClusterObjects): unknown {
  const items = [...cluster.nodes, ...cluster.namespaces, ...cluster.pods, ...cluster.services, ...cluster.endpointSlices, ...cluster.networkPolicies];
  return { apiVersion: 'v1', kind: 'List', items };
}

function demoSeed(): Seed {
  const files: FileSet = new Map();
  for (const f of ['bundle.json', 'cluster.json']) files.set(f, { type: 'file', data: readFileSync(path.join(DEMO_DIR, f)) });
  for (const f of readdirSync(path.join(DEMO_DIR, 'nodes')).sort()) files.set(`nodes/${f}`, { type: 'file', data: readFileSync(path.join(DEMO_DIR, 'nodes', f)) });
  return { name: 'demo', files };
}

function kitSeed(): Seed {
  const { bundle, cluster } = twoNodeShop();
  const files: FileSet = new Map([['cluster.json', text(JSON.stringify(listOf(cluster)))]]);
  for (const s of bundle.snapshots) files.set(`nodes/${s.nodeName}.json`, text(JSON.stringify(s)));
  return { name: 'kit', files };
}

function syntheticSeed(): Seed {
  const { clusterList, cluster } = generateCluster({ nodes: 3, podsPerNode: 4, services: 6, seed: 25 });
  const files: FileSet = new Map([
    ['bundle.json', text(JSON.stringify({ schemaVersion: 1, capturedAt: '2026-11-21T14:00:00Z', source: 'synthetic' }))],
    ['cluster.json', text(JSON.stringify(clusterList))],
  ]);
  for (const s of generateSnapshots(cluster)) files.set(`nodes/${s.nodeName}.json`, text(JSON.stringify(s)));
  return { name: 'synthetic', files };
}

let cached: Seed[] | null = null;

/** The three seeds, built once per process (they are never changed: mutations copy what they touch). */
export function seeds(): Seed[] {
  cached ??= [demoSeed(), kitSeed(), syntheticSeed()];
  return cached;
}
