// Consistency check in the spirit of kube-proxy's test helper: every -j/-g to a chain names a chain of the
// same table. A dangling jump means the dump is incomplete or was edited; the tracer would otherwise fall
// through silently.

import type { DanglingJump, IptablesChain, IptablesRuleset } from './types.js';

/** Checks a ruleset (also one built or edited by hand). */
export function checkJumps(ruleset: Pick<IptablesRuleset, 'tables'>): DanglingJump[] {
  const chains: IptablesChain[] = [];
  const maps = new Map<string, Map<string, IptablesChain>>();
  for (const tname of Object.keys(ruleset.tables)) {
    const m = new Map<string, IptablesChain>();
    for (const c of Object.values(ruleset.tables[tname]!.chains)) {
      m.set(c.name, c);
      chains.push(c);
    }
    maps.set(tname, m);
  }
  return danglingJumps(chains, maps);
}

/** Internal form used by the parser, which already has the chains in maps. */
export function danglingJumps(chains: readonly IptablesChain[], maps: ReadonlyMap<string, ReadonlyMap<string, IptablesChain>>): DanglingJump[] {
  const out: DanglingJump[] = [];
  for (const chain of chains) {
    const known = maps.get(chain.table);
    for (const rule of chain.rules) {
      const t = rule.target;
      if (t !== null && (t.kind === 'jump' || t.kind === 'goto') && !known?.has(t.chain)) {
        out.push({ line: rule.line, table: chain.table, chain: chain.name, target: t.chain });
      }
    }
  }
  return out.sort((a, b) => a.line - b.line);
}
