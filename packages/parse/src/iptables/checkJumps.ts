// Consistency check in the spirit of kube-proxy's test helper: every -j/-g to a chain names a chain of the
// same table. A dangling jump means the dump is incomplete or was edited; the tracer would otherwise fall
// through silently.

import type { DanglingJump, IptablesRuleset } from './types.js';

export function checkJumps(ruleset: Pick<IptablesRuleset, 'tables'>): DanglingJump[] {
  const out: DanglingJump[] = [];
  for (const tname in ruleset.tables) {
    const table = ruleset.tables[tname]!;
    for (const cname in table.chains) {
      for (const rule of table.chains[cname]!.rules) {
        const t = rule.target;
        if (t && (t.kind === 'jump' || t.kind === 'goto') && !(t.chain in table.chains)) {
          out.push({ line: rule.line, table: tname, chain: cname, target: t.chain });
        }
      }
    }
  }
  return out;
}
