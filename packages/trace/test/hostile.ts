// Hostile rulesets for the tracer's limits (issue #25): things no kernel accepts or no real cluster writes, but
// that a bundle, being untrusted input, may carry. Shared by the unit tests and the limits bench.

/**
 * An iptables-save text with extra chains declared in its filter table and extra rules placed before the
 * table's own rules (so `-A FORWARD -j X` runs first, as `iptables -I FORWARD 1` would put it).
 */
export function iptablesWith(save: string, chains: string[], rules: string[]): string {
  const lines = save.split('\n');
  const start = lines.indexOf('*filter');
  if (start < 0) throw new Error('the dump has no filter table');
  let at = start + 1;
  while (lines[at]?.startsWith(':')) at += 1;
  lines.splice(at, 0, ...chains.map((c) => `:${c} - [0:0]`), ...rules);
  return lines.join('\n');
}

/** A whole iptables-save text: one filter table with FORWARD (policy ACCEPT), the given chains and rules. */
export function filterTable(chains: string[], rules: string[]): string {
  return ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ...chains.map((c) => `:${c} - [0:0]`), ...rules, 'COMMIT', ''].join('\n');
}

const T = { family: 'ip', table: 'loop' };

/**
 * `nft -j list ruleset` of one table whose forward base chain enters `chains[0]`, each chain then entering the
 * next (by `verb`), and the last one entering `loopTo` when given (a loop) or accepting.
 */
export function nftChainRuleset(chains: string[], opts: { verb?: 'jump' | 'goto'; loopTo?: string } = {}): { nftables: unknown[] } {
  const verb = opts.verb ?? 'jump';
  const items: unknown[] = [
    { metainfo: { json_schema_version: 1 } },
    { table: { family: 'ip', name: 'loop', handle: 1 } },
    { chain: { ...T, name: 'forward', handle: 2, type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } },
    ...chains.map((name, i) => ({ chain: { ...T, name, handle: 10 + i } })),
    { rule: { ...T, chain: 'forward', handle: 3, expr: [{ counter: { packets: 0, bytes: 0 } }, { [verb]: { target: chains[0] } }] } },
  ];
  chains.forEach((name, i) => {
    const next = chains[i + 1] ?? opts.loopTo;
    items.push({ rule: { ...T, chain: name, handle: 1000 + i, expr: next ? [{ [verb]: { target: next } }] : [{ accept: null }] } });
  });
  return { nftables: items };
}

/** The nft jump loop of the issue: forward -> a -> b -> a. */
export function nftForwardLoop(): { nftables: unknown[] } {
  return nftChainRuleset(['a', 'b'], { loopTo: 'a' });
}

/** An interface name a terminal would act on: ESC[31m (red), an 8-bit CSI (U+009B), DEL, a right-to-left override. */
export const HOSTILE_IFNAME = 'veth\u001b[31m0\u009b\u007f\u202e';

/** A kit `tweak` that renames n1's bridge port `veth00` (client-0's) to HOSTILE_IFNAME, in its link and FDB entry. */
export function hostileInterface(node: string, snap: { host: { links: unknown[] }; bridge: { fdb: unknown[] } }): void {
  if (node !== 'n1') return;
  for (const l of snap.host.links as { ifname: string }[]) if (l.ifname === 'veth00') l.ifname = HOSTILE_IFNAME;
  for (const f of snap.bridge.fdb as { ifname: string }[]) if (f.ifname === 'veth00') f.ifname = HOSTILE_IFNAME;
}

/**
 * `nft -j list ruleset` text whose one rule nests `depth` binary operations: text, because JSON.stringify itself
 * overflows the stack on such a value.
 */
export function deepNftText(depth: number): string {
  const expr = `${'{"&":['.repeat(depth)}{"payload":{"protocol":"ip","field":"daddr"}}${',1]}'.repeat(depth)}`;
  return `{"nftables":[{"table":{"family":"ip","name":"t","handle":1}},{"chain":{"family":"ip","table":"t","name":"fwd","handle":2,"type":"filter","hook":"forward","prio":0,"policy":"accept"}},{"rule":{"family":"ip","table":"t","chain":"fwd","handle":3,"expr":[{"match":{"op":"==","left":${expr},"right":1}},{"accept":null}]}}]}`;
}
