// Consistency check in the spirit of kube-proxy's test helper: every -j/-g to a chain names a chain of the
// same table. A dangling jump means the dump is incomplete or was edited; the tracer would otherwise fall
// through silently.

import type { DanglingJump, IptablesRuleset } from './types.js';

/** Checks a ruleset (also one built or edited by hand); the parser notes these while it reads. */
export function checkJumps(ruleset: Pick<IptablesRuleset, 'tables'>): DanglingJump[] {
  const out: DanglingJump[] = [];
  for (const table of Object.values(ruleset.tables)) {
    for (const chain of Object.values(table.chains)) {
      for (const rule of chain.rules) {
        const t = rule.target;
        if (t !== null && (t.kind === 'jump' || t.kind === 'goto') && table.chains[t.chain] === undefined) {
          out.push({ line: rule.line, table: table.name, chain: chain.name, target: t.chain });
        }
      }
    }
  }
  return out.sort((a, b) => a.line - b.line);
}
