// The package's public names, snapshotted to a file so a wider (or narrower) surface shows up in review.
// UPDATE_GOLDEN=1 rewrites testdata/exports.txt.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import * as parse from './index.js';

it('exports exactly the names in testdata/exports.txt', () => {
  const file = fileURLToPath(new URL('../testdata/exports.txt', import.meta.url));
  const names = `${Object.keys(parse).sort().join('\n')}\n`;
  if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(file)) writeFileSync(file, names);
  expect(names).toBe(readFileSync(file, 'utf8'));
});
