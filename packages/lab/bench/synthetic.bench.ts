// Synthetic cluster generation: how long it takes, how big kube-proxy's rules and the bundle get.
// `npm run bench -- synthetic` (or `npx tsx packages/lab/bench/synthetic.bench.ts [nodes pods services]`).
// Prints figures only; nothing is asserted.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateCluster, generateSnapshots, writeSyntheticBundle } from '../src/synthetic/index.js';

const [nodes = 1000, podsPerNode = 30, services = 10_000] = process.argv.slice(2).map(Number);

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? await dirBytes(p) : (await stat(p)).size;
  }
  return total;
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
const ms = (t: number) => `${(performance.now() - t).toFixed(0)} ms`;

let t = performance.now();
const { clusterList, cluster } = generateCluster({ nodes, podsPerNode, services });
console.log(`generateCluster ${nodes} nodes x ${podsPerNode} pods, ${services} services: ${ms(t)}`);
const endpoints = cluster.endpointSlices.reduce((n, s) => n + (s.endpoints?.length ?? 0), 0);
console.log(`  objects: ${clusterList.items.length}, pods ${cluster.pods.length}, services ${cluster.services.length}, endpoints ${endpoints}`);

t = performance.now();
const snapshots = generateSnapshots(cluster);
console.log(`generateSnapshots: ${ms(t)}`);
const texts = new Set(snapshots.map((s) => s.iptables[0]?.save as string));
const sizes = [...texts].map((s) => Buffer.byteLength(s));
console.log(`  iptables-save text: ${mb(Math.max(...sizes))} per node, ${texts.size} distinct texts across ${snapshots.length} nodes`);
console.log(`  heap used after generation: ${mb(process.memoryUsage().heapUsed)}, rss ${mb(process.memoryUsage().rss)}`);

const dir = await mkdtemp(path.join(tmpdir(), 'pb-synth-bench-'));
try {
  t = performance.now();
  const stats = await writeSyntheticBundle(dir, { nodes, podsPerNode, services });
  console.log(`writeSyntheticBundle (generate + write): ${ms(t)}`);
  const total = await dirBytes(dir);
  const nodesBytes = await dirBytes(path.join(dir, 'nodes'));
  const clusterBytes = (await stat(path.join(dir, 'cluster.json'))).size;
  console.log(`  bundle: ${mb(total)} total = cluster.json ${mb(clusterBytes)} + nodes/ ${mb(nodesBytes)} + blobs/ ${mb(stats.blobBytes)} (${stats.distinctIptablesTexts} blobs)`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
