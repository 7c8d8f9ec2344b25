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
