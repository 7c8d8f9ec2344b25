import { createHash } from 'node:crypto';
import { NftRuleset, isBlobRef, type BlobRef, type NodeSnapshot, type TextSection } from '@patchbay/schema';

/** Content of blobs by sha256, loaded once per bundle whatever the number of snapshots that share them. */
export type BlobStore = ReadonlyMap<string, string>;

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export class MissingBlobError extends Error {
  constructor(readonly ref: BlobRef) {
    super(`blob ${ref.sha256} (${ref.bytes} bytes) is referenced but not in the bundle's blobs/`);
    this.name = 'MissingBlobError';
  }
}

/** The text of a section, inline or from the blob store. */
export function sectionText(section: TextSection, blobs: BlobStore): string {
  if (typeof section === 'string') return section;
  const text = blobs.get(section.sha256);
  if (text === undefined) throw new MissingBlobError(section);
  return text;
}

/** The nft ruleset of a snapshot, inline or by reference; null when the node has none. */
export function nftRuleset(snapshot: NodeSnapshot, blobs: BlobStore): NftRuleset | null {
  const section = snapshot.nft;
  if (section === null) return null;
  if (!isBlobRef(section)) return section as NftRuleset;
  return NftRuleset.parse(JSON.parse(sectionText(section, blobs)));
}

/** Every blob a snapshot refers to. */
export function blobRefs(snapshot: NodeSnapshot): BlobRef[] {
  const refs: BlobRef[] = [];
  const add = (s: unknown) => {
    if (isBlobRef(s)) refs.push(s);
  };
  for (const dump of snapshot.iptables) add(dump.save);
  add(snapshot.nft);
  add(snapshot.ipvs);
  add(snapshot.ipsets);
  return refs;
}
