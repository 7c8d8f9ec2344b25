// Jump loops and self-jumps, the shapes the kernel refuses to load but an untrusted bundle can carry: planted in
// iptables-save text (new chains reached from a base chain, or a back edge inside kube-proxy's own chains) and
// in `nft -j` JSON (a new table whose base chain jumps into a cycle).
import type { Rng } from './prng.js';

const BASE: Record<string, string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'FORWARD', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
};

interface Block {
  start: number; // index of the `*table` line
  end: number; // index of its COMMIT line
}

function tableBlock(lines: string[], table: string): Block | null {
  const start = lines.indexOf(`*${table}`);
  if (start < 0) return null;
  const end = lines.indexOf('COMMIT', start);
  return end < 0 ? null : { start, end };
}

/** Plants a loop in one table of an iptables-save dump; returns the new text and what was planted. */
export function plantIptablesLoop(rng: Rng, save: string): { text: string; what: string } {
  const lines = save.split('\n');
  const counters = /^\[\d+:\d+\] -A /m.test(save) ? '[0:0] ' : '';
  const table = rng.pick(Object.keys(BASE));
  let block = tableBlock(lines, table);
  if (!block) {
    // No such table in the dump: add one with its built-in chains.
    lines.push(`*${table}`, ...BASE[table]!.map((c) => `:${c} ACCEPT [0:0]`), 'COMMIT');
    block = tableBlock(lines, table)!;
  }
  const verb = rng.chance(0.2) ? '-g' : '-j';
  const shape = rng.weighted({ self: 3, pair: 3, ring: 2, backEdge: 3 });
  const existing = lines.slice(block.start + 1, block.end).filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0]!);
  const userChains = existing.filter((c) => !BASE[table]!.includes(c) && c !== 'PREROUTING' && c !== 'INPUT' && c !== 'OUTPUT' && c !== 'POSTROUTING' && c !== 'FORWARD');

  if (shape === 'backEdge' && userChains.length > 0) {
    // A chain kube-proxy (or the CNI) already jumps to now jumps back to the chain that led there (or to itself).
    const from = rng.pick(userChains);
    const to = rng.chance(0.5) ? from : rng.pick([...userChains, ...BASE[table]!]);
    const rules = [`${counters}-A ${from} ${verb} ${to}`];
    const what = `iptables ${table}: ${from} ${verb} ${to} (first rule)`;
    // First in its chain, so it is reached before the chain's own verdicts.
    const at = lines.findIndex((l, i) => i > block.start && i < block.end && (l.startsWith(`-A ${from} `) || l.startsWith(`${counters}-A ${from} `)));
    lines.splice(at >= 0 ? at : block.end, 0, ...rules);
    return { text: lines.join('\n'), what };
  }
  const n = shape === 'self' ? 1 : shape === 'pair' ? 2 : rng.int(3, 40);
  const names = Array.from({ length: n }, (_, i) => `PBFUZZ-${i}`);
  const decls = names.map((c) => `:${c} - [0:0]`);
  const rules = names.map((c, i) => `${counters}-A ${c} ${verb} ${names[(i + 1) % n]}`);
  const base = rng.pick(BASE[table]!);
  const entry = `${counters}-A ${base} -j ${names[0]}`;
  const what = `iptables ${table}: ${base} -> ${shape} of ${n} chain(s) via ${verb}`;
  // Chain declarations after the table line, the entry first in its base chain, the loop's rules at the end.
  lines.splice(block.end, 0, ...rules);
  const firstRule = lines.findIndex((l, i) => i > block.start && i < block.end && l.includes('-A '));
  lines.splice(firstRule >= 0 ? firstRule : block.end, 0, entry);
  lines.splice(block.start + 1, 0, ...decls);
  return { text: lines.join('\n'), what };
}

/** A new nft table whose base chains jump (or goto) into a cycle, appended to the ruleset (or the whole ruleset). */
export function plantNftLoop(rng: Rng, nft: unknown): { value: unknown; what: string } {
  const family = 'ip';
  const table = 'pbfuzz';
  const n = rng.pick([1, 1, 2, 2, rng.int(3, 30)]);
  const verb = rng.chance(0.2) ? 'goto' : 'jump';
  const hooks = rng.pick([
    { hook: 'prerouting', type: 'nat', prio: -100 },
    { hook: 'output', type: 'nat', prio: -100 },
    { hook: 'forward', type: 'filter', prio: 0 },
    { hook: 'input', type: 'filter', prio: 0 },
    { hook: 'postrouting', type: 'nat', prio: 100 },
  ]);
  const names = Array.from({ length: n }, (_, i) => `loop-${i}`);
  const items: unknown[] = [
    { table: { family, name: table, handle: 900 } },
    { chain: { family, table, name: 'base', handle: 901, type: hooks.type, hook: hooks.hook, prio: hooks.prio, policy: 'accept' } },
    ...names.map((name, i) => ({ chain: { family, table, name, handle: 902 + i } })),
    { rule: { family, table, chain: 'base', handle: 950, expr: [{ [verb]: { target: names[0] } }] } },
    ...names.map((name, i) => ({ rule: { family, table, chain: name, handle: 960 + i, expr: [{ [verb]: { target: names[(i + 1) % n] } }] } })),
  ];
  // A verdict map that jumps back into the loop, as kube-proxy's service-ips map jumps to service chains.
  if (rng.chance(0.3)) {
    items.push({ map: { family, table, name: 'loop-map', handle: 990, type: 'ipv4_addr', map: 'verdict', elem: [[{ prefix: { addr: '0.0.0.0', len: 0 } }, { [verb]: { target: names[0] } }]] } });
    items.push({ rule: { family, table, chain: names[n - 1]!, handle: 991, expr: [{ vmap: { key: { payload: { protocol: 'ip', field: 'daddr' } }, data: '@loop-map' } }] } });
  }
  const existing = nft !== null && typeof nft === 'object' && Array.isArray((nft as { nftables?: unknown }).nftables) ? (nft as { nftables: unknown[] }).nftables : [{ metainfo: { json_schema_version: 1 } }];
  return { value: { nftables: [...existing, ...items] }, what: `nft ${hooks.hook}: ${n} chain(s) in a ${verb} cycle` };
}
