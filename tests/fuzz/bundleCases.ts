// One fuzz case over a bundle: mutate a seed, load it (from real files in tmpfs, or in memory through the
// loader's validation), resolve it, and trace a few flows between endpoints taken from the mutated bundle.
// Runs inside the fuzz worker process (worker.ts), which the test kills when a case passes its time bound.
import { execFile } from 'node:child_process';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { BundleError, loadBundle, type Bundle } from '@patchbay/bundle';
import { resolveBundle, type ClusterModel } from '@patchbay/resolve';
import { Trace, type Problem } from '@patchbay/schema';
import { TraceInputError, traceFlow, type TraceQueryInput } from '@patchbay/trace';
import { SECRET_MARKER, describeError, judgeProblems, worst, type CaseResult, type Judged } from './judge.js';
import { loadInMemory } from './memoryLoad.js';
import { mutateBundle } from './mutate.js';
import { Rng } from './prng.js';
import { seeds, type FileSet } from './seeds.js';

const run = promisify(execFile);

export type BundleLayer = 'file' | 'memory';

/** Cases that carry one genuinely large value (tens of MB): a few per layer, at fixed indexes. */
export function isLargeCase(layer: BundleLayer, index: number): boolean {
  return layer === 'file' ? index % 400 === 399 : index % 3000 === 2999;
}

/** A few flows between endpoints of the (mutated) model: pods, services, nodes, addresses, and one outside. */
export function endpointPairs(rng: Rng, model: ClusterModel, n: number): TraceQueryInput[] {
  const pods = [...model.pods.values()].slice(0, 200);
  const services = [...model.services.values()].slice(0, 200);
  const nodes = [...model.nodes.keys()].slice(0, 50);
  const sources = [...pods.map((p) => `pod/${p.namespace}/${p.name}`), ...nodes.map((x) => `node/${x}`)];
  const queries: TraceQueryInput[] = [];
  for (let i = 0; i < n && sources.length > 0; i++) {
    const kind = rng.weighted({ pod: 3, service: 4, ip: 2, node: 1, outside: 1 });
    const port = rng.pick([80, 8080, 53, 443, 30080]);
    let to: string;
    let usePort = true;
    if (kind === 'service' && services.length > 0) {
      const s = rng.pick(services);
      const p = s.ports.length > 0 ? rng.pick(s.ports) : null;
      to = `svc/${s.namespace}/${s.name}:${p ? (rng.chance(0.3) && p.name ? p.name : p.port) : port}`;
      usePort = false;
    } else if (kind === 'ip' && pods.some((p) => p.ip)) {
      to = `${rng.pick(pods.filter((p) => p.ip)).ip}:${port}`;
      usePort = false;
    } else if (kind === 'node' && nodes.length > 0) to = `node/${rng.pick(nodes)}`;
    else if (kind === 'outside') {
      to = `203.0.113.9:${port}`;
      usePort = false;
    } else if (pods.length > 0) {
      const p = rng.pick(pods);
      to = `pod/${p.namespace}/${p.name}`;
    } else to = `node/${rng.pick(nodes.length > 0 ? nodes : ['none'])}`;
    const proto = rng.weighted({ tcp: 6, udp: 2, icmp: 1 });
    queries.push({ from: rng.pick(sources), to, proto, port: proto === 'icmp' || !usePort ? null : port });
  }
  return queries;
}

/** Resolve and trace a loaded bundle; problems must be named, and every trace a Trace or a TraceInputError. */
export function judgeLoaded(rng: Rng, bundle: Bundle, problems: readonly Problem[]): Judged {
  let judged: Judged = problems.length > 0 ? { verdict: 'named', detail: `${problems.length} problem(s), first ${problems[0]!.file}: ${problems[0]!.path}` } : { verdict: 'ok', detail: '' };
  const bad = judgeProblems(problems);
  if (bad) judged = worst(judged, bad);
  let model: ClusterModel;
  try {
    model = resolveBundle(bundle);
  } catch (err) {
    return worst(judged, { verdict: 'crash', detail: `resolveBundle threw ${describeError(err)}` });
  }
  for (const q of endpointPairs(rng, model, 3)) {
    try {
      const t = traceFlow(model, q);
      const parsed = Trace.safeParse(t);
      if (!parsed.success) return worst(judged, { verdict: 'crash', detail: `traceFlow(${q.proto}) returned a Trace that fails its schema at ${parsed.error.issues[0]?.path.join('.')}` });
      // The API and the CLI serialise it: a cycle or a BigInt would fail there.
      JSON.stringify(t);
    } catch (err) {
      if (err instanceof TraceInputError) judged = worst(judged, { verdict: 'named', detail: `TraceInputError` });
      else return worst(judged, { verdict: 'crash', detail: `traceFlow(${q.proto}, ${q.from.split('/')[0]} -> ${q.to.split(/[/:]/)[0]}) threw ${describeError(err)}` });
    }
  }
  return judged;
}

/** Told what a case is before it runs, so a case that never returns can still be described. */
export type OnStart = (seedName: string, what: string[]) => void;

function caseSetup(layer: BundleLayer, seed: number, index: number, outsideFile: string, onStart: OnStart) {
  const rng = Rng.forCase(seed, layer, index);
  const s = rng.pick(seeds());
  const mutated = mutateBundle(rng, s, { nonRegular: layer === 'file', large: isLargeCase(layer, index), outsideFile });
  onStart(s.name, mutated.what);
  return { rng, seedName: s.name, ...mutated };
}

export function runMemoryCase(seed: number, index: number, onStart: OnStart = () => {}): CaseResult {
  const { rng, seedName, files, what } = caseSetup('memory', seed, index, '/nonexistent', onStart);
  // Timed from here: building a genuinely large mutation is the harness's time, not the code under test's.
  const started = performance.now();
  let judged: Judged;
  try {
    const { bundle, problems } = loadInMemory(files);
    judged = judgeLoaded(rng, bundle, problems);
  } catch (err) {
    judged = err instanceof BundleError ? (judgeProblems(err.problems) ?? { verdict: 'named', detail: 'BundleError' }) : { verdict: 'crash', detail: `loading threw ${describeError(err)}` };
  }
  return { layer: 'memory', index, seed: seedName, what, ...judged, ms: Math.round(performance.now() - started) };
}

async function writeFiles(dir: string, files: FileSet): Promise<void> {
  await mkdir(path.join(dir, 'nodes'), { recursive: true });
  await mkdir(path.join(dir, 'blobs'), { recursive: true });
  for (const [rel, e] of files) {
    const p = path.join(dir, rel);
    if (e.type === 'file') await writeFile(p, e.data);
    else if (e.type === 'dir') await mkdir(p, { recursive: true });
    else if (e.type === 'symlink') await symlink(e.target, p);
    else await run('mkfifo', [p]);
  }
}

export async function runFileCase(seed: number, index: number, root: string, outsideFile: string, onStart: OnStart = () => {}): Promise<CaseResult> {
  const { rng, seedName, files, what } = caseSetup('file', seed, index, outsideFile, onStart);
  const dir = path.join(root, `case-${index}`);
  await rm(dir, { recursive: true, force: true });
  await writeFiles(dir, files);
  const started = performance.now();
  let judged: Judged;
  try {
    const { bundle, problems } = await loadBundle(dir);
    judged = judgeLoaded(rng, bundle, problems);
  } catch (err) {
    if (err instanceof BundleError) judged = judgeProblems(err.problems) ?? { verdict: 'named', detail: `BundleError, first ${err.problems[0]?.file}: ${err.problems[0]?.message.slice(0, 60)}` };
    else judged = { verdict: 'crash', detail: `loadBundle threw ${describeError(err)}` };
    if (judged.verdict !== 'crash' && err instanceof Error && err.message.includes(SECRET_MARKER)) judged = { verdict: 'leak', detail: 'the BundleError message carries content of a file outside the bundle' };
  }
  const ms = Math.round(performance.now() - started);
  await rm(dir, { recursive: true, force: true });
  return { layer: 'file', index, seed: seedName, what, ...judged, ms };
}
