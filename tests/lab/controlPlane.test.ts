// The lab's real Kubernetes control plane (issue #19): real etcd, kube-apiserver and kube-controller-manager
// built by scripts/k8s/build.sh, in a lab namespace; objects through kubectl; EndpointSlices from the real
// controller; processes recorded and stopped by pid and start time; nothing listening outside lab namespaces.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONTROL_PLANE_IP,
  STATE_DIR,
  assertLabCapable,
  controlPlaneNetns,
  isRunning,
  k8sBinDir,
  parseScenario,
  readState,
  startControlPlane,
  startLab,
  type Lab,
  type LabProcess,
} from '@patchbay/lab';
import { leftovers } from './flows.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pinned = /^K8S_VERSION=(\S+)$/m.exec(readFileSync(path.join(root, 'scripts/k8s/versions.env'), 'utf8'))?.[1];
const prefixes = new Set<string>();

// Two nodes on the underlay, no pods or rules of the lab's own: the pods here exist only as API objects. These
// labs start without their own control plane (controlPlane: false) so each test starts one by hand.
const scenario = parseScenario({
  name: 'cp-test',
  cni: 'flannel-host-gw',
  kubeProxy: 'none',
  nodes: [
    { name: 'n1', podCIDR: '10.244.1.0/24', internalIP: '192.0.2.11' },
    { name: 'n2', podCIDR: '10.244.2.0/24', internalIP: '192.0.2.12' },
  ],
});

beforeAll(async () => {
  assertLabCapable();
  // Never skipped: without the components the suite fails, saying how to build them.
  await k8sBinDir();
  expect(pinned, 'K8S_VERSION in scripts/k8s/versions.env').toMatch(/^v1\.36\.\d+$/);
});
afterAll(() => expect(leftovers(prefixes), 'lab namespaces left behind').toEqual([]));

const netnsList = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Listening TCP sockets and the pids owning them, in the root namespace or inside one. */
function listeners(netns?: string): { local: string; pids: number[] }[] {
  const args = ['-ltnpH'];
  const out = netns ? execFileSync('ip', ['netns', 'exec', netns, 'ss', ...args], { encoding: 'utf8' }) : execFileSync('ss', args, { encoding: 'utf8' });
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => ({ local: l.trim().split(/\s+/)[3] ?? '', pids: [...l.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])) }));
}

function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

const pod = (name: string, node: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'shop', labels: { app: 'web' } },
  spec: { nodeName: node, automountServiceAccountToken: false, containers: [{ name: 'web', image: 'registry.invalid/web:1', ports: [{ name: 'http', containerPort: 8080 }] }] },
});

const node = (name: string, cidr: string) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'kubernetes.io/hostname': name } },
  spec: { podCIDR: cidr, podCIDRs: [cidr] },
});

const runningStatus = (podIP: string, hostIP: string) => ({
  phase: 'Running',
  podIP,
  podIPs: [{ ip: podIP }],
  hostIP,
  hostIPs: [{ ip: hostIP }],
  conditions: [
    { type: 'Initialized', status: 'True' },
    { type: 'ContainersReady', status: 'True' },
    { type: 'Ready', status: 'True' },
    { type: 'PodScheduled', status: 'True' },
  ],
});

describe('control plane', () => {
  it('serves the pinned version, makes EndpointSlices for API-made pods, listens only inside the cp namespace, and leaves nothing behind', async () => {
    const lab: Lab = await startLab(scenario, { controlPlane: false });
    prefixes.add(lab.prefix);
    const procs: LabProcess[] = [];
    try {
      const t0 = performance.now();
      const phases: string[] = [];
      const cp = await startControlPlane(lab, { onPhase: (p, ms) => phases.push(`${p} ${Math.round(ms)} ms`) });
      const startMs = Math.round(performance.now() - t0);
      procs.push(...cp.processes);
      expect(procs.map((p) => p.name)).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager']);
      // Recorded in the lab state with their start times, as teardown and `down --all` will read them.
      expect(readState(lab.prefix).processes).toEqual(procs);
      console.log(`control plane up in ${startMs} ms (${phases.join(', ')}); RSS ${procs.map((p) => `${p.name} ${rssMiB(p.pid)} MiB`).join(', ')}`);

      const version = JSON.parse(await cp.kubectl.must(['version', '-o', 'json'])) as { serverVersion: { gitVersion: string }; clientVersion: { gitVersion: string } };
      expect(version.serverVersion.gitVersion).toBe(pinned);
      expect(version.clientVersion.gitVersion).toBe(pinned);

      await cp.kubectl.create([node('n1', '10.244.1.0/24'), node('n2', '10.244.2.0/24'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }]);
      // Node addresses are status: as a kubelet would, patch them in.
      for (const [n, ip] of [['n1', '192.0.2.11'], ['n2', '192.0.2.12']] as const) {
        await cp.kubectl.must(['patch', 'node', n, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: n }] } })]);
      }
      const nodes = (await cp.kubectl.getJson(['nodes'])) as { items: { metadata: { name: string }; spec: { podCIDR: string }; status: { addresses: { type: string; address: string }[] } }[] };
      expect(nodes.items.map((n) => [n.metadata.name, n.spec.podCIDR, n.status.addresses.find((a) => a.type === 'InternalIP')?.address])).toEqual([
        ['n1', '10.244.1.0/24', '192.0.2.11'],
        ['n2', '10.244.2.0/24', '192.0.2.12'],
      ]);

      // The ServiceAccount admission plugin refuses pods until the serviceaccount controller made `default` here.
      const saUntil = Date.now() + 30_000;
      while ((await cp.kubectl.run(['get', 'serviceaccount', 'default', '-n', 'shop'])).code !== 0) {
        if (Date.now() > saUntil) throw new Error('no ServiceAccount shop/default within 30 s');
        await sleep(200);
      }
      await cp.kubectl.create([
        pod('web-0', 'n1'),
        pod('web-1', 'n2'),
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } },
      ]);
      await cp.kubectl.patchPodStatus('shop', 'web-0', runningStatus('10.244.1.2', '192.0.2.11'));
      await cp.kubectl.patchPodStatus('shop', 'web-1', runningStatus('10.244.2.2', '192.0.2.12'));

      type Slice = { metadata: { labels: Record<string, string> }; endpoints: { addresses: string[]; conditions: { ready?: boolean }; nodeName?: string }[] | null; ports: { name: string; port: number }[] | null };
      let slices: Slice[] = [];
      const until = Date.now() + 30_000;
      for (;;) {
        slices = ((await cp.kubectl.getJson(['endpointslices', '-n', 'shop', '-l', 'kubernetes.io/service-name=web'])) as { items: Slice[] }).items;
        if (slices.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions.ready).length === 2) break;
        if (Date.now() > until) throw new Error(`no EndpointSlice with both pods within 30 s: ${JSON.stringify(slices)}`);
        await sleep(250);
      }
      expect(slices).toHaveLength(1);
      const slice = slices[0]!;
      expect(slice.metadata.labels['endpointslice.kubernetes.io/managed-by']).toBe('endpointslice-controller.k8s.io');
      expect((slice.endpoints ?? []).map((e) => [e.addresses[0], e.nodeName]).sort()).toEqual([
        ['10.244.1.2', 'n1'],
        ['10.244.2.2', 'n2'],
      ]);
      expect(slice.ports).toEqual([expect.objectContaining({ name: 'http', port: 8080 })]);

      // Nothing of the control plane listens in the runner's namespace; inside cp it listens on cp addresses only.
      const pids = new Set(procs.map((p) => p.pid));
      expect(listeners().filter((l) => l.pids.some((p) => pids.has(p)))).toEqual([]);
      const inside = listeners(controlPlaneNetns(lab.prefix)).filter((l) => l.pids.some((p) => pids.has(p)));
      expect(inside.map((l) => l.local)).toContain(`${CONTROL_PLANE_IP}:6443`);
      expect(inside.map((l) => l.local)).toContain('127.0.0.1:2379');
      for (const l of inside) expect(l.local, 'a control plane socket outside the cp addresses').toMatch(/^(127\.0\.0\.1|192\.0\.2\.250):\d+$/);
      const apiPid = procs.find((p) => p.name === 'kube-apiserver')!.pid;
      expect(inside.find((l) => l.local === `${CONTROL_PLANE_IP}:6443`)?.pids).toContain(apiPid);
      // A node on the underlay reaches the API server (kube-proxy will, from there).
      const fromNode = await lab.exec(lab.nodeNetns('n1'), 'bash', ['-c', `exec 3<>/dev/tcp/${CONTROL_PLANE_IP}/6443 && echo open`], { timeoutMs: 5_000 });
      expect(fromNode.stdout.trim()).toBe('open');
      console.log(`RSS after the objects: ${procs.map((p) => `${p.name} ${rssMiB(p.pid)} MiB`).join(', ')}`);
    } finally {
      const t1 = performance.now();
      await lab.teardown();
      console.log(`teardown (control plane and lab) in ${Math.round(performance.now() - t1)} ms`);
    }
    expect(procs.filter(isRunning).map((p) => p.name)).toEqual([]);
    expect(netnsList().split('\n').filter((l) => l.startsWith(`${lab.prefix}-`))).toEqual([]);
    expect(existsSync(path.join(STATE_DIR, `${lab.prefix}.json`))).toBe(false);
    expect(existsSync(path.join('/dev/shm/patchbay-lab', lab.prefix))).toBe(false);
  });

  it('a component that fails to start (a bogus flag) fails the start with its log, and everything it started is stopped', async () => {
    const lab = await startLab(scenario, { controlPlane: false });
    prefixes.add(lab.prefix);
    const seen: LabProcess[] = [];
    try {
      const err = await startControlPlane(lab, { extraArgs: { 'kube-apiserver': ['--no-such-flag-for-the-lab'] }, onProcess: (p) => seen.push(p) }).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(err?.message).toMatch(/kube-apiserver exited before ready \/readyz/);
      expect(err?.message).toMatch(/unknown flag: --no-such-flag-for-the-lab/);
      // etcd was running when the API server failed: it is stopped, and forgotten by the state file.
      expect(seen.map((p) => p.name)).toEqual(['etcd', 'kube-apiserver']);
      expect(seen.filter(isRunning)).toEqual([]);
      expect(readState(lab.prefix).processes).toEqual([]);
      expect(netnsList()).not.toContain(controlPlaneNetns(lab.prefix));
      // The rest of the lab is still the caller's, intact.
      expect(netnsList()).toContain(lab.nodeNetns('n1'));
    } finally {
      await lab.teardown();
    }
    expect(netnsList().split('\n').filter((l) => l.startsWith(`${lab.prefix}-`))).toEqual([]);
  });

  it('teardown stops recorded processes by pid and start time, and never signals a process whose start time differs', async () => {
    const lab = await startLab(scenario, { controlPlane: false });
    prefixes.add(lab.prefix);
    // A stand-in for a reused pid: this test's own runner recorded with a wrong start time must survive teardown.
    const st = readState(lab.prefix);
    const me = { name: 'impostor', pid: process.pid, startTime: 1, netns: 'none', exe: process.execPath, log: '/dev/null' };
    writeFileSync(path.join(STATE_DIR, `${lab.prefix}.json`), JSON.stringify({ ...st, processes: [me] }));
    await lab.teardown();
    expect(netnsList().split('\n').filter((l) => l.startsWith(`${lab.prefix}-`))).toEqual([]);
  });

  it('after its owner is SIGKILLed (no exit handler runs), `lab down PREFIX` stops the control plane through the recorded state', async () => {
    const script = `import { parseScenario, startLab } from '${root}packages/lab/src/index.ts';
import { startControlPlane } from '${root}packages/lab/src/controlPlane/index.ts';
const lab = await startLab(parseScenario(${JSON.stringify(scenario)}), { controlPlane: false });
console.log('LAB ' + lab.prefix);
const cp = await startControlPlane(lab);
console.log('UP ' + JSON.stringify(cp.processes));
process.kill(process.pid, 'SIGKILL');`;
    const child = spawn(process.execPath, [`${root}node_modules/tsx/dist/cli.mjs`, '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let errText = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (errText += d.toString()));
    const exit = await new Promise<NodeJS.Signals | number | null>((r) => child.on('exit', (code, sig) => r(sig ?? code)));
    const prefix = /LAB (pb[0-9a-f]+)/.exec(out)?.[1];
    if (prefix) prefixes.add(prefix);
    // tsx's launcher reports its child's SIGKILL as exit status 137 (128 + 9).
    expect([137, 'SIGKILL'], `child: ${errText.slice(-2000)}`).toContain(exit);
    const procs = JSON.parse(/UP (.*)/.exec(out)?.[1] ?? '[]') as LabProcess[];
    expect(procs.map((p) => p.name)).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager']);
    // The crash left the control plane running: only the recorded state knows it.
    expect(procs.filter(isRunning).map((p) => p.name)).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager']);
    const list = await promisify(execFile)(`${root}node_modules/.bin/tsx`, [`${root}packages/lab/src/cli.ts`, 'list'], { cwd: root });
    for (const p of procs) expect(list.stdout).toMatch(new RegExp(`${p.name} +pid ${p.pid} +running`));
    const down = await promisify(execFile)(`${root}node_modules/.bin/tsx`, [`${root}packages/lab/src/cli.ts`, 'down', prefix!], { cwd: root });
    expect(down.stdout).toContain(`removed ${prefix} (stopped etcd pid ${procs[0]!.pid}, kube-apiserver pid ${procs[1]!.pid}, kube-controller-manager pid ${procs[2]!.pid})`);
    expect(procs.filter(isRunning)).toEqual([]);
    expect(leftovers([prefix!])).toEqual([]);
  });

  it('when its owner gets SIGTERM, the lab\'s signal handler stops the control plane (synchronously) and removes the lab', async () => {
    const script = `import { parseScenario, startLab } from '${root}packages/lab/src/index.ts';
import { startControlPlane } from '${root}packages/lab/src/controlPlane/index.ts';
const lab = await startLab(parseScenario(${JSON.stringify(scenario)}), { controlPlane: false });
console.log('LAB ' + lab.prefix);
const cp = await startControlPlane(lab);
console.log('UP ' + JSON.stringify(cp.processes));
setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, [`${root}node_modules/tsx/dist/cli.mjs`, '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let errText = '';
    child.stderr.on('data', (d: Buffer) => (errText += d.toString()));
    const exited = new Promise((r) => child.on('exit', r));
    const procs = await new Promise<LabProcess[]>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const prefix = /LAB (pb[0-9a-f]+)/.exec(out)?.[1];
        if (prefix) prefixes.add(prefix);
        const m = /UP (.*)\n/.exec(out);
        if (m) resolve(JSON.parse(m[1]!) as LabProcess[]);
      });
      child.on('exit', (code) => reject(new Error(`child exited ${code} before the control plane was up: ${errText.slice(-2000)}`)));
    });
    expect(procs.filter(isRunning).map((p) => p.name)).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager']);
    child.kill('SIGTERM');
    await exited;
    expect(procs.filter(isRunning)).toEqual([]);
    expect(leftovers([...prefixes].filter((p) => out.includes(p)))).toEqual([]);
  });

  it('a state file written before labs recorded processes still reads, as a lab with none', () => {
    const prefix = 'pbc0ffe';
    const file = path.join(STATE_DIR, `${prefix}.json`);
    const old = { prefix, scenario, faults: [], pid: 1, detached: true, createdAt: '2026-11-01T00:00:00.000Z' };
    mkdirSync(STATE_DIR, { recursive: true });
    writeFileSync(file, JSON.stringify(old));
    try {
      expect(readState(prefix).processes).toEqual([]);
    } finally {
      rmSync(file, { force: true });
    }
    expect(readdirSync(STATE_DIR)).not.toContain(`${prefix}.json`);
  });
});
