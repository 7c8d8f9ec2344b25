// Knobs of the fuzz suite, from the environment, so a failing case can be replayed alone and the suite scaled up
// locally. Defaults are what `npm test` runs: about 10,400 mutated bundles and 4,000 tRPC inputs in about
// three minutes on two cores.
export const SEED = Number(process.env.FUZZ_SEED ?? 25);
/** Replay one case: FUZZ_LAYER=file|memory|caller|http FUZZ_CASE=N. */
export const ONE_CASE = process.env.FUZZ_CASE !== undefined ? Number(process.env.FUZZ_CASE) : null;
export const ONE_LAYER = process.env.FUZZ_LAYER ?? null;
/** Mutated bundles in all (one in ten from real files, the rest in memory). */
export const BUNDLE_CASES = Number(process.env.FUZZ_CASES ?? 10_400);
export const TRPC_CASES = Number(process.env.FUZZ_TRPC_CASES ?? 4_000);
export const HTTP_CASES = Number(process.env.FUZZ_HTTP_CASES ?? 300);
/** Worker processes for the bundle layers. */
export const WORKERS = Number(process.env.FUZZ_WORKERS ?? 2);
/** No case may take longer (the bound of "no hang"). */
export const CASE_BOUND_MS = Number(process.env.FUZZ_CASE_BOUND_MS ?? 5_000);
/** After this many hangs a layer stops (each costs a bound and a worker restart); the rest count as not run. */
export const MAX_HANGS = Number(process.env.FUZZ_MAX_HANGS ?? 8);
/**
 * Wall-clock budget per layer, scaled with the case count: about twice what a healthy run takes here, so it
 * only ends a run that hangs or crawls; what is left when it runs out counts as not run (and fails the test).
 */
export function budgetMs(layer: 'file' | 'memory' | 'caller' | 'http', cases: number): number {
  const perCase = { file: 100, memory: 25, caller: 20, http: 100 }[layer];
  return Math.max(30_000, cases * perCase) * Number(process.env.FUZZ_BUDGET_SCALE ?? 1);
}

for (const [name, value] of Object.entries({ SEED, BUNDLE_CASES, TRPC_CASES, HTTP_CASES, CASE_BOUND_MS, MAX_HANGS, WORKERS })) {
  if (!Number.isInteger(value) || value < 0) throw new Error(`fuzz: ${name} must be a non-negative integer`);
}
if (ONE_CASE !== null && (!Number.isInteger(ONE_CASE) || ONE_CASE < 0)) throw new Error('fuzz: FUZZ_CASE must be a non-negative integer');
if (ONE_LAYER !== null && !['file', 'memory', 'caller', 'http'].includes(ONE_LAYER)) throw new Error('fuzz: FUZZ_LAYER must be file, memory, caller or http');

/** The case indexes of a layer: all of them, or the one being replayed. */
export function caseIndexes(layer: string, cases: number): number[] {
  if (ONE_CASE !== null) return ONE_LAYER === null || ONE_LAYER === layer ? [ONE_CASE] : [];
  if (ONE_LAYER !== null && ONE_LAYER !== layer) return [];
  return Array.from({ length: cases }, (_, i) => i);
}
