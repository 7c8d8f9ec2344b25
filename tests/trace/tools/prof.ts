import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { loadBundle } from '@patchbay/bundle';
import { writeSyntheticBundle } from '@patchbay/lab';
import { resolveBundle } from '@patchbay/resolve';
import { traceFlow } from '@patchbay/trace';
async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'pb-prof-'));
  await writeSyntheticBundle(dir, { nodes: 20, podsPerNode: 30, services: 10000, seed: 1 });
  const { bundle } = await loadBundle(dir);
  const model = resolveBundle(bundle);
  const pods = [...model.pods.values()].filter((p) => p.netns && p.ip);
  const svcs = [...model.services.values()].filter((s) => s.clusterIP && s.ports.length > 0 && s.endpoints.length > 0);
  for (const p of pods) traceFlow(model, { from: `pod/${p.key}`, to: `svc/${svcs[0]!.key}:${svcs[0]!.ports[0]!.port}`, proto: svcs[0]!.ports[0]!.protocol.toLowerCase() as 'tcp' });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  const times: [number, string][] = [];
  let seed = 1;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
  const t0 = performance.now();
  for (let i = 0; i < 3000; i++) {
    const p = pods[rnd(pods.length)]!;
    const s = svcs[rnd(svcs.length)]!;
    const q = { from: `pod/${p.key}`, to: `svc/${s.key}:${s.ports[0]!.port}`, proto: s.ports[0]!.protocol.toLowerCase() as 'tcp' };
    const a = performance.now();
    traceFlow(model, q);
    times.push([performance.now() - a, `${q.from} ${q.to}`]);
  }
  console.log('total', performance.now() - t0);
  const { profile } = await session.post('Profiler.stop');
  writeFileSync('/tmp/pbdev/trace-only.cpuprofile', JSON.stringify(profile));
  times.sort((a, b) => b[0] - a[0]);
  for (const [t, q] of times.slice(0, 5)) {
    const [from, to] = q.split(' ');
    const a = performance.now();
    const tr = traceFlow(model, { from: from!, to: to!, proto: 'tcp' });
    console.log(t.toFixed(1), 'again', (performance.now() - a).toFixed(2), tr.verdict, tr.paths.length, tr.paths[0]?.hops.length);
  }
  const sorted = times.map((t) => t[0]).sort((a, b) => a - b);
  console.log('median', sorted[1500], 'p99', sorted[2970]);
}
main();
