// Issue 19: the lab runs real kube-proxy; the imitation in packages/lab/src/kubeProxy stays only for the synthetic
// bundles. This keeps it honest: in a flannel-vxlan lab, for both proxy modes, each node's rules as real kube-proxy
// 1.36 programmed them are compared with what the imitation writes for the same objects (read back from the lab's
// API server, the `kubernetes` service included), both printed by the same tool from the same node namespace.
// The only differences forgiven are TOLERATED_DIFFERENCES, each with its reason; any other fails with a diff.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TOLERATED_DIFFERENCES,
  assertLabCapable,
  compareIptables,
  compareNft,
  isRunning,
  k8sBinDir,
  loadScenario,
  parseScenario,
  readState,
  renderIptablesRules,
  renderNftRules,
  startLab,
  type FidelityReport,
  type Lab,
  type LabProcess,
} from '@patchbay/lab';
import { parseClusterList } from '@patchbay/schema';
import { leftovers } from './flows.js';

const prefixes = new Set<string>();
// Set to a directory to keep what a run saw (cluster.json and each node's real dump), e.g. to refresh the
// unit test's fixtures in packages/lab/src/kubeProxy/testdata/fidelity.
const capture = process.env.PATCHBAY_FIDELITY_CAPTURE;

beforeAll(async () => {
  assertLabCapable();
  // Never skipped: without the components the suite fails, saying how to build them.
  await k8sBinDir();
});
afterAll(() => expect(leftovers(prefixes), 'lab namespaces left behind').toEqual([]));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs a command inside one of the lab's namespaces, input on stdin; throws with its stderr when it fails. */
function inNetns(lab: Lab, netns: string, cmd: string, args: string[], input?: string): string {
  if (!netns.startsWith(`${lab.prefix}-`)) throw new Error(`${netns} is not a namespace of lab ${lab.prefix}`);
  return execFileSync('ip', ['netns', 'exec', netns, cmd, ...args], { input, encoding: 'utf8', timeout: 30_000, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Stops the lab's kube-proxies by their recorded pid and start time, so nothing rewrites a node's rules. */
async function stopKubeProxies(lab: Lab): Promise<LabProcess[]> {
  const procs = readState(lab.prefix).processes.filter((p) => p.name.startsWith('kube-proxy-'));
  for (const p of procs) if (isRunning(p)) process.kill(p.pid, 'SIGTERM');
  const until = Date.now() + 10_000;
  while (procs.some(isRunning) && Date.now() < until) await sleep(50);
  for (const p of procs) if (isRunning(p)) process.kill(p.pid, 'SIGKILL');
  while (procs.some(isRunning) && Date.now() < until + 5_000) await sleep(50);
  return procs;
}

for (const mode of ['iptables', 'nftables'] as const) {
  describe(`kube-proxy ${mode} mode, scenario flannel-vxlan`, () => {
    it("the imitation writes each node's rules as real kube-proxy 1.36 does, but for the named tolerances", async () => {
      const t0 = performance.now();
      const lab = await startLab(parseScenario({ ...loadScenario('flannel-vxlan'), kubeProxy: mode }));
      prefixes.add(lab.prefix);
      const up = performance.now();
      try {
        const nodes = lab.plan.nodes;
        expect([...lab.kubeProxySyncs.keys()].sort(), 'every node has a synced kube-proxy').toEqual(nodes.map((n) => n.name).sort());
        const list = await lab.clusterList();
        const { cluster, problems } = parseClusterList('the lab API server', list);
        expect(problems).toEqual([]);
        expect(cluster.services.map((s) => `${s.metadata.namespace}/${s.metadata.name}`)).toContain('default/kubernetes');

        const dump = (netns: string, side: 'real' | 'imitation') =>
          mode === 'iptables'
            ? inNetns(lab, netns, 'iptables-save', [])
            : // The imitation's side lists its own table: the node's other tables are still there.
              inNetns(lab, netns, 'nft', side === 'real' ? ['list', 'ruleset'] : ['list', 'table', 'ip', 'kube-proxy']);
        const real = new Map(nodes.map((n) => [n.name, dump(n.netns, 'real')]));
        if (capture) {
          mkdirSync(capture, { recursive: true });
          writeFileSync(path.join(capture, `cluster.${mode}.json`), `${JSON.stringify(list, null, 1)}\n`);
          for (const [name, text] of real) writeFileSync(path.join(capture, `real.${name}.${mode === 'iptables' ? 'iptables-save' : 'nft-list'}`), text);
        }

        // From here on the nodes hold what the imitation writes, loaded where kube-proxy's rules were: the
        // namespace has kube-proxy's nfacct objects, without which iptables-restore refuses `-m nfacct`.
        const stopped = await stopKubeProxies(lab);
        expect(stopped.filter(isRunning), 'kube-proxies still running').toEqual([]);
        expect(stopped).toHaveLength(nodes.length);

        const reports = new Map<string, FidelityReport>();
        for (const n of nodes) {
          const realText = real.get(n.name)!;
          const opts = {
            nodeName: n.name,
            nodeIPs: [n.internalIP],
            clusterCIDR: lab.scenario.clusterCIDR,
            serviceCIDR: lab.scenario.serviceCIDR,
            // kube-proxy feeds its nfacct counters only when it could create them, which is the kernel's say;
            // its own dump tells.
            nfacct: realText.includes('--nfacct-name'),
          };
          if (mode === 'iptables') {
            inNetns(lab, n.netns, 'iptables-restore', [], renderIptablesRules(cluster, opts));
            reports.set(n.name, compareIptables(realText, dump(n.netns, 'imitation')));
          } else {
            inNetns(lab, n.netns, 'nft', ['-f', '-'], renderNftRules(cluster, opts));
            reports.set(n.name, compareNft(realText, dump(n.netns, 'imitation')));
          }
        }

        const differing = [...reports].filter(([, r]) => !r.same).map(([node, r]) => `node ${node} ('-' real kube-proxy, '+' imitation):\n${r.diff}`);
        expect(differing.join('\n\n'), 'differences outside TOLERATED_DIFFERENCES').toBe('');
        for (const r of reports.values()) expect(r.lines).toBeGreaterThan(60);

        // A tolerance nothing needs any more is a stale excuse: the list must shrink with it.
        const used = new Set([...reports.values()].flatMap((r) => [...r.used.keys()]));
        const unused = TOLERATED_DIFFERENCES.filter((t) => t.mode === mode && !used.has(t.id)).map((t) => t.id);
        expect(unused, 'tolerances no node needed (remove them)').toEqual([]);
        const other = [...used].filter((id) => TOLERATED_DIFFERENCES.find((t) => t.id === id)?.mode !== mode);
        expect(other, `tolerances of the other mode used in ${mode} mode`).toEqual([]);

        console.info(
          `fidelity ${mode}: lab up ${((up - t0) / 1000).toFixed(1)} s, compared ${((performance.now() - up) / 1000).toFixed(1)} s; ` +
            [...reports].map(([node, r]) => `${node} ${r.lines} lines (${[...r.used].map(([id, k]) => `${id} ${k}`).join(', ')})`).join('; '),
        );
      } finally {
        await lab.teardown();
      }
    });
  });
}
