import { expect, it } from 'vitest';
import * as api from './index.js';

// The package's runtime surface (STYLE.md 3): widening it shows up here in review.
it('exports exactly these names', () => {
  expect(Object.keys(api).sort()).toEqual(['BundleSource', 'appRouter', 'createCaller', 'schemas', 'serviceRulesOnNode', 'silentLog']);
  expect(Object.keys(api.appRouter._def.procedures).sort()).toEqual(['clusterMap', 'node', 'pod', 'search', 'service', 'summary', 'trace', 'updates']);
});
