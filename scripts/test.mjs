#!/usr/bin/env node
// `npm test`: the pinned Kubernetes components, build, typecheck, lint, every vitest suite (unit + lab), the
// Playwright e2e suite, and checks that no lab namespace or lab process leaked. Runs every step even after a
// failure, then prints one closing line "N passed, N failed" and exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'test-results');
mkdirSync(out, { recursive: true });
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', TURBO_TELEMETRY_DISABLED: '1', FORCE_COLOR: '0' };

let passed = 0;
let failed = 0;
const failures = [];

function run(name, cmd, args, countsFrom) {
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' });
  const ok = r.status === 0;
  const counts = countsFrom?.();
  if (counts) {
    passed += counts.passed;
    failed += counts.failed;
    if (!ok && counts.failed === 0) {
      failed += 1;
      failures.push(`${name} (exited ${r.status ?? r.signal})`);
    } else if (counts.failed > 0) failures.push(`${name} (${counts.failed} failed)`);
  } else if (ok) passed += 1;
  else {
    failed += 1;
    failures.push(`${name} (exited ${r.status ?? r.signal})`);
  }
  return ok;
}

function vitestCounts(file) {
  return () => {
    if (!existsSync(file)) return null;
    const j = JSON.parse(readFileSync(file, 'utf8'));
    return { passed: j.numPassedTests ?? 0, failed: (j.numFailedTests ?? 0) + (j.numFailedTestSuites ?? 0) };
  };
}

function playwrightCounts(file) {
  return () => {
    if (!existsSync(file)) return null;
    const s = JSON.parse(readFileSync(file, 'utf8')).stats ?? {};
    return { passed: (s.expected ?? 0) + (s.flaky ?? 0), failed: (s.unexpected ?? 0) };
  };
}

const npx = 'npx';
// The upstream Kubernetes components the labs run (issue #19): built from their Go modules once per pin set
// (about 10-30 minutes cold on 2 cores), afterwards only checked (under a second). See scripts/k8s/README.md.
run('Kubernetes components (scripts/k8s/build.sh)', 'bash', ['scripts/k8s/build.sh']);
const built = run('build', npx, ['turbo', 'run', 'build', '--output-logs=errors-only']);
run('typecheck', npx, ['turbo', 'run', 'typecheck', '--output-logs=errors-only']);
run('typecheck (tests/, outside any workspace)', npx, ['tsc', '-p', 'tests/tsconfig.json']);
run('lint', npx, ['eslint', '--max-warnings', '0', '.']);

const vitestJson = path.join(out, 'vitest.json');
// A report left by an earlier run must never be counted for this one.
rmSync(vitestJson, { force: true });
run('vitest (unit + lab)', npx, ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`], vitestCounts(vitestJson));

if (existsSync(path.join(root, 'e2e', 'playwright.config.ts'))) {
  if (!built) {
    failed += 1;
    failures.push('e2e (not run: the build failed)');
  } else {
    const pwJson = path.join(out, 'playwright.json');
    rmSync(pwJson, { force: true });
    env.PLAYWRIGHT_JSON_OUTPUT_NAME = pwJson;
    run('e2e (Playwright, Debian chromium)', npx, ['playwright', 'test', '-c', 'e2e/playwright.config.ts', '--reporter=list,json'], playwrightCounts(pwJson));
  }
}

// Labs must leave nothing behind (DESIGN.md "Labs"). No answer is no proof: a failed listing fails the check.
const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
const leaked = (ns.stdout ?? '').split('\n').map((l) => l.split(' ')[0]).filter((n) => n && n.startsWith('pb'));
const leakProblem = ns.status !== 0 ? `cannot list namespaces: ${ns.error?.message ?? (ns.stderr.trim() || `exit ${ns.status}`)}` : leaked.length ? `LEAKED ${leaked.join(' ')}` : null;
console.log(`\n=== lab leak check: ${leakProblem ?? 'no namespace left behind'}`);
if (leakProblem === null) passed += 1;
else {
  failed += 1;
  failures.push(`lab leak check (${leakProblem})`);
}

// Lab processes must not outlive their labs either (issue #19): any live process whose executable is one of the
// Kubernetes components built by scripts/k8s/build.sh fails the run. Found by executable path (/proc/PID/exe),
// which a process cannot rename; nothing is killed here. No answer is no proof, as above.
function processLeaks() {
  const dirRun = spawnSync('bash', [path.join(root, 'scripts/k8s/build.sh'), '--print-dir'], { encoding: 'utf8' });
  const dir = (dirRun.stdout ?? '').trim();
  if (dirRun.status !== 0 || !path.isAbsolute(dir)) return `cannot tell where the Kubernetes components are: scripts/k8s/build.sh --print-dir exited ${dirRun.status ?? dirRun.signal}`;
  let pids;
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch (e) {
    return `cannot list /proc: ${e.message}`;
  }
  const leaked = [];
  for (const pid of pids) {
    let exe;
    try {
      exe = readlinkSync(`/proc/${pid}/exe`);
    } catch {
      continue; // gone, a zombie, or a kernel thread: nothing runs from the cache
    }
    // A binary replaced by a rebuild reads "<path> (deleted)"; it still counts.
    if (exe.startsWith(`${dir}/`)) leaked.push(`${path.basename(exe.replace(/ \(deleted\)$/, ''))} pid ${pid}`);
  }
  return leaked.length ? `LEAKED ${leaked.join(', ')}` : null;
}
const procProblem = processLeaks();
console.log(`\n=== lab process leak check: ${procProblem ?? 'no Kubernetes component left running'}`);
if (procProblem === null) passed += 1;
else {
  failed += 1;
  failures.push(`lab process leak check (${procProblem})`);
}

if (failures.length) console.log(`\nFailed: ${failures.join('; ')}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
