// Parses a generated kube-proxy-style iptables-save dump (10,000 services x 3 endpoints, ~150k rules,
// ~16 MB, with -c counters) five times and prints the median parse time and the heap the result holds.
// Run: npx tsx packages/parse/bench/iptables.bench.ts
import { parseIptablesSave } from '../src/index.js';
import { generateKubeProxyDump } from './kubeProxyDump.js';

function main(): void {
  const text = generateKubeProxyDump(10_000, 3);
  const ruleLines = text.split('\n').filter((l) => l.includes('-A ')).length;
  const times: number[] = [];
  let kept: unknown = null;
  for (let run = 0; run < 5; run++) {
    kept = null;
    globalThis.gc?.();
    const t0 = performance.now();
    kept = parseIptablesSave(text, { strict: true });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  globalThis.gc?.();
  const heapWith = process.memoryUsage().heapUsed;
  kept = null;
  globalThis.gc?.();
  const heapWithout = process.memoryUsage().heapUsed;
  void kept;
  console.log(`iptables-save parse: ${ruleLines} rules, ${(Buffer.byteLength(text) / 1e6).toFixed(1)} MB`);
  console.log(`  median of 5: ${times[2]!.toFixed(1)} ms (min ${times[0]!.toFixed(1)}, max ${times[4]!.toFixed(1)})`);
  console.log(`  heap used after parse: ${(heapWith / 1e6).toFixed(0)} MB${globalThis.gc ? `; held by the result: ${((heapWith - heapWithout) / 1e6).toFixed(0)} MB` : ' (run with --expose-gc for the share held by the result)'}`);
}

main();
