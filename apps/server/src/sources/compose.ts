import { traceFlow as trace } from '@patchbay/trace';
import { resolveBundle } from '@patchbay/resolve';
import { BundleSource, type Log, type TraceFn } from '@patchbay/api';

// The server composes the stages (STYLE.md 12): bundle -> resolve -> trace/topology behind the API. The CLI's
// `patchbay trace` calls the same traceFlow on the same resolved model, so both print the same object.

export const traceFlow: TraceFn = (state, query) => trace(state.model, query);

export function bundleSource(dir: string, log: Log): BundleSource {
  return new BundleSource(dir, { resolve: resolveBundle, log });
}
