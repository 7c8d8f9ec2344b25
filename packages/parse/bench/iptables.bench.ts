// Parses a generated kube-proxy-style iptables-save dump (10,000 services x 3 endpoints, ~150k rules, with -c
// counters) five times each way and prints medians: the default parse (it indexes the dump and reads a chain's
// rules when they are first read), reading every chain's rules after it, and a strict parse (every rule read
// in the parse itself); then CPU time, load average and the heap a result holds, unread and read.
// Run: npx tsx packages/parse/bench/iptables.bench.ts   (add --expose-gc via NODE_OPTIONS for the heap shares)
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

/** The heap a result holds: used heap with it, less used heap once it is dropped. */
async function heldBy(results: IptablesRuleset[]): Promise<number> {
  gc?.();
  const withIt = process.memoryUsage().heapUsed;
  results.length = 0;
  // Let the current turn end first: within it V8 may still hold the last result from the stack.
  await new Promise((resolve) => setTimeout(resolve, 10));
  gc?.();
  return withIt - process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const text = generateKubeProxyDump(10_000, 3);
  const results: IptablesRuleset[] = [];
  const lazy: number[] = [];
  const readAll: number[] = [];
  const strict: number[] = [];
  const cpu: number[] = [];
  for (let run = 0; run < 5; run++) {
    results.length = 0;
    gc?.();
    const c0 = process.cpuUsage();
    let t0 = performance.now();
    const r = parseIptablesSave(text);
    lazy.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    t0 = performance.now();
    void r.warnings; // reads every chain
    readAll.push(performance.now() - t0);
    results.push(r);
  }
  for (let run = 0; run < 5; run++) {
    results.length = 0;
    gc?.();
    const t0 = performance.now();
    results.push(parseIptablesSave(text, { strict: true }));
    strict.push(performance.now() - t0);
  }
  const rules = countRules(results[0]!);
  const heapRead = await heldBy(results);
  results.push(parseIptablesSave(text));
  const heapUnread = await heldBy(results);
  const load = loadavg()[0]!.toFixed(1);
  const fig = (xs: number[]): string => `median of 5 ${median(xs).toFixed(0).padStart(4)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;
  console.log(`iptables-save parse: ${rules} rules, ${(Buffer.byteLength(text) / 1e6).toFixed(1)} MB`);
  console.log(`  parse (rules read per chain, on first read)  ${fig(lazy)}; cpu ${median(cpu).toFixed(0)} ms`);
  console.log(`  then reading every chain's rules             ${fig(readAll)}`);
  console.log(`  strict parse (every rule read in the parse)  ${fig(strict)}`);
  console.log(`  load average ${load} on this machine`);
  console.log(
    gc
      ? `  the result holds ${(heapUnread / 1e6).toFixed(0)} MB unread, ${(heapRead / 1e6).toFixed(0)} MB with every rule read`
      : '  (NODE_OPTIONS=--expose-gc for the heap a result holds)',
  );
}

await main();
