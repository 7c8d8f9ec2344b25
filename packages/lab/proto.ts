import { writeFileSync } from 'node:fs';
import { loadScenario, startLab, startControlPlane, parseScenario } from './src/index.js';
import { populateApi } from './src/kubernetes/populate.js';
import { startKubeProxies, waitForSync } from './src/kubernetes/kubeProxyDaemons.js';
import { kubeProxyRules } from './src/kubeProxyRules.js';
import { parseClusterList } from '@patchbay/schema';
import { run } from './src/exec.js';

const mode = (process.argv[2] ?? 'iptables') as 'iptables' | 'nftables';
const sc = loadScenario('flannel-vxlan');
const lab = await startLab(parseScenario({ ...sc, kubeProxy: 'none' }));
const t = (l: string) => console.log(`${(performance.now() / 1000).toFixed(1)}s ${l}`);
try {
  t('lab up');
  const cp = await startControlPlane(lab, { onPhase: (p, ms) => t(`  ${p} ${ms.toFixed(0)}`) });
  t('cp up');
  await populateApi(lab.plan, cp.kubectl);
  t('populated');
  const plan = { ...lab.plan, scenario: { ...lab.plan.scenario, kubeProxy: mode } };
  const procs = await startKubeProxies(plan, { binDir: cp.binDir, kubeconfig: cp.kubeProxyKubeconfig });
  const counts = await waitForSync(procs);
  t(`synced ${[...counts].join(' ')}`);
  const n1 = lab.plan.nodes[0]!;
  const real = mode === 'iptables' ? (await run('ip', ['netns', 'exec', n1.netns, 'iptables-save'])).stdout : (await run('ip', ['netns', 'exec', n1.netns, 'nft', 'list', 'ruleset'])).stdout;
  writeFileSync(`/tmp/proto/real.${mode}`, real);
  const intended = parseClusterList('lab', await cp.kubectl.getJson(['nodes,namespaces,pods,services,endpointslices,networkpolicies', '-A']));
  writeFileSync(`/tmp/proto/mine.${mode}`, kubeProxyRules(plan as never, n1, intended.cluster)!.text);
  writeFileSync(`/tmp/proto/cluster.json`, JSON.stringify(await cp.kubectl.getJson(['nodes,namespaces,pods,services,endpointslices,networkpolicies', '-A']), null, 1));
  t('dumped');
  if (process.argv[3] === 'hold') await new Promise((r) => setTimeout(r, 600_000));
} finally {
  await lab.teardown();
}
