#!/usr/bin/env node
// The throwaway wrapper module build.sh builds upstream commands in, generated from the upstream releases' own
// go.mod files (read as `go mod edit -json` output), never written by hand.
//
// Why a wrapper: k8s.io/kubernetes and etcd's server require their sibling modules through `replace X => ./dir`
// lines. Replace lines only apply in the main module, so `go install pkg@version` refuses them and a plain
// dependency on the release cannot resolve the siblings. The wrapper is the main module: it requires the release
// and replaces every sibling the release takes from a local directory with the same module at its published
// version (k8s.io/api v0.36.5 for Kubernetes v1.36.5).
//
//   node wrapper-module.mjs gomod <wrapper-path> <sibling-version> (<module> <version> <go.mod.json>)...
//       prints the wrapper's go.mod
//   node wrapper-module.mjs compare <sibling-version> <build-list.txt> (<module> <version> <go.mod.json>)...
//       exits 1 (naming each module) when the wrapper's build list differs from what a release's go.mod pins;
//       build-list.txt is `go list -m -f '{{.Path}} {{.Version}}{{with .Replace}} {{.Path}} {{.Version}}{{end}}' all`
import { readFileSync } from 'node:fs';

const VERSION = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+incompatible)?$/;
const MODULE_PATH = /^[a-z0-9][a-z0-9.-]*(\.[a-z]+)?(\/[A-Za-z0-9._~-]+)*$/;

function fail(msg) {
  process.stderr.write(`wrapper-module: ${msg}\n`);
  process.exit(2);
}

function checked(value, re, what) {
  if (typeof value !== 'string' || !re.test(value)) fail(`${what} is not a valid value`);
  return value;
}

// Triples of (module, version, file with that release's go.mod as JSON).
function releases(args) {
  if (args.length === 0 || args.length % 3 !== 0) fail('expected (<module> <version> <go.mod.json>) triples');
  const out = [];
  for (let i = 0; i < args.length; i += 3) {
    const path = checked(args[i], MODULE_PATH, `argument ${i + 1} (module path)`);
    const version = checked(args[i + 1], VERSION, `argument ${i + 2} (version)`);
    let mod;
    try {
      mod = JSON.parse(readFileSync(args[i + 2], 'utf8'));
    } catch (e) {
      fail(`${args[i + 2]}: not readable as go.mod JSON (${e instanceof Error ? e.name : 'error'})`);
    }
    if (mod?.Module?.Path !== path) fail(`${args[i + 2]}: module path is not ${path}`);
    out.push({ path, version, mod });
  }
  return out;
}

// A replacement whose target is a directory (no version): the sibling modules of a multi-module repository.
const isLocal = (r) => !r.New.Version;

function compareGo(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

// What each release expects for every module it requires: its own pin, or what its replace lines turn that into.
function expectations(rels, siblingVersion) {
  const want = new Map();
  for (const { path, version, mod } of rels) {
    const replaced = new Map((mod.Replace ?? []).map((r) => [r.Old.Path, r]));
    want.set(path, { version, from: `${path} itself` });
    for (const req of mod.Require ?? []) {
      const r = replaced.get(req.Path);
      const v = r ? (isLocal(r) ? siblingVersion : r.New.Version) : req.Version;
      const target = r && !isLocal(r) ? r.New.Path : req.Path;
      const prev = want.get(req.Path);
      if (prev && (prev.version !== v || prev.target !== target)) {
        fail(`${req.Path}: ${prev.from} and ${path}'s go.mod disagree on its version`);
      }
      want.set(req.Path, { version: v, target, from: `${path}'s go.mod` });
    }
  }
  return want;
}

function gomod(args) {
  const [wrapperPath, siblingVersion, ...rest] = args;
  checked(wrapperPath, MODULE_PATH, 'wrapper module path');
  checked(siblingVersion, VERSION, 'sibling version');
  const rels = releases(rest);
  expectations(rels, siblingVersion); // fails early when two releases disagree
  let go = '1.21';
  const godebug = new Map();
  const replaces = new Map();
  const excludes = new Set();
  for (const { path, version, mod } of rels) {
    if (mod.Go && compareGo(mod.Go, go) > 0) go = mod.Go;
    // The release's godebug lines set the runtime defaults its own build has; the main module's lines decide.
    for (const { Key, Value } of mod.GoDebug ?? []) {
      if (godebug.has(Key) && godebug.get(Key) !== Value) fail(`godebug ${Key}: releases disagree`);
      godebug.set(Key, Value);
    }
    const required = new Set((mod.Require ?? []).map((r) => r.Path));
    for (const r of mod.Replace ?? []) {
      // Replacements of modules the release does not require are guards (etcd's ./FORBIDDEN_DEPENDENCY).
      if (!required.has(r.Old.Path)) continue;
      const line = isLocal(r)
        ? `${r.Old.Path} => ${r.Old.Path} ${siblingVersion}`
        : `${r.Old.Path}${r.Old.Version ? ` ${r.Old.Version}` : ''} => ${r.New.Path} ${r.New.Version}`;
      const by = `${path} ${version}${isLocal(r) ? ` (from ${r.New.Path})` : ''}`;
      const prev = replaces.get(r.Old.Path);
      if (prev && prev.line !== line) fail(`${r.Old.Path}: releases replace it differently`);
      replaces.set(r.Old.Path, { line, by: [...(prev?.by ?? []), by] });
    }
    for (const e of mod.Exclude ?? []) excludes.add(`${e.Path} ${e.Version}`);
  }
  const out = [
    `// Generated by scripts/k8s/build.sh from the go.mod of ${rels.map((r) => `${r.path} ${r.version}`).join(', ')}.`,
    '// A throwaway wrapper: removed after the build.',
    `module ${wrapperPath}`,
    '',
    `go ${go}`,
    '',
  ];
  for (const [k, v] of godebug) out.push(`godebug ${k}=${v}`);
  if (godebug.size) out.push('');
  for (const { path, version } of rels) out.push(`require ${path} ${version}`);
  out.push('');
  for (const [, { line, by }] of [...replaces].sort(([a], [b]) => a.localeCompare(b))) {
    out.push(`// replaced as in ${by.join(', ')}`, `replace ${line}`);
  }
  for (const e of [...excludes].sort()) out.push(`exclude ${e}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

function compare(args) {
  const [siblingVersion, listFile, ...rest] = args;
  checked(siblingVersion, VERSION, 'sibling version');
  const want = expectations(releases(rest), siblingVersion);
  const got = new Map();
  for (const line of readFileSync(listFile, 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 2) continue;
    // With a replacement the module's own version is what was asked for; what is built is the replacement.
    got.set(f[0], f.length >= 4 ? { version: f[3], target: f[2] } : { version: f[1], target: f[0] });
  }
  const diffs = [];
  for (const [path, w] of want) {
    const g = got.get(path);
    if (!g) continue; // required by the release but pruned from the wrapper's graph: nothing of it is built
    if (g.version !== w.version || (w.target && g.target !== w.target)) {
      diffs.push(`${path}: the release pins ${w.version}, the wrapper selects ${g.version}`);
    }
  }
  if (diffs.length) {
    process.stderr.write(`wrapper-module: the wrapper's build list differs from the release:\n  ${diffs.join('\n  ')}\n`);
    process.exit(1);
  }
  process.stderr.write(`wrapper-module: ${want.size} pinned modules match the release's go.mod\n`);
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'gomod') gomod(args);
else if (cmd === 'compare') compare(args);
else fail('usage: wrapper-module.mjs gomod|compare ... (see the comment at the top of this file)');
