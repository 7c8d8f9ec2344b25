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
  items: {
    metadata: { namespace: string; labels?: Record<string, string> };
    endpoints?: { addresses: string[]; conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean } }[] | null;
  }[];
}

/** How the EndpointSlices list an address: ready, or serving while terminating (kube-proxy's fallback). */
export type EndpointState = 'ready' | 'terminating' | 'not-ready';

/** Every listed endpoint address per "ns/service", with its state, as the slices say now. */
export async function endpointStates(kubectl: Kubectl): Promise<Map<string, Map<string, EndpointState>>> {
  const list = (await kubectl.getJson(['endpointslices', '-A'])) as SliceList;
  const out = new Map<string, Map<string, EndpointState>>();
  for (const s of list.items) {
    const svc = s.metadata.labels?.['kubernetes.io/service-name'];
    if (!svc) continue;
    const key = `${s.metadata.namespace}/${svc}`;
    const m = out.get(key) ?? new Map<string, EndpointState>();
    for (const e of s.endpoints ?? []) {
      const c = e.conditions ?? {};
      const state: EndpointState = c.ready !== false ? 'ready' : c.terminating && c.serving !== false ? 'terminating' : 'not-ready';
      for (const a of e.addresses) m.set(a, state);
    }
    out.set(key, m);
  }
  return out;
}

/** Creates the lab's objects; returns each pod's uid ("ns/name" -> uid) as the API server assigned it. */
export async function populateApi(plan: LabPlan, kubectl: Kubectl, opts: { timeoutMs?: number } = {}): Promise<Map<string, string>> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const o = apiObjects(plan);
  await kubectl.create([...o.namespaces, ...o.nodes]);
  await inParallel([...o.nodeStatus], 4, ([name, status]) => kubectl.patchStatus('node', null, name, status));
  for (const ns of plan.scenario.namespaces) {
    await until(`ServiceAccount ${ns}/default (made by the serviceaccount controller)`, timeoutMs, async () => (await kubectl.run(['get', 'serviceaccount', 'default', '-n', ns])).code === 0);
  }
  const rest = [...o.pods, ...o.services, ...o.endpointSlices, ...o.networkPolicies];
  if (rest.length > 0) await kubectl.create(rest);
  const namespaced = (resource: 'pod' | 'service') => ([key, status]: [string, object]) => {
    const [ns, name] = key.split('/') as [string, string];
    return kubectl.patchStatus(resource, ns, name, status);
  };
  await inParallel([...o.podStatus], 4, namespaced('pod'));
  await inParallel([...o.serviceStatus], 4, namespaced('service'));
  // Terminating pods: deleted now; the finalizer keeps them (and their servers) while the controller marks
  // their endpoints serving and terminating, not ready.
  for (const key of o.terminating) {
    const [ns, name] = key.split('/') as [string, string];
    await kubectl.must(['delete', 'pod', name, '-n', ns, '--wait=false']);
  }
  // What each selected service's slices must hold: every pod its selector matches, ready or terminating.
  const want = new Map<string, Map<string, EndpointState>>();
  for (const svc of plan.scenario.services) {
    if (!svc.selector) continue;
    const selected = (p: LabPlan['pods'][number]) => p.pod.namespace === svc.namespace && Object.entries(svc.selector!).every(([k, v]) => p.pod.labels[k] === v);
    want.set(`${svc.namespace}/${svc.name}`, new Map(plan.pods.filter(selected).map((p) => [p.ip, p.pod.terminating ? 'terminating' : 'ready'])));
  }
  let last = new Map<string, Map<string, EndpointState>>();
  const show = (m: Map<string, EndpointState> | undefined) => [...(m ?? [])].map(([ip, st]) => `${ip} ${st}`).join(', ');
  const same = (a: Map<string, EndpointState> | undefined, b: Map<string, EndpointState>) => a !== undefined && a.size === b.size && [...b].every(([ip, st]) => a.get(ip) === st);
  try {
    await until('the EndpointSlice controller to publish every service', timeoutMs, async () => {
      last = await endpointStates(kubectl);
      return [...want].every(([k, eps]) => same(last.get(k), eps));
    });
  } catch (err) {
    const off = [...want].filter(([k, eps]) => !same(last.get(k), eps)).map(([k, eps]) => `${k}: want [${show(eps)}], have [${show(last.get(k))}]`);
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
    const eps = await endpointStates(kubectl);
    return [...eps.values()].every((m) => [...ips].every((ip) => !m.has(ip)));
  });
}
