import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256, writeBundle } from '@patchbay/bundle';
import type { NodeSnapshot } from '@patchbay/schema';
import { generateCluster, type GenerateClusterOptions } from './generateCluster.js';
import { generateSnapshots, type GenerateSnapshotsOptions } from './generateSnapshots.js';

export type SyntheticBundleOptions = GenerateClusterOptions & Omit<GenerateSnapshotsOptions, 'onlyNodes'>;

export interface SyntheticBundleStats {
  nodes: number;
  pods: number;
  services: number;
  endpoints: number;
  /** Distinct iptables-save texts, and the size of the largest. */
  distinctIptablesTexts: number;
  iptablesBytes: number;
  /** Bytes written under blobs/. */
  blobBytes: number;
}

/**
 * Generates a cluster and its snapshots and writes them as a bundle with @patchbay/bundle's writeBundle.
 * The iptables-save sections are hashed here, once per distinct text, and handed to writeBundle as blob
 * references (writeBundle would otherwise hash the same 16 MB again for every node); their blobs are written
 * alongside, so identical text is stored once.
 */
export async function writeSyntheticBundle(dir: string, opts: SyntheticBundleOptions): Promise<SyntheticBundleStats> {
  const { nodes, podsPerNode, services, endpointsPerService, seed, ...snapOpts } = opts;
  const { clusterList, cluster } = generateCluster({ nodes, podsPerNode, services, endpointsPerService, seed });
  const snapshots = generateSnapshots(cluster, snapOpts);
  const blobs = new Map<string, string>();
  const refs = new Map<string, { sha256: string; bytes: number }>();
  const byRef: NodeSnapshot[] = snapshots.map((snap) => ({
    ...snap,
    iptables: snap.iptables.map((dump) => {
      if (typeof dump.save !== 'string') return dump;
      let ref = refs.get(dump.save);
      if (!ref) {
        ref = { sha256: sha256(dump.save), bytes: Buffer.byteLength(dump.save) };
        refs.set(dump.save, ref);
        blobs.set(ref.sha256, dump.save);
      }
      return { ...dump, save: ref };
    }),
  }));
  await writeBundle(dir, {
    clusterList,
    snapshots: byRef,
    meta: { schemaVersion: 1, capturedAt: opts.capturedAt ?? '2026-11-21T12:00:00Z', source: `synthetic seed=${opts.seed ?? 1}` },
  });
  let blobBytes = 0;
  if (blobs.size > 0) {
    await mkdir(path.join(dir, 'blobs'), { recursive: true });
    for (const [sha, text] of blobs) {
      await writeFile(path.join(dir, 'blobs', sha), text);
      blobBytes += Buffer.byteLength(text);
    }
  }
  return {
    nodes: cluster.nodes.length,
    pods: cluster.pods.length,
    services: cluster.services.length,
    endpoints: cluster.endpointSlices.reduce((n, s) => n + (s.endpoints?.length ?? 0), 0),
    distinctIptablesTexts: refs.size,
    iptablesBytes: Math.max(0, ...[...refs.values()].map((r) => r.bytes)),
    blobBytes,
  };
}
