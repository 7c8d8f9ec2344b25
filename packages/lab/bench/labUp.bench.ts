// Bring-up and teardown time of a 3-node, 20-pod lab (flannel VXLAN + kube-proxy iptables), median of 3, with
// the median time of each bring-up phase. Needs root; prints why not otherwise. Run: npm run bench -- labUp
import { assertLabCapable, loadScenario, startLab } from '../src/index.js';

const RUNS = 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  assertLabCapable();
} catch (err) {
  console.log(`labUp: not run: ${(err as Error).message}`);
  process.exit(process.env.CI === 'true' ? 1 : 0);
}

for (const name of ['bench-20', 'calico-routed', 'nftables']) {
  const scenario = loadScenario(name);
  const up: number[] = [];
  const down: number[] = [];
  const phases = new Map<string, number[]>();
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const lab = await startLab(scenario, { onPhase: (p, ms) => phases.set(p, [...(phases.get(p) ?? []), ms]) });
    up.push(performance.now() - t0);
    // One probe through a ClusterIP proves the lab works before it is timed down.
    const from = lab.podNetns(lab.plan.pods[0]!.pod.namespace, lab.plan.pods[0]!.pod.name);
    const svc = scenario.services[0]!;
    const r = await lab.probe(from, { ip: svc.clusterIP, port: svc.ports[0]!.port, proto: 'tcp' });
    if (r.outcome !== 'delivered') console.log(`  warning: probe to ${svc.name} was ${r.outcome} (${r.detail})`);
    const t1 = performance.now();
    await lab.teardown();
    down.push(performance.now() - t1);
  }
  const pods = scenario.pods.length;
  console.log(
    `labUp ${name} (${scenario.nodes.length} nodes, ${pods} pods, ${scenario.services.length} services, kube-proxy ${scenario.kubeProxy}): ` +
      `bring-up median ${median(up).toFixed(0)} ms (runs ${up.map((x) => x.toFixed(0)).join(', ')}), teardown median ${median(down).toFixed(0)} ms`,
  );
  console.log(`  phases (median ms): ${[...phases].map(([p, xs]) => `${p} ${median(xs).toFixed(0)}`).join(', ')}`);
}
