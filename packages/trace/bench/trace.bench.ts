// Bench: a synthetic 1,000-node, 30,000-pod, 10,000-service bundle (written by @patchbay/lab's generator),
// loaded and resolved, then traced pod -> service and pod -> pod. Prints figures; asserts nothing.
//   npm run bench -- trace          (or: npx tsx packages/trace/bench/trace.bench.ts [nodes podsPerNode services])
// The bundle is written by one child process and measured in another, so that the generator's heap is not in the figures.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadBundle } from '@patchbay/bundle';
import { writeSyntheticBundle } from '@patchbay/lab';
import { resolveBundle } from '@patchbay/resolve';
import { traceFlow } from '@patchbay/trace';
import { fileURLToPath } from 'node:url';

const mode = process.argv[2];
const measureDir = mode === '--bundle' ? process.argv[3] : undefined;
const writeDir = mode === '--write' ? process.argv[3] : undefined;
const sizeArgs = writeDir ? process.argv.slice(4) : measureDir ? [] : process.argv.slice(2);
const [nodes = 1000, podsPerNode = 30, services = 10_000] = sizeArgs.map(Number);
const mb = (b: number) => `${(b / 1048576).toFixed(0)} MB`;
const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 0)} ms`;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function runSelf(args: string[]): void {
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], { stdio: 'inherit' });
  if (child.status !== 0) throw new Error(`${args[0]} failed (${child.status ?? child.signal})`);
}

async function main(): Promise<void> {
  if (measureDir) return measure(measureDir);
  if (writeDir) {
    const t = performance.now();
    const stats = await writeSyntheticBundle(writeDir, { nodes, podsPerNode, services, seed: 1 });
    console.log(`synthetic bundle: ${stats.nodes} nodes, ${stats.pods} pods, ${stats.services} services, ${stats.distinctIptablesTexts} distinct iptables texts (largest ${mb(stats.iptablesBytes)}), written in ${ms(performance.now() - t)}`);
    return;
  }
  // Written and measured in two child processes, so that no generator heap (nor its collector's threads) is
  // alive beside the measuring process on a 2-core machine.
  const dir = mkdtempSync(path.join(tmpdir(), 'pb-trace-bench-'));
  try {
    runSelf(['--write', dir, String(nodes), String(podsPerNode), String(services)]);
    runSelf(['--bundle', dir]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(dir: string): Promise<void> {
  const rss0 = process.memoryUsage().rss;
  let t = performance.now();
  const { bundle, problems } = await loadBundle(dir);
  const tLoad = performance.now() - t;
  if (problems.length) console.log(`bundle problems: ${problems.length} (first: ${problems[0]!.message})`);
  t = performance.now();
  const model = resolveBundle(bundle);
  const tResolve = performance.now() - t;

  const pods = [...model.pods.values()].filter((p) => p.netns && p.ip && !p.hostNetwork);
  const svcs = [...model.services.values()].filter((s) => s.clusterIP && s.ports.length > 0 && s.endpoints.length > 0);
  // First trace per ruleset parses and indexes it (once for all nodes that share it).
  t = performance.now();
  traceFlow(model, { from: `pod/${pods[0]!.key}`, to: `svc/${svcs[0]!.key}:${svcs[0]!.ports[0]!.port}`, proto: svcs[0]!.ports[0]!.protocol.toLowerCase() as 'tcp' });
  for (const p of pods.slice(0, 2000)) traceFlow(model, { from: `pod/${p.key}`, to: `svc/${svcs[0]!.key}:${svcs[0]!.ports[0]!.port}`, proto: svcs[0]!.ports[0]!.protocol.toLowerCase() as 'tcp' });
  const tCompile = performance.now() - t;
  const rss = process.memoryUsage().rss;
  console.log(`load ${ms(tLoad)} + resolve ${ms(tResolve)} = ${ms(tLoad + tResolve)}; netfilter parse+index on first traces ${ms(tCompile)} (${model.rulesets.size} distinct rulesets for ${model.nodes.size} nodes)`);
  console.log(`RSS after load+resolve+parse: ${mb(rss)} (process start: ${mb(rss0)}; peak so far ${mb(process.resourceUsage().maxRSS * 1024)})`);

  // Deterministic choice of queries.
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const bench = (name: string, make: () => { from: string; to: string; proto: 'tcp' | 'udp'; port?: number }) => {
    const times: number[] = [];
    const verdicts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const q = make();
      const t0 = performance.now();
      const tr = traceFlow(model, q);
      times.push(performance.now() - t0);
      verdicts.set(tr.verdict, (verdicts.get(tr.verdict) ?? 0) + 1);
    }
    times.sort((a, b) => a - b);
    console.log(`trace ${name}: median ${ms(quantile(times, 0.5))}, p99 ${ms(quantile(times, 0.99))}, max ${ms(times[times.length - 1]!)} over ${times.length} traces (verdicts: ${[...verdicts].map(([v, n]) => `${v} ${n}`).join(', ')})`);
  };
  bench('pod -> service', () => {
    const p = pods[rnd(pods.length)]!;
    const s = svcs[rnd(svcs.length)]!;
    const sp = s.ports[0]!;
    return { from: `pod/${p.key}`, to: `svc/${s.key}:${sp.port}`, proto: sp.protocol.toLowerCase() as 'tcp' };
  });
  bench('pod -> pod', () => {
    const a = pods[rnd(pods.length)]!;
    const b = pods[rnd(pods.length)]!;
    return { from: `pod/${a.key}`, to: `${b.ip}:8080`, proto: 'tcp' };
  });
  console.log(`peak RSS of the measuring process: ${mb(process.resourceUsage().maxRSS * 1024)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
