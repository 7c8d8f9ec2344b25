import { expect, it } from 'vitest';
import * as topology from './index.js';

// The package's runtime surface (STYLE.md 3): widening it shows up here in review.
it('exports exactly these names', () => {
  expect(Object.keys(topology).sort()).toEqual(['NODE_H', 'NODE_W', 'UnknownNodeError', 'buildClusterMap', 'buildNodeWiring', 'nodeLinks', 'underlaySubnets']);
});
