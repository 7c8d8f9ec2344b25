// What any parser building this rule model pays before it reads a single match, next to what parseIptablesSave
// takes, on the iptables bench's generated dump. Rounds alternate between the readers in one process, because
// this machine's speed drifts by half between minutes (compare nothing across runs).
//   lines     find every line (indexOf), nothing else (the loop the other readers run, with a call per line)
//   words     every word of every rule (quotes honoured) and each rule's chain found by name; builds nothing
//   skeleton  one object per chain and per rule (raw, line, origin, table, chain, index, counters), no matches or
//             targets: the part of the model every design with per-rule objects has
//   parse     parseIptablesSave, strict: every rule read in the parse
//   index     parseIptablesSave as it is called by default: the dump indexed, no chain's rules read yet
// Run: npx tsx packages/parse/bench/floor.bench.ts   (NODE_OPTIONS=--expose-gc collects between rounds)
import { parseIptablesSave } from '../src/index.js';
import { generateKubeProxyDump } from './kubeProxyDump.js';
import { median } from './median.js';

const gc = (globalThis as { gc?: () => void }).gc;

function lines(text: string): number {
  let n = 0;
  for (let pos = 0; pos < text.length; n++) {
    const e = text.indexOf('\n', pos);
    pos = e < 0 ? text.length : e + 1;
  }
  return n;
}

/** Start of the chain name after "-A " on a rule line (past a "[p:b] " prefix), or -1 for other lines. */
function chainNameAt(text: string, start: number): number {
  const c0 = text.charCodeAt(start);
  if (c0 === 91 /* [ */) return text.indexOf(']', start) + 5;
  return c0 === 45 /* - */ ? start + 3 : -1;
}

/** Calls `visit` with each line's bounds (end excludes the newline) and its 1-based number. */
function eachLine(text: string, visit: (start: number, end: number, line: number) => void): void {
  let line = 0;
  for (let pos = 0; pos < text.length; ) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    visit(pos, end, ++line);
    pos = end + 1;
  }
}

function words(text: string): number {
  const chains = new Set<string>();
  let n = 0;
  eachLine(text, (start, end) => {
    if (text.charCodeAt(start) === 58 /* : */) chains.add(text.slice(start + 1, text.indexOf(' ', start)));
    let p = chainNameAt(text, start);
    if (p < 0) return;
    const sp = text.indexOf(' ', p);
    if (chains.has(text.slice(p, sp < 0 || sp > end ? end : sp))) n++;
    while (p < end) {
      let q = text.charCodeAt(p) === 34 /* " */ ? text.indexOf('"', p + 1) + 1 : text.indexOf(' ', p);
      if (q < 0 || q > end) q = end;
      n++;
      p = q + 1;
    }
  });
  return n;
}

interface SkeletonChain {
  name: string;
  table: string;
  origin: string;
  line: number;
  rules: object[];
}

function skeleton(text: string): Record<string, Record<string, SkeletonChain>> {
  const tables: Record<string, Record<string, SkeletonChain>> = Object.create(null) as Record<string, Record<string, SkeletonChain>>;
  const zero: [number, number] = [0, 0];
  let table = '';
  let chains: Record<string, SkeletonChain> = Object.create(null) as Record<string, SkeletonChain>;
  let last: SkeletonChain | null = null;
  eachLine(text, (start, end, line) => {
    const c0 = text.charCodeAt(start);
    if (c0 === 42 /* * */) {
      table = text.slice(start + 1, end);
      tables[table] = chains = Object.create(null) as Record<string, SkeletonChain>;
    } else if (c0 === 58 /* : */) {
      const name = text.slice(start + 1, text.indexOf(' ', start));
      chains[name] = { name, table, origin: `iptables-save v4 / ${table} / ${name}`, line, rules: [] };
    } else {
      const p = chainNameAt(text, start);
      if (p < 0) return;
      let sp = text.indexOf(' ', p);
      if (sp < 0 || sp > end) sp = end;
      if (last === null || last.name.length !== sp - p || !text.startsWith(last.name, p)) last = chains[text.slice(p, sp)]!;
      last.rules.push({ raw: text.slice(start, end), line, origin: last.origin, table, chain: last.name, index: last.rules.length, counters: zero, matches: [], target: null });
    }
  });
  return tables;
}

async function main(): Promise<void> {
  const text = generateKubeProxyDump(10_000, 3);
  const readers: Record<string, () => unknown> = {
    lines: () => lines(text),
    words: () => words(text),
    skeleton: () => skeleton(text),
    parse: () => parseIptablesSave(text, { strict: true }),
    // The default parse: the index above the skeleton, every chain's rules read only when asked for.
    index: () => parseIptablesSave(text),
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(readers).map((k) => [k, []]));
  // Each result is held until the next reader starts, as a caller would hold it (a dropped one costs no promotion).
  const kept: unknown[] = [];
  for (let round = 0; round < 7; round++) {
    for (const [name, read] of Object.entries(readers)) {
      kept.length = 0;
      gc?.();
      const t0 = performance.now();
      kept.push(read());
      times[name]!.push(performance.now() - t0);
    }
  }
  console.log(`floors of an iptables-save parse: ${(Buffer.byteLength(text) / 1e6).toFixed(1)} MB generated dump, 7 alternating rounds${gc ? '' : ' (no --expose-gc: no collection between rounds)'}`);
  for (const [name, ts] of Object.entries(times)) {
    console.log(`  ${name.padEnd(9)} median ${median(ts).toFixed(0).padStart(4)} ms (min ${Math.min(...ts).toFixed(0)}, max ${Math.max(...ts).toFixed(0)})`);
  }
}

await main();
