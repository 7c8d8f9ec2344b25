// Re-records the demo bundle from a real lab: `npx tsx apps/server/demo/record.mts` (as root, after
// `npm run build`). The lab builds the flannel-vxlan scenario in network namespaces, runs its own Kubernetes
// control plane with the cluster's objects created through the API and real kube-proxy in every node, plants
// one fault, then the real patchbay-agent snapshots every node and cluster.json is read from the API server. The
// lab is torn down again, even on failure.
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadScenario, withLab } from '@patchbay/lab';

export const DEMO_SCENARIO = 'flannel-vxlan';
/** The fault there is to find: kube-proxy stopped, then the cart pod deleted; its old rules still send to it. */
export const DEMO_FAULT = 'stale-service-rule';

const dir = fileURLToPath(new URL('./bundle', import.meta.url));
await rm(dir, { recursive: true, force: true });
// Phase timings go to stderr, so a slow or failing recording says where its time went.
const onPhase = (phase: string, ms: number) => process.stderr.write(`  ${phase}: ${Math.round(ms)} ms\n`);
await withLab(loadScenario(DEMO_SCENARIO), { faults: [DEMO_FAULT], onPhase }, (lab) => lab.record(dir));
process.stdout.write(`recorded ${DEMO_SCENARIO} with fault ${DEMO_FAULT} into ${dir}\n`);
