#!/usr/bin/env node
// `npm run demo [-- --port N --host ADDR]`: builds what is missing, then serves the demo bundle (recorded from a
// lab with a planted fault, apps/server/demo) and prints the dashboard's URL.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', TURBO_TELEMETRY_DISABLED: '1' };
const built = ['apps/server/dist/cli.js', 'apps/web/.next/BUILD_ID'].every((f) => existsSync(path.join(root, f)));
if (!built) {
  console.error('patchbay is not built yet: building (about a minute)...');
  const b = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: root, env, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const bundle = path.join(root, 'apps/server/demo/bundle');
const args = process.argv.slice(2);
if (!args.includes('--port')) args.push('--port', process.env.PORT ?? '3000');
// The demo is for the person at this machine: loopback, even in a container where `patchbay serve` would
// otherwise listen on every address (the dashboard has no sign-in). `--host` or $HOST choose otherwise.
if (!args.includes('--host') && !process.env.HOST) args.push('--host', '127.0.0.1');
const child = spawn(process.execPath, [path.join(root, 'apps/server/bin/patchbay.mjs'), 'serve', '--bundle', bundle, ...args], { cwd: root, env, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
