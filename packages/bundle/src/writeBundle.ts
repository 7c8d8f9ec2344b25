import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BundleMeta, NodeSnapshot, TextSection } from '@patchbay/schema';
import { sha256 } from './sections.js';

export interface WriteBundleOptions {
  meta?: BundleMeta;
  /** The Kubernetes List JSON, as kubectl prints it. */
  clusterList: unknown;
  snapshots: NodeSnapshot[];
  /** Sections larger than this many bytes go to blobs/ (identical ones are stored once). Default 64 KiB. */
  inlineLimit?: number;
}

/** Writes a bundle directory; large snapshot sections are moved to blobs/ and referenced by sha256. JSON is
 * written compact: a 1,000-node bundle is mostly routes and FDB entries, and indentation doubles its size. */
export async function writeBundle(dir: string, opts: WriteBundleOptions): Promise<void> {
  const limit = opts.inlineLimit ?? 64 * 1024;
  await mkdir(path.join(dir, 'nodes'), { recursive: true });
  const blobs = new Map<string, string>();
  const externalize = (text: string): TextSection => {
    const bytes = Buffer.byteLength(text);
    if (bytes <= limit) return text;
    const sha = sha256(text);
    blobs.set(sha, text);
    return { sha256: sha, bytes };
  };
  for (const snap of opts.snapshots) {
    const out: NodeSnapshot = {
      ...snap,
      iptables: snap.iptables.map((d) => ({ ...d, save: typeof d.save === 'string' ? externalize(d.save) : d.save })),
      ipvs: typeof snap.ipvs === 'string' ? externalize(snap.ipvs) : snap.ipvs,
      ipsets: typeof snap.ipsets === 'string' ? externalize(snap.ipsets) : snap.ipsets,
      nft: snap.nft !== null && 'nftables' in snap.nft ? (externalize(JSON.stringify(snap.nft)) as NodeSnapshot['nft']) : snap.nft,
    };
    // An inline nft section must stay JSON, not a string.
    if (typeof out.nft === 'string') out.nft = snap.nft;
    await writeFile(path.join(dir, 'nodes', `${snap.nodeName}.json`), `${JSON.stringify(out)}\n`);
  }
  if (blobs.size > 0) {
    await mkdir(path.join(dir, 'blobs'), { recursive: true });
    for (const [sha, text] of blobs) await writeFile(path.join(dir, 'blobs', sha), text);
  }
  await writeFile(path.join(dir, 'cluster.json'), `${JSON.stringify(opts.clusterList)}\n`);
  await writeFile(path.join(dir, 'bundle.json'), `${JSON.stringify(opts.meta ?? { schemaVersion: 1 }, null, 1)}\n`);
}
