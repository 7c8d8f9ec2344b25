import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadBundle } from '@patchbay/bundle';
import { writeSyntheticBundle } from '@patchbay/lab';
import { resolveBundle } from '@patchbay/resolve';
import { traceFlow } from '@patchbay/trace';
async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'pb-prof-'));
  await writeSyntheticBundle(dir, { nodes: 3, podsPerNode: 3, services: 10000, seed: 1 });
  const { bundle } = await loadBundle(dir);
  const model = resolveBundle(bundle);
  const pods = [...model.pods.values()].filter((p) => p.netns && p.ip);
  const svcs = [...model.services.values()].filter((s) => s.clusterIP && s.ports.length > 0 && s.endpoints.length > 0);
  const q = (i: number) => ({ from: `pod/${pods[0]!.key}`, to: `svc/${svcs[i]!.key}:${svcs[i]!.ports[0]!.port}`, proto: 'tcp' as const });
  traceFlow(model, q(0));
  for (const p of pods) traceFlow(model, { ...q(0), from: `pod/${p.key}` });
  for (let i = 1; i < 400; i++) {
    const a = performance.now();
    const t = traceFlow(model, q(i));
    const ms = performance.now() - a;
    if (ms > 5) console.log(i, ms.toFixed(2), t.verdict, t.paths.length, svcs[i]!.type, svcs[i]!.object.spec.sessionAffinity, svcs[i]!.endpoints.length, t.paths.map((p) => p.endpoint?.node).join(','));
  }
}
main();
