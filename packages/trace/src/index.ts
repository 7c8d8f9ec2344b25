// Public surface of @patchbay/trace. The tracer is pure: a ClusterModel and a query in, a Trace out.
export { traceFlow } from './traceFlow.js';
export type { TraceQueryInput } from './traceFlow.js';
export { TraceInputError } from './errors.js';
export { formatTrace, formatTraceJson } from './formatTrace.js';
export { escapeControls, jsonForTerminal } from './terminalText.js';
export { DEFAULT_TRACE_LIMITS, TraceBudget } from './limits.js';
export type { TraceLimits } from './limits.js';
export { evaluateNetworkPolicy, policyTypes, selectorMatches } from './policy/networkPolicy.js';
export type { DirectionResult, PolicyPeer, PolicyResult } from './policy/networkPolicy.js';
export type { BaseChain, Hook, HookContext, HookOutcome, NetfilterEvaluator, NfPacket } from './netfilter/types.js';
