// Parses a generated kube-proxy-style iptables-save dump (10,000 services x 3 endpoints, ~150k rules, with -c
// counters) five times and prints the median parse time, CPU time and the heap the result holds.
// Run: npx tsx packages/parse/bench/iptables.bench.ts   (add --expose-gc via NODE_OPTIONS for the heap share)
import { loadavg } from 'node:os';
import { parseIptablesSave, type IptablesRuleset } from '../src/index.js';
import { generateKubeProxyDump } from './kubeProxyDump.js';
import { median } from './median.js';

const gc = (globalThis as { gc?: () => void }).gc;

// Its own function, so no loop variable in main() keeps a table (and so the whole result) alive.
function countRules(r: IptablesRuleset): number {
  let n = 0;
  for (const t of Object.values(r.tables)) for (const c of Object.values(t.chains)) n += c.rules.length;
  return n;
}

async function main(): Promise<void> {
  const text = generateKubeProxyDump(10_000, 3);
  const results: IptablesRuleset[] = [];
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let run = 0; run < 5; run++) {
    results.length = 0;
    gc?.();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    results.push(parseIptablesSave(text, { strict: true }));
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const rules = countRules(results[0]!);
  gc?.();
  const heapWith = process.memoryUsage().heapUsed;
  results.length = 0;
  // Let the current turn end first: within it V8 may still hold the last result from the stack.
  await new Promise((resolve) => setTimeout(resolve, 10));
  gc?.();
  const heapWithout = process.memoryUsage().heapUsed;
  const load = loadavg()[0]!.toFixed(1);
  console.log(`iptables-save parse: ${rules} rules, ${(Buffer.byteLength(text) / 1e6).toFixed(1)} MB (strict)`);
  console.log(`  wall: median of 5 ${median(wall).toFixed(0)} ms (min ${Math.min(...wall).toFixed(0)}, max ${Math.max(...wall).toFixed(0)})`);
  console.log(`  cpu:  median of 5 ${median(cpu).toFixed(0)} ms (includes GC threads); load average ${load} on this machine`);
  console.log(
    gc
      ? `  heap used ${(heapWith / 1e6).toFixed(0)} MB with the result; the result holds ${((heapWith - heapWithout) / 1e6).toFixed(0)} MB`
      : `  heap used ${(heapWith / 1e6).toFixed(0)} MB with the result (NODE_OPTIONS=--expose-gc for the result's share)`,
  );
}

await main();
