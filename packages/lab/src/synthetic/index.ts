// Large deterministic clusters and bundles for benchmarks (never loaded into a kernel; see addressPlan.ts).
export { generateCluster, GenerateClusterOptions, vtepMac } from './generateCluster.js';
export type { SyntheticCluster } from './generateCluster.js';
export { generateSnapshots } from './generateSnapshots.js';
export type { GenerateSnapshotsOptions } from './generateSnapshots.js';
export { writeSyntheticBundle } from './writeSyntheticBundle.js';
export type { SyntheticBundleOptions, SyntheticBundleStats } from './writeSyntheticBundle.js';
export { IN_PLAN_NODES, nodeAddress, podBlock, podBlockPrefix, podsPerBlock } from './addressPlan.js';
export type { NodeAddress, PodBlock } from './addressPlan.js';
