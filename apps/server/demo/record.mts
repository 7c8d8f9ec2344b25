// Re-records the demo bundle from a real lab: `npx tsx apps/server/demo/record.mts` (as root, after
// `npm run build`). The lab builds the flannel-vxlan scenario in network namespaces with one planted fault, the
// real patchbay-agent snapshots every node, and the lab tears everything down again, even on failure.
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadScenario, withLab } from '@patchbay/lab';

export const DEMO_SCENARIO = 'flannel-vxlan';
/** The fault there is to find: the cart pod is gone, but kube-proxy's rules still send its service to it. */
export const DEMO_FAULT = 'stale-service-rule';

const dir = fileURLToPath(new URL('./bundle', import.meta.url));
await rm(dir, { recursive: true, force: true });
await withLab(loadScenario(DEMO_SCENARIO), { faults: [DEMO_FAULT] }, (lab) => lab.record(dir));
process.stdout.write(`recorded ${DEMO_SCENARIO} with fault ${DEMO_FAULT} into ${dir}\n`);
