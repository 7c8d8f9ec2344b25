import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LabPlan, NodePlan, PodPlan } from './plan.js';
import { STATE_DIR } from './state.js';

// What the CNI leaves on a node's disk: its configuration (/etc/cni/net.d) and libcni's result cache
// (/var/lib/cni/results), which ties each pod to its sandbox namespace. Lab nodes share one filesystem, so each
// node gets its own copy under the lab's state directory; `record` points the agent at it
// (--cni-conf-dir, --cni-results-dir), exactly as it would read the real paths on a node.

export function cniDirs(prefix: string, node: string): { confDir: string; resultsDir: string } {
  const base = path.join(STATE_DIR, prefix, node);
  return { confDir: path.join(base, 'etc/cni/net.d'), resultsDir: path.join(base, 'var/lib/cni/results') };
}

/** The pause container's id: stable per lab and pod, 64 hex digits like containerd's. */
export function sandboxId(prefix: string, pod: PodPlan): string {
  return createHash('sha256').update(`${prefix}/${pod.key}`).digest('hex');
}

function networkName(plan: LabPlan): string {
  return plan.scenario.cni === 'calico-routed' ? 'k8s-pod-network' : 'cbr0';
}

function confList(plan: LabPlan, node: NodePlan): { file: string; body: unknown } {
  if (plan.scenario.cni === 'calico-routed') {
    return {
      file: '10-calico.conflist',
      body: {
        name: 'k8s-pod-network',
        cniVersion: '0.3.1',
        plugins: [
          { type: 'calico', datastore_type: 'kubernetes', nodename: node.name, mtu: 0, ipam: { type: 'calico-ipam' }, policy: { type: 'k8s' }, kubernetes: { kubeconfig: '/etc/cni/net.d/calico-kubeconfig' } },
          { type: 'portmap', snat: true, capabilities: { portMappings: true } },
        ],
      },
    };
  }
  return {
    file: '10-flannel.conflist',
    body: { name: 'cbr0', cniVersion: '0.3.1', plugins: [{ type: 'flannel', delegate: { hairpinMode: true, isDefaultGateway: true } }, { type: 'portmap', capabilities: { portMappings: true } }] },
  };
}

function cacheEntry(plan: LabPlan, pod: PodPlan, uid: string): unknown {
  const id = sandboxId(plan.prefix, pod);
  const sandbox = `/var/run/netns/${pod.netns}`;
  const bridge = plan.scenario.cni !== 'calico-routed';
  return {
    kind: 'cniCacheV1',
    containerId: id,
    ifName: 'eth0',
    networkName: networkName(plan),
    netns: sandbox,
    cniArgs: [
      ['IgnoreUnknown', '1'],
      ['K8S_POD_NAMESPACE', pod.pod.namespace],
      ['K8S_POD_NAME', pod.pod.name],
      ['K8S_POD_INFRA_CONTAINER_ID', id],
      ['K8S_POD_UID', uid],
    ],
    result: {
      cniVersion: '0.3.1',
      interfaces: bridge ? [{ name: 'cni0' }, { name: pod.hostVeth }, { name: 'eth0', sandbox }] : [{ name: pod.hostVeth }, { name: 'eth0', sandbox }],
      ips: [{ version: '4', interface: bridge ? 2 : 1, address: `${pod.ip}/${bridge ? 24 : 32}`, ...(bridge ? { gateway: pod.node.gateway } : {}) }],
      dns: {},
    },
  };
}

/** `uids`: each pod's uid as the API server assigned it ("ns/name" -> uid); the CNI cache must name the same. */
export async function writeCniFiles(plan: LabPlan, node: NodePlan, uids: ReadonlyMap<string, string>): Promise<void> {
  const { confDir, resultsDir } = cniDirs(plan.prefix, node.name);
  await mkdir(confDir, { recursive: true });
  await mkdir(resultsDir, { recursive: true });
  const conf = confList(plan, node);
  await writeFile(path.join(confDir, conf.file), `${JSON.stringify(conf.body, null, 2)}\n`);
  for (const pod of plan.pods.filter((p) => p.present && p.node === node)) {
    // Without a control plane (tests of startControlPlane alone) no uid exists yet: a placeholder stands in.
    const uid = uids.get(pod.key) ?? `00000000-0000-4000-8000-${createHash('sha256').update(pod.key).digest('hex').slice(0, 12)}`;
    await writeFile(path.join(resultsDir, `${networkName(plan)}-${sandboxId(plan.prefix, pod)}-eth0`), JSON.stringify(cacheEntry(plan, pod, uid)));
  }
}
