import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadBundle } from '@patchbay/bundle';
import { writeSyntheticBundle } from '@patchbay/lab';
import { parseIptablesSave } from '@patchbay/parse';
import { resolveBundle } from '@patchbay/resolve';
async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'pb-prof-'));
  await writeSyntheticBundle(dir, { nodes: 3, podsPerNode: 3, services: 10000, seed: 1 });
  const { bundle } = await loadBundle(dir);
  const model = resolveBundle(bundle);
  const rs = [...model.rulesets.values()][0]!;
  const p = parseIptablesSave(rs.iptables!);
  for (const [tn, t] of Object.entries(p.tables)) for (const c of Object.values(t.chains)) if (c.rules.length > 50) {
    const dst = c.rules.filter((r) => r.matches.some((m) => m.kind === 'dst' && !m.negate && m.prefixLen === 32)).length;
    console.log(tn, c.name, c.rules.length, 'dst32', dst, c.rules[0]!.raw.slice(0, 150));
  }
}
main();
