#!/usr/bin/env bash
# Re-records packages/parse/testdata/kube-proxy from REAL kube-proxy (run as root from the repo root):
#   bash packages/lab/src/kubeProxy/testdata/capture-parse-fixtures.sh
# It starts the flannel-vxlan lab twice through startLab (the lab's own prefix and teardown; never the root
# namespace), once per kube-proxy mode, so the rules are what the pinned kube-proxy (scripts/k8s) programmed.
# Probes from n1 and its pod client-0 give n1 real counters; n2 gets no probes. The rules are dumped while
# kube-proxy still runs, as the agent would see them.
#
# Not re-recorded here: n1.kp-pre1.36.nft-ruleset.json (the pre-1.36 nftables layout that no writer in this
# repository produces any more); see packages/parse/testdata/kube-proxy/README.md.
set -euo pipefail
[ -f packages/lab/package.json ] || { echo "run from the repository root" >&2; exit 2; }
out=$PWD/packages/parse/testdata/kube-proxy
tmp=$(mktemp -d /tmp/pbkp-capture.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# The capture runs the workspace sources (not a possibly stale dist) by mapping the package names to src.
cat > "$tmp/tsconfig.json" <<JSON
{ "extends": "$PWD/tsconfig.json", "compilerOptions": { "paths": { "@patchbay/*": ["$PWD/packages/*/src/index.ts"] } } }
JSON

cat > "$tmp/capture.mts" <<'TS'
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadScenario, parseScenario, withLab, type Lab, type ProbeTarget } from '@patchbay/lab';

const out = process.argv[2]!;
const write = (name: string, text: string) => {
  writeFileSync(path.join(out, name), text);
  console.info(`wrote ${name} (${text.length} bytes)`);
};

async function must(lab: Lab, netns: string, cmd: string, args: string[]): Promise<string> {
  const r = await lab.exec(netns, cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${netns} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

const tcp = (ip: string, port: number): ProbeTarget => ({ ip, port, proto: 'tcp' });
// From the pod (forwarded: nat PREROUTING, filter FORWARD) and from the node itself (nat/filter OUTPUT).
const fromPod: [string, ProbeTarget][] = [
  ['shop/web', tcp('10.96.0.10', 80)],
  ['shop/web', tcp('10.96.0.10', 80)],
  ['shop/web', tcp('10.96.0.10', 80)],
  ['shop/web-sticky (ClientIP affinity)', tcp('10.96.0.11', 80)],
  ['shop/web-sticky', tcp('10.96.0.11', 80)],
  ['shop/web-node-local (iTP=Local)', tcp('10.96.0.12', 80)],
  ['shop/checkout (no endpoints)', tcp('10.96.0.30', 80)],
  ['shop/web-lb LoadBalancer IP (allowed source)', tcp('192.0.2.224', 80)],
  ['default/dns udp', { ip: '10.96.0.53', port: 53, proto: 'udp' }],
  ['unallocated ClusterIP', tcp('10.96.99.99', 80)],
];
const fromNode: [string, ProbeTarget][] = [
  // DNATed to the API server, which sends no greeting the probe client would accept: the probe reports a timeout.
  ['default/kubernetes', tcp('10.96.0.1', 443)],
  ['shop/api NodePort on n1', tcp('192.0.2.11', 30080)],
  ['shop/api-ext externalIP', tcp('192.0.2.225', 80)],
];

async function traffic(lab: Lab): Promise<void> {
  const plan: [string, string, ProbeTarget][] = [
    ...fromPod.map(([what, t]): [string, string, ProbeTarget] => [lab.podNetns('shop', 'client-0'), what, t]),
    ...fromNode.map(([what, t]): [string, string, ProbeTarget] => [lab.nodeNetns('n1'), what, t]),
  ];
  for (const [from, what, t] of plan) {
    const r = await lab.probe(from, t, { timeoutMs: 1000 });
    console.info(`  ${from} -> ${t.ip}:${t.port}/${t.proto} (${what}): ${r.outcome}${r.server ? ` from ${r.server}` : ` (${r.detail})`}`);
  }
}

const base = loadScenario('flannel-vxlan');
for (const mode of ['iptables', 'nftables'] as const) {
  const t0 = performance.now();
  await withLab(parseScenario({ ...base, kubeProxy: mode }), {}, async (lab) => {
    const nodes = lab.plan.nodes.map((n) => n.name).sort();
    const synced = [...lab.kubeProxySyncs.keys()].sort();
    if (synced.join() !== nodes.join()) throw new Error(`kube-proxy synced on ${synced.join(', ')} only (nodes: ${nodes.join(', ')})`);
    console.info(`${mode}: lab ${lab.prefix} up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    if (mode === 'iptables') write('cluster.json', `${JSON.stringify(await lab.clusterList(), null, 1)}\n`);
    await traffic(lab);
    for (const node of ['n1', 'n2']) {
      const netns = lab.nodeNetns(node);
      if (mode === 'iptables') write(`${node}.iptables-save-c.txt`, await must(lab, netns, 'iptables-save', ['-c']));
      else write(`${node}.nft-ruleset.json`, await must(lab, netns, 'nft', ['-j', 'list', 'ruleset']));
    }
  });
}
TS

npx tsx --tsconfig "$tmp/tsconfig.json" "$tmp/capture.mts" "$out"
echo "recorded into $out; now: UPDATE_GOLDEN=1 npx vitest run --project unit packages/parse"
