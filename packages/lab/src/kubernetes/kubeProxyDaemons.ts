import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from '../exec.js';
import type { LabPlan, NodePlan } from '../plan.js';
import { labDir, type LabProcess } from '../state.js';
import { logTail } from '../controlPlane/logTail.js';
import { isRunning, startProcess } from '../controlPlane/processes.js';

// Real kube-proxy, one per lab node, inside the node's namespace, configured the way a cluster runs it
// (kubeadm's defaults plus what a namespace needs). The lab never writes a service rule itself.

export const KUBE_PROXY_METRICS = '127.0.0.1:10249';
export const KUBE_PROXY_HEALTHZ = '0.0.0.0:10256';

/** The KubeProxyConfiguration for one node (JSON is YAML). */
export function kubeProxyConfig(plan: LabPlan, node: NodePlan, kubeconfig: string): object {
  const mode = plan.scenario.kubeProxy;
  if (mode === 'none') throw new Error('kubeProxy is none: no kube-proxy to configure');
  return {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig },
    // The Node object's name: kube-proxy reads its addresses and picks its local endpoints by it.
    hostnameOverride: node.name,
    mode,
    clusterCIDR: plan.scenario.clusterCIDR,
    detectLocalMode: 'ClusterCIDR',
    iptables: { masqueradeAll: false },
    nftables: { masqueradeAll: false },
    // 0 leaves nf_conntrack_max as it is: a network namespace cannot set it (it is the host's), and kube-proxy
    // would fail trying. The per-namespace TCP timeouts it sets are fine.
    conntrack: { maxPerCore: 0, min: 0 },
    // Bound inside the node's namespace: loopback for metrics, the namespace's own addresses for healthz
    // (a load balancer's health checks would reach it there).
    metricsBindAddress: KUBE_PROXY_METRICS,
    healthzBindAddress: KUBE_PROXY_HEALTHZ,
    // A lab process should not make itself the kernel's last OOM victim, as a node's kube-proxy does.
    oomScoreAdj: 0,
  };
}

/** Starts kube-proxy in every node namespace (recorded in the lab state the moment each runs). */
export async function startKubeProxies(plan: LabPlan, o: { binDir: string; kubeconfig: string; onProcess?: (p: LabProcess) => void }): Promise<LabProcess[]> {
  const procs: LabProcess[] = [];
  for (const node of plan.nodes) {
    const dir = path.join(labDir(plan.prefix), 'kube-proxy', node.name);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, `${JSON.stringify(kubeProxyConfig(plan, node, o.kubeconfig), null, 1)}\n`, { mode: 0o600 });
    procs.push(
      await startProcess({
        prefix: plan.prefix,
        netns: node.netns,
        name: `kube-proxy-${node.name}`,
        exe: path.join(o.binDir, 'kube-proxy'),
        args: [`--config=${config}`],
        log: path.join(dir, 'kube-proxy.log'),
        onProcess: o.onProcess,
      }),
    );
  }
  return procs;
}

/** kube-proxy's Prometheus metrics, read from inside its namespace. */
export async function kubeProxyMetrics(netns: string): Promise<string | null> {
  const r = await run('ip', ['netns', 'exec', netns, 'curl', '-sS', '--max-time', '2', `http://${KUBE_PROXY_METRICS}/metrics`], { timeoutMs: 5_000 });
  return r.code === 0 ? r.stdout : null;
}

/**
 * One sample of a metric without labels, or the sum over its label sets; with `labels`, only the samples that
 * carry each of them (e.g. {ip_family: 'IPv4'}). Null when absent.
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | null {
  let sum: number | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    if (!Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) continue;
    const v = Number(m[3]);
    if (Number.isFinite(v)) sum = (sum ?? 0) + v;
  }
  return sum;
}

/** Completed rule syncs so far (kube-proxy's own count), one sample per IP family's proxier. */
export const SYNC_COUNT_METRIC = 'kubeproxy_sync_proxy_rules_duration_seconds_count';
/** The lab's rules are all IPv4: kube-proxy's IPv6 proxier syncing first proves nothing about them. */
export const IPV4 = { ip_family: 'IPv4' } as const;

/**
 * Waits until every kube-proxy's IPv4 proxier completed a full sync after startup (its own metrics say so): only then do the
 * node's rules reflect the API's objects. Fails at once with the log tail if one exits.
 */
export async function waitForSync(procs: readonly LabProcess[], timeoutMs = 60_000): Promise<Map<string, number>> {
  const done = new Map<string, number>();
  const until = Date.now() + timeoutMs;
  for (;;) {
    for (const p of procs) {
      if (done.has(p.netns)) continue;
      if (!isRunning(p)) throw new Error(`${p.name} exited before its first sync; last lines of ${p.log}:\n${logTail(p.log)}`);
      const text = await kubeProxyMetrics(p.netns);
      const count = text ? metricValue(text, SYNC_COUNT_METRIC, IPV4) : null;
      if (count !== null && count > 0) done.set(p.netns, count);
    }
    if (done.size === procs.length) return done;
    if (Date.now() > until) {
      const slow = procs.filter((p) => !done.has(p.netns));
      throw new Error(`kube-proxy did not sync within ${timeoutMs} ms on ${slow.map((p) => p.name).join(', ')}; last lines of ${slow[0]!.log}:\n${logTail(slow[0]!.log)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
