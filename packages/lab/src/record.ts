import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readBundle, writeBundle } from '@patchbay/bundle';
import { NodeSnapshot, formatProblem, zodProblems } from '@patchbay/schema';
import { cniDirs } from './cniFiles.js';
import { run } from './exec.js';
import type { Lab } from './lab.js';

// Records a lab as a bundle: cluster.json from the lab's real API server (kubectl get ... -o json), nodes/*.json from the real agent run inside each node
// namespace. The result must pass readBundle (strict), or recording fails.

export const DEFAULT_AGENT_BIN = fileURLToPath(new URL('../../../apps/agent/bin/patchbay-agent.mjs', import.meta.url));

export async function recordBundle(lab: Lab, dir: string, opts: { agentBin?: string } = {}): Promise<void> {
  const agent = opts.agentBin ?? DEFAULT_AGENT_BIN;
  if (!existsSync(agent)) throw new Error(`patchbay-agent not found at ${agent}; build it with \`npm run build -w @patchbay/agent\``);
  const snapshots: NodeSnapshot[] = [];
  for (const node of lab.plan.nodes) {
    const { confDir, resultsDir } = cniDirs(lab.prefix, node.name);
    const args = ['snapshot', '--node-name', node.name, '--cni-conf-dir', confDir, '--cni-results-dir', resultsDir];
    const r = await run('ip', ['netns', 'exec', node.netns, process.execPath, agent, ...args], { timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`patchbay-agent snapshot in ${node.netns} failed (${r.code}): ${r.stderr.trim().slice(0, 2000)}`);
    let json: unknown;
    try {
      json = JSON.parse(r.stdout);
    } catch (err) {
      throw new Error(`patchbay-agent in ${node.netns} printed invalid JSON: ${(err as Error).message}`, { cause: err });
    }
    const snap = NodeSnapshot.safeParse(json);
    if (!snap.success) {
      const problems = zodProblems(`nodes/${node.name}.json`, snap.error).slice(0, 20);
      throw new Error(`patchbay-agent's snapshot of ${node.name} is not a valid NodeSnapshot:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    }
    snapshots.push(snap.data);
  }
  await writeBundle(dir, {
    clusterList: await lab.clusterList(),
    snapshots,
    meta: { schemaVersion: 1, capturedAt: new Date().toISOString(), source: `lab ${lab.scenario.name}${lab.plan.faults.length ? ` (faults: ${lab.plan.faults.join(', ')})` : ''}` },
  });
  await readBundle(dir);
}
