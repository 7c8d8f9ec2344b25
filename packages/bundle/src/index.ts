export { BundleError, loadBundle, readBundle } from './readBundle.js';
export type { Bundle } from './readBundle.js';
export { writeBundle } from './writeBundle.js';
export type { WriteBundleOptions } from './writeBundle.js';
export { MissingBlobError, blobRefs, nftRuleset, sectionText, sha256 } from './sections.js';
export type { BlobStore } from './sections.js';
