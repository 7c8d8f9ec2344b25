import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ipBatch, must, run } from '../exec.js';
import { PREFIX_RE } from '../names.js';
import type { LabPlan } from '../plan.js';
import { forgetProcesses, labDir, labShmDir, readState, type LabProcess } from '../state.js';
import { k8sBinDir } from './binaries.js';
import { makeKubectl, type Kubectl } from './kubectl.js';
import { logTail } from './logTail.js';
import { makePki, writeKubeconfig } from './pki.js';
import { isRunning, startProcess, stopProcesses } from './processes.js';

// The lab's real Kubernetes control plane: etcd, kube-apiserver and kube-controller-manager in a namespace
// `<prefix>-cp` on the lab's underlay. Nothing listens outside lab namespaces: etcd and the controller manager
// on 127.0.0.1 inside cp, the API server on the cp address only.

/** The cp namespace's underlay address: in 192.0.2.0/24, far from the nodes' 192.0.2.1x and the gateway .1. */
export const CONTROL_PLANE_IP = '192.0.2.250';
export const API_PORT = 6443;
/** The `kubernetes` service's ClusterIP: the first address of the service range. */
export const SERVICE_CIDR = '10.96.0.0/16';
export const KUBERNETES_SERVICE_IP = '10.96.0.1';

export interface ControlPlaneOptions {
  /** Where the components are; default: what `scripts/k8s/build.sh --print-dir` says. */
  binDir?: string;
  /** Bound on each readiness wait (etcd, API server, controller manager). */
  readyTimeoutMs?: number;
  /** Extra flags per component (tests inject a bogus one to prove a failed start tears down). */
  extraArgs?: Partial<Record<'etcd' | 'kube-apiserver' | 'kube-controller-manager', string[]>>;
  /** Called with each process as soon as it is recorded. */
  onProcess?: (p: LabProcess) => void;
  /** Called with each phase's duration. */
  onPhase?: (phase: string, ms: number) => void;
}

export interface ControlPlane {
  prefix: string;
  netns: string;
  address: string;
  /** https://192.0.2.250:6443 */
  server: string;
  /** The admin (system:masters) kubeconfig, in the lab's state directory. */
  kubeconfig: string;
  /** kube-proxy's kubeconfig (user system:kube-proxy, bound to system:node-proxier by the API server itself). */
  kubeProxyKubeconfig: string;
  binDir: string;
  processes: LabProcess[];
  kubectl: Kubectl;
  /** Stops the components, deletes the cp namespace and its files; the rest of the lab stays. Idempotent. */
  stop(): Promise<void>;
}

export function controlPlaneNetns(prefix: string): string {
  return `${prefix}-cp`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls check until it returns true; fails at once if the process died, or at the deadline, with its log tail. */
async function waitReady(proc: LabProcess, what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (!isRunning(proc)) throw new Error(`${proc.name} exited before ${what}; last lines of ${proc.log}:\n${logTail(proc.log)}`);
    if (await check()) return;
    if (Date.now() > until) throw new Error(`${proc.name}: no ${what} within ${timeoutMs} ms; last lines of ${proc.log}:\n${logTail(proc.log)}`);
    await sleep(200);
  }
}

/**
 * Starts the control plane for a lab whose underlay is built (after `startLab`). On any failure it stops what it
 * started, removes the cp namespace and its files, and rethrows; the caller still owns (and tears down) the lab.
 */
export async function startControlPlane(lab: { prefix: string; plan: LabPlan }, opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const { prefix, plan } = lab;
  if (!PREFIX_RE.test(prefix)) throw new Error(`lab prefix "${prefix}" must be "pb" followed by 4-6 hex digits`);
  readState(prefix); // processes are recorded there: the lab must have a state file
  const clash = plan.nodes.find((n) => n.internalIP === CONTROL_PLANE_IP);
  if (clash) throw new Error(`node ${clash.name} uses ${CONTROL_PLANE_IP}, the control plane's address; give it another internalIP`);
  const binDir = await k8sBinDir(opts.binDir);
  const readyMs = opts.readyTimeoutMs ?? 60_000;
  const netns = controlPlaneNetns(prefix);
  const dir = path.join(labDir(prefix), 'cp');
  const kubeconfig = path.join(labDir(prefix), 'kubeconfig');
  const dataDir = path.join(labShmDir(prefix), 'etcd');
  const server = `https://${CONTROL_PLANE_IP}:${API_PORT}`;
  const started: LabProcess[] = [];
  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const r = await fn();
    opts.onPhase?.(name, performance.now() - t0);
    return r;
  };

  const stop = async () => {
    const stuck = await stopProcesses(started);
    forgetProcesses(prefix, started.filter((p) => !stuck.includes(p)));
    const r = await run('ip', ['netns', 'del', netns]);
    rmSync(dir, { recursive: true, force: true });
    rmSync(kubeconfig, { force: true });
    rmSync(path.dirname(dataDir), { recursive: true, force: true });
    const left = stuck.map((p) => `${p.name} (pid ${p.pid}) still runs`);
    if (r.code !== 0 && !/No such file/.test(r.stderr)) left.push(`${netns}: ${r.stderr.trim()}`);
    if (left.length > 0) throw new Error(`stopping the control plane of ${prefix} left behind: ${left.join('; ')}`);
  };

  const start = async (name: 'etcd' | 'kube-apiserver' | 'kube-controller-manager', args: string[]) => {
    const p = await startProcess({
      prefix,
      netns,
      name,
      exe: path.join(binDir, name),
      args: [...args, ...(opts.extraArgs?.[name] ?? [])],
      log: path.join(dir, `${name}.log`),
      onProcess: opts.onProcess,
    });
    started.push(p);
    return p;
  };

  try {
    await phase('cp namespace', async () => {
      await must('ip', ['netns', 'add', netns]);
      // Joined to the underlay the way nodes are: a macvlan child of up0 made in the switch, moved into cp.
      await ipBatch(plan.switchNetns, ['link add mvcp link up0 type macvlan mode bridge', `link set mvcp netns ${netns}`]);
      await ipBatch(netns, ['link set lo up', 'link set mvcp name eth0', `addr add ${CONTROL_PLANE_IP}/24 dev eth0`, 'link set eth0 up']);
    });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const pki = await phase('certificates', () => makePki(path.join(dir, 'pki'), { prefix, address: CONTROL_PLANE_IP, serviceIP: KUBERNETES_SERVICE_IP }));
    writeKubeconfig(kubeconfig, { server, caCert: pki.caCert, cert: pki.adminCert, key: pki.adminKey, user: 'patchbay-lab-admin' });
    const cmKubeconfig = path.join(dir, 'controller-manager.kubeconfig');
    writeKubeconfig(cmKubeconfig, { server, caCert: pki.caCert, cert: pki.cmCert, key: pki.cmKey, user: 'system:kube-controller-manager' });
    const kubeProxyKubeconfig = path.join(dir, 'kube-proxy.kubeconfig');
    writeKubeconfig(kubeProxyKubeconfig, { server, caCert: pki.caCert, cert: pki.proxyCert, key: pki.proxyKey, user: 'system:kube-proxy' });
    const kubectl = makeKubectl({ netns, binDir, kubeconfig });

    const etcd = await start('etcd', [
      '--name=cp',
      `--data-dir=${dataDir}`,
      // A lab's cluster lives for minutes and is rebuilt from scratch: durability buys nothing, fsync costs.
      '--unsafe-no-fsync',
      '--listen-client-urls=http://127.0.0.1:2379',
      '--advertise-client-urls=http://127.0.0.1:2379',
      '--listen-peer-urls=http://127.0.0.1:2380',
      '--initial-advertise-peer-urls=http://127.0.0.1:2380',
      '--initial-cluster=cp=http://127.0.0.1:2380',
      '--log-level=warn',
    ]);
    await phase('etcd ready', () =>
      waitReady(etcd, 'a healthy endpoint', readyMs, async () => {
        const r = await run('ip', ['netns', 'exec', netns, path.join(binDir, 'etcdctl'), '--endpoints=http://127.0.0.1:2379', '--command-timeout=2s', 'endpoint', 'health'], { timeoutMs: 5_000 });
        return r.code === 0;
      }),
    );

    const apiserver = await start('kube-apiserver', [
      `--bind-address=${CONTROL_PLANE_IP}`,
      `--advertise-address=${CONTROL_PLANE_IP}`,
      `--secure-port=${API_PORT}`,
      '--etcd-servers=http://127.0.0.1:2379',
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--authorization-mode=Node,RBAC',
      '--allow-privileged=true',
      '--profiling=false',
    ]);
    await phase('kube-apiserver ready', () => waitReady(apiserver, 'ready /readyz', readyMs, async () => (await kubectl.run(['get', '--raw', '/readyz'], { timeoutMs: 5_000 })).code === 0));

    const cm = await start('kube-controller-manager', [
      `--kubeconfig=${cmKubeconfig}`,
      `--authentication-kubeconfig=${cmKubeconfig}`,
      `--authorization-kubeconfig=${cmKubeconfig}`,
      // Only what a cluster without kubelets needs: no node-lifecycle (pods would be evicted), no pod GC.
      '--controllers=endpointslice,endpointslicemirroring,namespace,garbagecollector,serviceaccount,serviceaccount-token',
      // Each controller acts as its own service account, under the RBAC roles the API server bootstraps.
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${pki.saKey}`,
      `--root-ca-file=${pki.caCert}`,
      // Its health port stays inside cp, on loopback.
      '--bind-address=127.0.0.1',
      '--secure-port=10257',
      // One controller manager per lab: no lease to wait for.
      '--leader-elect=false',
    ]);
    // Ready when its controllers act: the serviceaccount controller makes `default` in every namespace.
    await phase('kube-controller-manager ready', () =>
      waitReady(cm, 'ServiceAccount default/default (the serviceaccount controller at work)', readyMs, async () => (await kubectl.run(['get', 'serviceaccount', 'default', '-n', 'default'], { timeoutMs: 5_000 })).code === 0),
    );

    return { prefix, netns, address: CONTROL_PLANE_IP, server, kubeconfig, kubeProxyKubeconfig, binDir, processes: [...started], kubectl, stop };
  } catch (err) {
    try {
      await stop();
    } catch (e) {
      throw new Error(`${(err as Error).message}\n(and the cleanup failed: ${(e as Error).message})`, { cause: e });
    }
    throw err;
  }
}
