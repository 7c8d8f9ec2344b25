// Records a lab scenario (with optional faults) as a bundle, for trying the tracer by hand:
//   npx tsx tests/trace/tools/record.ts flannel-vxlan /tmp/bundle [fault ...]
import { loadScenario, startLab } from '@patchbay/lab';

async function main(): Promise<void> {
  const [scenario, dir, ...faults] = process.argv.slice(2);
  if (!scenario || !dir) throw new Error('usage: record.ts SCENARIO DIR [FAULT ...]');
  const lab = await startLab(loadScenario(scenario as never), { faults });
  try {
    await lab.record(dir);
    console.log(`recorded ${scenario} into ${dir} (lab ${lab.prefix})`);
  } finally {
    await lab.teardown();
  }
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
