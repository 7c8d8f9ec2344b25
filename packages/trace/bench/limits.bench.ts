// Bench: what one trace costs over a hostile ruleset (issue #25 defect 2). Each case runs in its own child
// process, so its peak RSS is its own: a jump loop in iptables, a jump loop in nft, a fan-out (one chain entered
// 1,000 times, 1,000 matching rules each) and a fork bomb of statistic rules. Prints the time, the memory and the
// verdict; asserts nothing.
//   npm run bench -- limits          (or: npx tsx packages/trace/bench/limits.bench.ts [case])
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { traceFlow } from '@patchbay/trace';
import { twoNodeShop } from '../test/kit.js';
import { iptablesWith, nftForwardLoop } from '../test/hostile.js';

const CASES: Record<string, () => Parameters<typeof twoNodeShop>[0]> = {
  'iptables jump loop (KUBE-A -> KUBE-B -> KUBE-A)': () => ({
    tweak: (_n, snap) => {
      const dump = snap.iptables[0]!;
      dump.save = iptablesWith(dump.save as string, ['KUBE-A', 'KUBE-B'], ['-A FORWARD -j KUBE-A', '-A KUBE-A -j KUBE-B', '-A KUBE-B -j KUBE-A']);
    },
  }),
  'nft jump loop (a -> b -> a)': () => ({
    kubeProxy: false,
    tweak: (_n, snap) => {
      snap.nft = nftForwardLoop() as never;
    },
  }),
  'fan-out (1,000 jumps to a chain of 1,000 matching rules)': () => ({
    tweak: (_n, snap) => {
      const dump = snap.iptables[0]!;
      const rules = [...Array.from({ length: 1000 }, () => '-A FORWARD -j FAN'), ...Array.from({ length: 1000 }, (_, i) => `-A FAN -m comment --comment "r${i}"`)];
      dump.save = iptablesWith(dump.save as string, ['FAN'], rules);
    },
  }),
  'statistic fork bomb (40 rules each forking every branch in two)': () => ({
    tweak: (_n, snap) => {
      const dump = snap.iptables[0]!;
      dump.save = iptablesWith(dump.save as string, [], Array.from({ length: 40 }, () => '-A FORWARD -m statistic --mode random --probability 0.5 -j MARK --set-xmark 0x1/0x1'));
    },
  }),
};

const mb = (b: number) => `${(b / 1048576).toFixed(0)} MB`;

function measure(name: string): void {
  const { model } = twoNodeShop(CASES[name]!());
  const rss0 = process.memoryUsage().rss;
  const t = performance.now();
  const tr = traceFlow(model, { from: 'pod/shop/client-0', to: 'pod/shop/api-0', proto: 'tcp', port: 8080 });
  const took = performance.now() - t;
  const hops = tr.paths.reduce((n, p) => n + p.hops.length + (p.reply?.hops.length ?? 0), 0);
  const why = (tr.paths.find((p) => p.verdict === 'unknown') as { reason?: string } | undefined)?.reason ?? tr.summary;
  console.log(`${name}: ${took.toFixed(0)} ms, peak RSS ${mb(process.resourceUsage().maxRSS * 1024)} (${mb(rss0)} before it), ${tr.paths.length} paths, ${hops} hops, verdict ${tr.verdict}`);
  console.log(`  ${why.slice(0, 200)}`);
}

const only = process.argv[2];
if (only === '--case') measure(process.argv[3]!);
else {
  for (const name of Object.keys(CASES)) {
    if (only && !name.includes(only)) continue;
    const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--case', name], { stdio: 'inherit' });
    if (r.status !== 0) process.exitCode = 1;
  }
}
