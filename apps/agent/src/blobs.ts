import { createHash } from 'node:crypto';
import type { BlobRef, NodeSnapshot } from '@patchbay/schema';

// Large sections carried by reference (DESIGN.md "NodeSnapshot"): {sha256, bytes} in the snapshot, the content on
// GET /blobs/SHA256. kube-proxy's rules are nearly identical on every node, so the server stores and parses them once.

export interface Blob {
  ref: BlobRef;
  content: Buffer;
  contentType: string;
}

export function makeBlob(text: string, contentType: string): Blob {
  const content = Buffer.from(text, 'utf8');
  return { ref: { sha256: createHash('sha256').update(content).digest('hex'), bytes: content.length }, content, contentType };
}

/** A copy of the snapshot with every text section (and the nft ruleset's JSON) above `threshold` bytes by reference. */
export function externalise(snapshot: NodeSnapshot, threshold: number): { snapshot: NodeSnapshot; blobs: Blob[] } {
  const blobs: Blob[] = [];
  const maybe = <T>(v: T | string, contentType: string): T | string | BlobRef => {
    if (typeof v !== 'string' || Buffer.byteLength(v) <= threshold) return v;
    const b = makeBlob(v, contentType);
    blobs.push(b);
    return b.ref;
  };
  let nft = snapshot.nft;
  if (nft && !('sha256' in nft)) {
    const text = JSON.stringify(nft);
    if (Buffer.byteLength(text) > threshold) {
      const b = makeBlob(text, 'application/json');
      blobs.push(b);
      nft = b.ref;
    }
  }
  const out: NodeSnapshot = {
    ...snapshot,
    iptables: snapshot.iptables.map((d) => ({ ...d, save: maybe(d.save, 'text/plain; charset=utf-8') })),
    ipvs: snapshot.ipvs === null ? null : maybe(snapshot.ipvs, 'text/plain; charset=utf-8'),
    ipsets: snapshot.ipsets === null ? null : maybe(snapshot.ipsets, 'text/plain; charset=utf-8'),
    nft,
  };
  return { snapshot: out, blobs };
}
