#!/usr/bin/env node
// `npm run bench`: builds, then runs every benchmark (`*/bench/*.bench.ts` in packages and apps) one after the
// other, so their figures are not disturbed by each other. Benches print figures; they never assert timings.
// Pass names to run only some: `npm run bench -- trace agent`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const filters = process.argv.slice(2);
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', TURBO_TELEMETRY_DISABLED: '1' };

const build = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: root, env, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const benches = [];
for (const group of ['packages', 'apps', 'e2e']) {
  const groupDir = path.join(root, group);
  const dirs = group === 'e2e' ? [''] : readdirSync(groupDir);
  for (const d of dirs) {
    const benchDir = path.join(groupDir, d, 'bench');
    if (!existsSync(benchDir)) continue;
    for (const f of readdirSync(benchDir).sort()) if (f.endsWith('.bench.ts')) benches.push(path.join(benchDir, f));
  }
}
const chosen = benches.filter((b) => filters.length === 0 || filters.some((f) => b.includes(f)));
let failed = 0;
for (const b of chosen) {
  console.log(`\n### ${path.relative(root, b)}`);
  const r = spawnSync('npx', ['tsx', b], { cwd: root, env, stdio: 'inherit' });
  if (r.status !== 0) failed += 1;
}
console.log(`\n${chosen.length - failed} benches ran, ${failed} failed`);
process.exit(failed ? 1 : 0);
