// Public surface of @patchbay/api: the tRPC router, its context, the Source contract and the bundle source.
export { appRouter, createCaller } from './router.js';
export type { ApiContext, AppRouter, TraceFn } from './router.js';
export { BundleSource } from './bundleSource.js';
export type { BundleSourceOptions } from './bundleSource.js';
export { silentLog } from './source.js';
export type { Log, Source, SourceError, SourceEvent, SourceState } from './source.js';
export { serviceRulesOnNode } from './internal/serviceRules.js';
export type { NodeServiceRules, RuleChain, RuleEndpoint } from './internal/serviceRules.js';
export * as schemas from './schemas.js';
