export { BundleError, DEFAULT_MAX_FILE_BYTES, loadBundle, readBundle } from './readBundle.js';
export type { Bundle, LoadBundleOptions } from './readBundle.js';
export { checkBundleFile } from './checkFile.js';
export type { BundleFileKind, CheckLimits, FileOutcome } from './checkFile.js';
export { writeBundle } from './writeBundle.js';
export type { WriteBundleOptions } from './writeBundle.js';
export { MissingBlobError, blobRefs, nftRuleset, sectionText, sha256 } from './sections.js';
export type { BlobStore } from './sections.js';
