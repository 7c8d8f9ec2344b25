import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { buildNode, buildPod, buildUnderlay, createNamespaces, inParallel, loadRules } from './build.js';
import { assertLabCapable } from './capability.js';
import { controlPlaneNetns, startControlPlane, type ControlPlane } from './controlPlane/start.js';
import { k8sBinDir } from './controlPlane/binaries.js';
import { makeKubectl, type Kubectl } from './controlPlane/kubectl.js';
import { stopProcesses } from './controlPlane/processes.js';
import { writeCniFiles } from './cniFiles.js';
import { readCounters, type RuleCounters } from './counters.js';
import { run, type ExecResult } from './exec.js';
import { FAULT_NAMES, type FaultName } from './faultNames.js';
import { PREFIX_RE, newPrefix } from './names.js';
import { planLab, type LabPlan } from './plan.js';
import { plantFault } from './plantFaults.js';
import { startPodServer } from './podServers.js';
import { probe, type ProbeOptions, type ProbeResult, type ProbeTarget } from './probe.js';
import { recordBundle } from './record.js';
import { Scenario } from './scenario.js';
import { deletePods, populateApi } from './kubernetes/populate.js';
import { startKubeProxies, waitForSync } from './kubernetes/kubeProxyDaemons.js';
import { forgetProcesses, labDir, removeState, writeState } from './state.js';
import { destroyPrefix, destroyPrefixSync } from './teardown.js';

export interface Lab {
  prefix: string;
  scenario: Scenario;
  plan: LabPlan;
  /** netns name of a node's host namespace. */
  nodeNetns(node: string): string;
  podNetns(namespace: string, pod: string): string;
  /** kubectl against the lab's own API server (run inside the lab's control-plane namespace). */
  kubectl(): Promise<Kubectl>;
  /**
   * What `kubectl get nodes,namespaces,pods,services,endpointslices,networkpolicies -A -o json` prints from the
   * lab's real API server now: the bundle's cluster.json.
   */
  clusterList(): Promise<unknown>;
  /**
   * Completed IPv4 rule syncs per node as each real kube-proxy's own metrics reported them when the lab came up
   * (empty when the scenario runs no kube-proxy).
   */
  kubeProxySyncs: ReadonlyMap<string, number>;
  exec(netns: string, cmd: string, args: string[], opts?: { timeoutMs?: number }): Promise<ExecResult>;
  probe(from: string, to: ProbeTarget, opts?: ProbeOptions): Promise<ProbeResult>;
  counters(node: string): Promise<RuleCounters>;
  record(dir: string, opts?: { agentBin?: string }): Promise<void>;
  teardown(): Promise<void>;
}

export interface StartLabOptions {
  prefix?: string;
  faults?: string[];
  /** Pod servers outlive this process (for `npm run lab -- up`); teardown finds them through `ip netns pids`. */
  detached?: boolean;
  /** Called with each phase's duration, for the bench. */
  onPhase?: (phase: string, ms: number) => void;
  /**
   * false: no control plane (nor API objects, nor kube-proxy); only for tests of `startControlPlane` itself,
   * which start it by hand. Needs kubeProxy 'none'. Default true.
   */
  controlPlane?: boolean;
}

// Labs this process still owns: torn down on exit and on SIGINT/SIGTERM, whatever the caller does.
const live = new Map<string, { children: ChildProcess[]; detached: boolean }>();
let handlersInstalled = false;

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const cleanup = () => {
    for (const [prefix, l] of live) {
      if (l.detached) continue;
      destroyPrefixSync(prefix);
      removeState(prefix);
    }
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      cleanup();
      live.clear();
      process.kill(process.pid, sig);
    });
  }
}

function checkFaults(faults: string[]): FaultName[] {
  for (const f of faults) {
    if (!(FAULT_NAMES as readonly string[]).includes(f)) throw new Error(`unknown fault "${f}" (known: ${FAULT_NAMES.join(', ')})`);
  }
  return [...new Set(faults)] as FaultName[];
}

export async function startLab(scenarioInput: Scenario, opts: StartLabOptions = {}): Promise<Lab> {
  assertLabCapable();
  const scenario = Scenario.parse(scenarioInput);
  const prefix = opts.prefix ?? newPrefix();
  if (!PREFIX_RE.test(prefix)) throw new Error(`lab prefix "${prefix}" must be "pb" followed by 4-6 hex digits`);
  const faults = checkFaults([...scenario.faults, ...(opts.faults ?? [])]);
  const withControlPlane = opts.controlPlane ?? true;
  if (!withControlPlane && scenario.kubeProxy !== 'none') throw new Error(`kube-proxy (${scenario.kubeProxy} mode) needs the lab's control plane; do not pass controlPlane: false`);
  const plan = planLab({ ...scenario, faults }, prefix, faults);
  const existing = (await run('ip', ['netns', 'list'])).stdout.split('\n').some((l) => l.startsWith(`${prefix}-`));
  if (existing) throw new Error(`namespaces with prefix ${prefix} already exist; pick another prefix or run \`npm run lab -- down ${prefix}\``);

  installHandlers();
  const state = { children: [] as ChildProcess[], detached: !!opts.detached };
  const syncs = new Map<string, number>();
  live.set(prefix, state);
  writeState({ prefix, scenario: plan.scenario, faults, pid: process.pid, detached: !!opts.detached, createdAt: new Date().toISOString() });
  const phase = async (name: string, fn: () => Promise<void>) => {
    const t0 = performance.now();
    await fn();
    opts.onPhase?.(name, performance.now() - t0);
  };
  let servers: Promise<void> = Promise.resolve();
  try {
    await phase('namespaces', () => createNamespaces(plan));
    const pods = plan.pods.filter((p) => p.present);
    // Pod servers bind 0.0.0.0, which works before the pod has an address; starting them now overlaps their
    // start-up (a Node process each, the slowest part) with the wiring below.
    servers = inParallel(pods, 4, async (p) => {
      state.children.push(await startPodServer(p, { detached: opts.detached }));
    });
    servers.catch(() => {});
    await phase('underlay', () => buildUnderlay(plan));
    await phase('nodes', () => inParallel(plan.nodes, 3, (n) => buildNode(plan, n)));
    await phase('pods', () => inParallel(pods, 6, (p) => buildPod(plan, p)));
    await phase('cni rules', () => inParallel(plan.nodes, 3, (n) => loadRules(plan, n)));
    let uids = new Map<string, string>();
    const cp: ControlPlane | null = withControlPlane ? await startControlPlane({ prefix, plan }, { onPhase: (p, ms) => opts.onPhase?.(`control plane: ${p}`, ms) }) : null;
    if (cp) {
      await phase('API objects', async () => {
        uids = await populateApi(plan, cp.kubectl);
      });
    }
    if (cp && scenario.kubeProxy !== 'none') {
      const procs = await startKubeProxies(plan, { binDir: cp.binDir, kubeconfig: cp.kubeProxyKubeconfig });
      await phase('kube-proxy first sync', async () => {
        for (const [netns, n] of await waitForSync(procs)) syncs.set(plan.nodes.find((x) => x.netns === netns)!.name, n);
      });
      if (faults.includes('stale-service-rule')) {
        // kube-proxy goes down on every node (a crash-looping DaemonSet), then the cart pods are deleted: the
        // API and its EndpointSlices move on, the rules kube-proxy last wrote stay.
        await phase('stale rules', async () => {
          const stuck = await stopProcesses(procs);
          if (stuck.length > 0) throw new Error(`cannot stop ${stuck.map((p) => p.name).join(', ')}`);
          forgetProcesses(prefix, procs);
          await deletePods(cp.kubectl, plan.targets.cartPods.map((p) => p.key));
        });
      }
    }
    await phase('cni files', () => inParallel(plan.nodes, 3, (n) => writeCniFiles(plan, n, uids)));
    await phase('servers (waiting)', () => servers);
    await phase('faults', async () => {
      for (const f of faults) await plantFault(plan, f);
    });
  } catch (err) {
    // Let every server start (or fail) first, so none is spawned into a namespace after teardown emptied it.
    await servers.catch(() => {});
    await teardownLab(prefix);
    throw err;
  }
  return makeLab(plan, syncs);
}

async function teardownLab(prefix: string): Promise<void> {
  const state = live.get(prefix);
  live.delete(prefix);
  for (const c of state?.children ?? []) if (c.exitCode === null) c.kill('SIGKILL');
  const failed = await destroyPrefix(prefix);
  removeState(prefix);
  if (failed.length > 0) throw new Error(`teardown of ${prefix} left namespaces behind:\n  ${failed.join('\n  ')}`);
}

/** A Lab handle for a plan, whether this process built it or found it through a state file. */
export function makeLab(plan: LabPlan, kubeProxySyncs: ReadonlyMap<string, number> = new Map()): Lab {
  let kubectl: Promise<Kubectl> | undefined;
  const nodes = new Map(plan.nodes.map((n) => [n.name, n]));
  const pods = new Map(plan.pods.map((p) => [p.key, p]));
  const lab: Lab = {
    prefix: plan.prefix,
    scenario: plan.scenario,
    plan,
    nodeNetns(node) {
      const n = nodes.get(node);
      if (!n) throw new Error(`lab ${plan.prefix} has no node ${node} (nodes: ${[...nodes.keys()].join(', ')})`);
      return n.netns;
    },
    podNetns(namespace, pod) {
      const p = pods.get(`${namespace}/${pod}`);
      if (!p) throw new Error(`lab ${plan.prefix} has no pod ${namespace}/${pod}`);
      if (!p.present) throw new Error(`pod ${namespace}/${pod} was removed by a fault in lab ${plan.prefix}`);
      return p.netns;
    },
    kubectl() {
      kubectl ??= k8sBinDir().then((binDir) => makeKubectl({ netns: controlPlaneNetns(plan.prefix), binDir, kubeconfig: path.join(labDir(plan.prefix), 'kubeconfig') }));
      return kubectl;
    },
    async clusterList() {
      return (await lab.kubectl()).getJson(['nodes,namespaces,pods,services,endpointslices,networkpolicies', '-A']);
    },
    kubeProxySyncs,
    exec(netns, cmd, args, opts) {
      if (!netns.startsWith(`${plan.prefix}-`)) return Promise.reject(new Error(`${netns} is not a namespace of lab ${plan.prefix}`));
      return run('ip', ['netns', 'exec', netns, cmd, ...args], { timeoutMs: opts?.timeoutMs ?? 30_000 });
    },
    probe(from, to, opts) {
      if (!from.startsWith(`${plan.prefix}-`)) return Promise.reject(new Error(`${from} is not a namespace of lab ${plan.prefix}`));
      return probe(from, to, opts);
    },
    counters: (node) => readCounters(lab.nodeNetns(node)),
    record: (dir, opts) => recordBundle(lab, dir, opts),
    teardown: () => teardownLab(plan.prefix),
  };
  return lab;
}

/** Starts a lab, runs fn, and always tears the lab down (even when fn throws). */
export async function withLab<T>(scenario: Scenario, opts: StartLabOptions, fn: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await startLab(scenario, opts);
  try {
    return await fn(lab);
  } finally {
    await lab.teardown();
  }
}
