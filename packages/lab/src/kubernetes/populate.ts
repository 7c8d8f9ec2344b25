import type { Kubectl } from '../controlPlane/kubectl.js';
import { inParallel } from '../build.js';
import type { LabPlan } from '../plan.js';
import { apiObjects } from './apiObjects.js';

// Puts a planned lab's cluster into its real API server, in the order a real cluster gets there: Nodes (and
// their addresses, as a kubelet posts them), Namespaces, then, once the serviceaccount controller has made each
// namespace's `default` ServiceAccount (admission refuses pods before that), Pods bound to their nodes with
// Running/Ready status, Services and NetworkPolicies. It then waits until the EndpointSlice controller has
// published every selected service's ready endpoints, so kube-proxy's first sync sees the whole cluster.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(150);
  }
}

interface SliceList {
  items: { metadata: { namespace: string; labels?: Record<string, string> }; endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] | null }[];
}

/** Ready endpoint addresses per "ns/service", as the EndpointSlice controller published them. */
export async function readyEndpoints(kubectl: Kubectl): Promise<Map<string, Set<string>>> {
  const list = (await kubectl.getJson(['endpointslices', '-A'])) as SliceList;
  const out = new Map<string, Set<string>>();
  for (const s of list.items) {
    const svc = s.metadata.labels?.['kubernetes.io/service-name'];
    if (!svc) continue;
    const key = `${s.metadata.namespace}/${svc}`;
    const set = out.get(key) ?? new Set<string>();
    for (const e of s.endpoints ?? []) if (e.conditions?.ready !== false) for (const a of e.addresses) set.add(a);
    out.set(key, set);
  }
  return out;
}

/** Creates the lab's objects; returns each pod's uid ("ns/name" -> uid) as the API server assigned it. */
export async function populateApi(plan: LabPlan, kubectl: Kubectl, opts: { timeoutMs?: number } = {}): Promise<Map<string, string>> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const o = apiObjects(plan);
  await kubectl.create([...o.namespaces, ...o.nodes]);
  await inParallel([...o.nodeStatus], 4, async ([name, status]) => {
    await kubectl.must(['patch', 'node', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
  });
  for (const ns of plan.scenario.namespaces) {
    await until(`ServiceAccount ${ns}/default (made by the serviceaccount controller)`, timeoutMs, async () => (await kubectl.run(['get', 'serviceaccount', 'default', '-n', ns])).code === 0);
  }
  const rest = [...o.pods, ...o.services, ...o.networkPolicies];
  if (rest.length > 0) await kubectl.create(rest);
  await inParallel([...o.podStatus], 4, async ([key, status]) => {
    const [ns, name] = key.split('/') as [string, string];
    await kubectl.patchPodStatus(ns, name, status);
  });
  // What each selected service's slices must hold: the IPs of the pods its selector matches.
  const want = new Map<string, Set<string>>();
  for (const svc of plan.scenario.services) {
    if (!svc.selector) continue;
    const ips = plan.pods.filter((p) => p.pod.namespace === svc.namespace && Object.entries(svc.selector!).every(([k, v]) => p.pod.labels[k] === v)).map((p) => p.ip);
    want.set(`${svc.namespace}/${svc.name}`, new Set(ips));
  }
  let last = new Map<string, Set<string>>();
  const same = (a: Set<string> | undefined, b: Set<string>) => (a?.size ?? 0) === b.size && [...b].every((x) => a?.has(x));
  try {
    await until('the EndpointSlice controller to publish every service', timeoutMs, async () => {
      last = await readyEndpoints(kubectl);
      return [...want].every(([k, ips]) => (ips.size === 0 ? last.has(k) : same(last.get(k), ips)));
    });
  } catch (err) {
    const off = [...want].filter(([k, ips]) => !same(last.get(k), ips)).map(([k, ips]) => `${k}: want [${[...ips].join(', ')}], have [${[...(last.get(k) ?? [])].join(', ')}]`);
    throw new Error(`${(err as Error).message}\n  ${off.join('\n  ')}`, { cause: err });
  }
  const pods = (await kubectl.getJson(['pods', '-A'])) as { items: { metadata: { namespace: string; name: string; uid: string } }[] };
  return new Map(pods.items.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p.metadata.uid]));
}

/** Deletes pods ("ns/name") through the API and waits until no EndpointSlice lists their IPs any more. */
export async function deletePods(kubectl: Kubectl, keys: readonly string[], timeoutMs = 30_000): Promise<void> {
  const ips = new Set<string>();
  for (const key of keys) {
    const [ns, name] = key.split('/') as [string, string];
    const pod = (await kubectl.getJson(['pod', name, '-n', ns])) as { status?: { podIP?: string } };
    if (pod.status?.podIP) ips.add(pod.status.podIP);
    // No kubelet will confirm the containers stopped: delete at once, as `--force` does for a lost node.
    await kubectl.must(['delete', 'pod', name, '-n', ns, '--grace-period=0', '--force', '--wait=false']);
  }
  await until(`EndpointSlices to drop ${[...ips].join(', ')}`, timeoutMs, async () => {
    const eps = await readyEndpoints(kubectl);
    return [...eps.values()].every((set) => [...ips].every((ip) => !set.has(ip)));
  });
}
