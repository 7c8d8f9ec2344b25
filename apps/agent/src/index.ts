// Public surface of @patchbay/agent, for the lab (which records snapshots in-process) and tests.
export { collectSnapshot } from './collectSnapshot.js';
export type { CollectDeps, CollectOptions } from './collectSnapshot.js';
export { execRun, RunError } from './run.js';
export type { Run, RunOptions, RunResult } from './run.js';
export { realFs, defaultPaths } from './system.js';
export type { SystemFs, Paths } from './system.js';
export { SnapshotServer } from './serve.js';
export type { ServeOptions } from './serve.js';
export { createMetrics } from './metrics.js';
export { externalise } from './blobs.js';
export { agentVersion } from './version.js';
