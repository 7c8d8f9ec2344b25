// `npm run bench -- agent`: one lab node with 110 pods and kube-proxy's rules for 10,000 services / 30,000
// endpoints (about 150,000 rules, 16 MB of iptables-save), built in namespaces pb<hex>-*, then:
//   raw tools' own time  the commands a snapshot runs, one after the other, each timed, in the same run
//   snapshot wall time   `patchbay-agent snapshot` inside the node namespace, median of 3
//   peak RSS             the agent process's own maxRSS (preloaded reporter), worst of the 3
//   snapshot bytes       what it printed
//   parse time           @patchbay/parse parseIptablesSave on that iptables-save, median of 3 (if exported); then
//                        reading every chain's rules of that result, and a strict parse (every rule read at once)
// Prints figures; asserts nothing. Everything it built is deleted, also on failure and on SIGINT/SIGTERM.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubeProxyRestoreText } from './kubeProxyRules.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const agentBin = path.join(here, '../bin/patchbay-agent.mjs');
const rssReporter = path.join(here, 'reportRss.mjs');
const PODS = 110;
const SERVICES = 10_000;
const ENDPOINTS_PER_SERVICE = 3;

const prefix = `pbbench${randomBytes(3).toString('hex')}`;
const nodeNs = `${prefix}-node`;
const podNs = (i: number) => `${prefix}-p${String(i).padStart(3, '0')}`;

function sh(cmd: string, args: string[], input?: string, allowFail = false): Promise<{ stdout: string; stderr: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { maxBuffer: 1024 * 1024 * 1024, timeout: 300_000 }, (err, stdout, stderr) => {
      if (err && !allowFail) reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`));
      else resolve({ stdout, stderr, ms: performance.now() - t0 });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

async function teardown() {
  const list = (await sh('ip', ['netns', 'list'])).stdout;
  const ours = list.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`${prefix}-`));
  if (ours.length) await sh('ip', ['-force', '-b', '-'], ours.map((n) => `netns del ${n}`).join('\n') + '\n').catch(() => undefined);
}

async function rulesText(): Promise<{ text: string; source: string }> {
  // PATCHBAY_BENCH_RULES=own picks the bench's generator, which writes rules in kube-proxy's own order (chains
  // declared and filled service by service); the lab renders them sorted by chain, which iptables-nft-save reads
  // about 10x more slowly (measured here: same rules, 2.7 s vs 27 s).
  try {
    if (process.env.PATCHBAY_BENCH_RULES === 'own') throw new Error('PATCHBAY_BENCH_RULES=own');
    const lab = (await import('@patchbay/lab')) as Record<string, unknown>;
    const generateCluster = lab.generateCluster as ((o: object) => { cluster: unknown }) | undefined;
    const render = lab.renderIptablesRules as ((c: unknown, o: object) => string) | undefined;
    if (generateCluster && render) {
      const nodes = Math.ceil((SERVICES * ENDPOINTS_PER_SERVICE) / PODS) + 2;
      const { cluster } = generateCluster({ nodes, podsPerNode: PODS, services: SERVICES, endpointsPerService: ENDPOINTS_PER_SERVICE, seed: 1 });
      const text = render(cluster, { nodeName: 'node-0', nodeIPs: [], clusterCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/16' });
      return { text, source: '@patchbay/lab generateCluster + renderIptablesRules' };
    }
  } catch (err) {
    console.log(`(lab renderer unavailable: ${(err as Error).message.split('\n')[0]}; using the bench's own generator)`);
  }
  return { text: kubeProxyRestoreText({ services: SERVICES, endpoints: SERVICES * ENDPOINTS_PER_SERVICE }), source: 'apps/agent/bench/kubeProxyRules.ts' };
}

async function build() {
  const pods = Array.from({ length: PODS }, (_, i) => i);
  await sh('ip', ['-b', '-'], [nodeNs, ...pods.map(podNs)].map((n) => `netns add ${n}`).join('\n') + '\n');
  const nodeLines = ['link set lo up', 'link add cni0 type bridge', 'addr add 10.244.1.1/24 dev cni0', 'link set cni0 up'];
  for (const i of pods) {
    nodeLines.push(`link add veth${i} type veth peer name eth0 netns ${podNs(i)}`, `link set veth${i} master cni0 up`);
  }
  await sh('ip', ['-n', nodeNs, '-b', '-'], nodeLines.join('\n') + '\n');
  for (let i = 0; i < PODS; i += 10) {
    await Promise.all(
      pods.slice(i, i + 10).map((p) =>
        sh('ip', ['-n', podNs(p), '-b', '-'], ['link set lo up', 'link set eth0 up', `addr add 10.244.1.${p + 2}/24 dev eth0`, 'route add default via 10.244.1.1', ''].join('\n')),
      ),
    );
  }
  const { text, source } = await rulesText();
  const t = await sh('ip', ['netns', 'exec', nodeNs, 'iptables-nft-restore'], text);
  return { source, ruleBytes: text.length, loadMs: t.ms };
}

/** The commands one snapshot of this node runs, one after the other, each timed (inside the node namespace). */
async function rawTools(): Promise<{ totalMs: number; slowest: [string, number] }> {
  const inNode = (cmd: string, args: string[], input?: string) => ['nsenter', [`--net=/var/run/netns/${nodeNs}`, '--', cmd, ...args], input] as const;
  const main = 'addr show\nneigh show\nroute show table all root 0.0.0.0/0\nroute show table all root ::/0\nnetconf show\nrule show\n';
  const commands: (readonly [string, readonly string[], string | undefined])[] = [
    inNode('iptables-nft-save', ['-c']),
    inNode('iptables-legacy-save', ['-c']),
    inNode('ip6tables-nft-save', ['-c']),
    inNode('ip6tables-legacy-save', ['-c']),
    ...['ip kube-proxy', 'ip6 kube-proxy', 'ip flannel-ipv4', 'ip6 flannel-ipv6', 'ip calico', 'ip6 calico', 'inet cilium'].map((t) => inNode('nft', ['-j', 'list', 'table', ...t.split(' ')])),
    inNode('bridge', ['-d', '-j', '-force', '-b', '-'], 'fdb show\nlink show\n'),
    inNode('ip', ['-j', '-force', '-b', '-'], `netns list-id\n${main}`),
    inNode('ip', ['-d', '-6', '-j', '-force', '-b', '-'], 'link show\nrule show\n'),
  ];
  for (let i = 0; i < PODS; i += 1) {
    commands.push(['ip', ['-n', podNs(i), '-j', '-force', '-b', '-'], main], ['ip', ['-n', podNs(i), '-d', '-6', '-j', '-force', '-b', '-'], 'link show\nrule show\n']);
  }
  let totalMs = 0;
  let slowest: [string, number] = ['', 0];
  for (const [cmd, args, input] of commands) {
    // nsenter itself costs ~1 ms; the tool is what is timed.
    // Absent nft tables and empty backends fail as they do for the agent; their time still counts.
    const r = await sh(cmd, [...args], input, true);
    totalMs += r.ms;
    const name = cmd === 'nsenter' ? `${args[2]} ${args.slice(3).join(' ')}` : `${cmd} ${args.join(' ')}`;
    if (r.ms > slowest[1]) slowest = [name, r.ms];
  }
  return { totalMs, slowest };
}

function runAgent(): Promise<{ ms: number; bytes: number; maxRssKb: number; stdout: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', nodeNs, process.execPath, '--import', rssReporter, agentBin, 'snapshot', '--node-name', 'bench'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      const rss = /PATCHBAY_BENCH_MAXRSS_KB=(\d+)/.exec(err);
      if (code !== 0 || !rss) return reject(new Error(`agent exited ${code}: ${err.slice(-2000)}`));
      const stdout = Buffer.concat(out).toString('utf8');
      resolve({ ms, bytes: Buffer.byteLength(stdout), maxRssKb: Number(rss[1]), stdout });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  if (process.getuid?.() !== 0) throw new Error('the agent bench builds network namespaces: run it as root');
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    void teardown().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const tb = performance.now();
    const built = await build();
    console.log(`built ${prefix}: 1 node, ${PODS} pods, ${(built.ruleBytes / 1e6).toFixed(1)} MB of rules from ${built.source} (load ${(built.loadMs / 1000).toFixed(1)} s, total ${((performance.now() - tb) / 1000).toFixed(1)} s)`);
    await runAgent(); // warm the page cache and the kernel's netns state once
    const runs = [];
    const raws = [];
    for (let i = 0; i < 3 && !interrupted; i += 1) {
      raws.push(await rawTools());
      runs.push(await runAgent());
    }
    const last = runs[runs.length - 1]!;
    const snap = JSON.parse(last.stdout) as { namespaces: unknown[]; iptables: { family: string; backend: string; save: string }[]; errors: { collector: string; message: string }[] };
    const save = snap.iptables.find((d) => d.family === 'ipv4')?.save ?? '';
    const rules = (save.match(/^(?:\[\d+:\d+\] )?-A /gm) ?? []).length;
    let parseMs: number | null = null;
    let readAllMs: number | null = null;
    let strictMs: number | null = null;
    let parseNote = '';
    try {
      const parse = (await import('@patchbay/parse')) as { parseIptablesSave?: (t: string, o?: { strict?: boolean }) => { warnings: unknown[] } };
      if (parse.parseIptablesSave) {
        const times = [];
        const reads = [];
        const stricts = [];
        for (let i = 0; i < 3; i += 1) {
          let t0 = performance.now();
          const r = parse.parseIptablesSave(save);
          times.push(performance.now() - t0);
          // Asking for the warnings reads every chain's rules.
          t0 = performance.now();
          void r.warnings;
          reads.push(performance.now() - t0);
        }
        for (let i = 0; i < 3; i += 1) {
          const t0 = performance.now();
          parse.parseIptablesSave(save, { strict: true });
          stricts.push(performance.now() - t0);
        }
        parseMs = median(times);
        readAllMs = median(reads);
        strictMs = median(stricts);
      } else parseNote = '@patchbay/parse exports no parseIptablesSave';
    } catch (err) {
      parseNote = `@patchbay/parse unavailable: ${(err as Error).message.split('\n')[0]}`;
    }
    const wall = median(runs.map((r) => r.ms));
    const raw = median(raws.map((r) => r.totalMs));
    const slowest = raws[raws.length - 1]!.slowest;
    const rows: [string, string, string][] = [
      ['pod namespaces in snapshot', String(snap.namespaces.length), `of ${PODS}`],
      ['iptables-save rules / bytes', `${rules} / ${(save.length / 1e6).toFixed(1)} MB`, ''],
      ["raw tools' own time (sequential)", `${raw.toFixed(0)} ms`, `median of 3; ${2 * PODS + 14} commands`],
      ['  slowest single tool', `${slowest[1].toFixed(0)} ms`, slowest[0]],
      ['snapshot wall time', `${wall.toFixed(0)} ms`, `median of 3 (${runs.map((r) => r.ms.toFixed(0)).join(', ')}); target <= 1.25x raw`],
      ['  ratio to raw tools', `${(wall / raw).toFixed(2)}x`, `to slowest tool alone: ${(wall / slowest[1]).toFixed(2)}x`],
      ['agent peak RSS', `${(Math.max(...runs.map((r) => r.maxRssKb)) / 1024).toFixed(0)} MB`, 'target <= 200 MB'],
      ['snapshot bytes', `${(last.bytes / 1e6).toFixed(1)} MB`, `${last.bytes} bytes`],
      ['parseIptablesSave', parseMs === null ? 'n/a' : `${parseMs.toFixed(0)} ms`, parseNote || 'median of 3; target <= 250 ms; rules read per chain, on first read'],
      ['  then every chain read', readAllMs === null ? 'n/a' : `${readAllMs.toFixed(0)} ms`, 'median of 3; what a reader of every rule pays on top'],
      ['  strict parse', strictMs === null ? 'n/a' : `${strictMs.toFixed(0)} ms`, 'median of 3; every rule read in the parse itself'],
      ['snapshot errors', String(snap.errors.length), snap.errors.map((e) => `${e.collector}: ${e.message.slice(0, 80)}`).join(' | ')],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    const v = Math.max(...rows.map((r) => r[1].length));
    console.log('');
    for (const [a, b, c] of rows) console.log(`${a.padEnd(w)}  ${b.padStart(v)}  ${c}`);
  } finally {
    await teardown();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
