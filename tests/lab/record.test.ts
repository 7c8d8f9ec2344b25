// Recording: cluster.json is what the lab's real API server says (server-assigned identities, the API server's
// own `kubernetes` service, the EndpointSlice controller's slices), the real agent's snapshot of every node sits
// beside it, and the two agree on who each pod is. The bundle passes readBundle (strict).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundle, sectionText, type Bundle } from '@patchbay/bundle';
import { API_PORT, CONTROL_PLANE_IP, KUBERNETES_SERVICE_IP, assertLabCapable, isRunning, loadScenario, readState, startLab, withLab, type Lab } from '@patchbay/lab';
import { leftovers } from './flows.js';

const pexec = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = (args: string[]) => pexec(`${root}node_modules/.bin/tsx`, [`${root}packages/lab/src/cli.ts`, ...args], { cwd: root });
const prefixes = new Set<string>();
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'pb-bundle-'));
  dirs.push(d);
  return d;
};

interface Meta {
  namespace?: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  ownerReferences?: { kind: string; name: string; uid: string }[];
}
interface Item {
  kind: string;
  metadata: Meta;
  spec?: { clusterIP?: string; selector?: Record<string, string> };
  endpoints?: { addresses: string[]; targetRef?: { kind: string; namespace: string; name: string; uid: string } }[] | null;
  ports?: { name?: string; port?: number; protocol?: string }[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const key = (m: Meta) => `${m.namespace ?? ''}/${m.name}`;

beforeAll(() => assertLabCapable());
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  expect(leftovers(prefixes)).toEqual([]);
});

describe('record flannel-vxlan from its API server', () => {
  let lab: Lab;
  let dir: string;
  let b: Bundle;
  let items: Item[];

  beforeAll(async () => {
    lab = await startLab(loadScenario('flannel-vxlan'));
    prefixes.add(lab.prefix);
    dir = tmp();
    await lab.record(dir);
    b = await readBundle(dir);
    items = (JSON.parse(readFileSync(path.join(dir, 'cluster.json'), 'utf8')) as { items: Item[] }).items;
  }, 180_000);
  afterAll(async () => {
    const procs = lab ? readState(lab.prefix).processes : [];
    await lab?.teardown();
    // What the lab ran (control plane, kube-proxy) stops with it.
    expect(procs.filter(isRunning).map((p) => p.name)).toEqual([]);
  }, 60_000);

  it('reads back with every node observed and every planned pod and service listed', () => {
    expect(b.snapshots.map((s) => s.nodeName)).toEqual(['n1', 'n2', 'n3']);
    expect(b.cluster.pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort()).toEqual(lab.plan.pods.map((p) => p.key).sort());
    // The scenario's services, and the API server's own.
    expect(b.cluster.services.map((s) => `${s.metadata.namespace}/${s.metadata.name}`).sort()).toEqual(
      [...lab.scenario.services.map((s) => `${s.namespace}/${s.name}`), 'default/kubernetes'].sort(),
    );
    expect(b.meta?.source).toBe('lab flannel-vxlan');
  });

  it('carries identities only an API server assigns: a distinct uid and a resourceVersion on every object', () => {
    expect(items.length).toBeGreaterThan(30);
    for (const i of items) {
      expect(i.metadata.uid, `${i.kind} ${key(i.metadata)}`).toMatch(UUID);
      expect(i.metadata.resourceVersion, `${i.kind} ${key(i.metadata)}`).toMatch(/^[1-9][0-9]*$/);
    }
    expect(new Set(items.map((i) => i.metadata.uid)).size).toBe(items.length);
    // Namespaces the API server makes for itself.
    expect(items.filter((i) => i.kind === 'Namespace').map((i) => i.metadata.name)).toEqual(expect.arrayContaining(['kube-system', 'kube-public', 'kube-node-lease']));
  });

  it('lists the default/kubernetes service, its slice pointing at the API server on the underlay', () => {
    const svc = items.find((i) => i.kind === 'Service' && key(i.metadata) === 'default/kubernetes');
    expect(svc?.spec?.clusterIP).toBe(KUBERNETES_SERVICE_IP);
    const slices = items.filter((i) => i.kind === 'EndpointSlice' && i.metadata.namespace === 'default' && i.metadata.labels?.['kubernetes.io/service-name'] === 'kubernetes');
    expect(slices).toHaveLength(1);
    expect(slices[0]!.endpoints?.flatMap((e) => e.addresses)).toEqual([CONTROL_PLANE_IP]);
    expect(slices[0]!.ports).toEqual([expect.objectContaining({ name: 'https', port: API_PORT, protocol: 'TCP' })]);
  });

  it("has the EndpointSlice controller's slices for every selected service, owned by the service, naming pods by uid", () => {
    const byKey = new Map(items.map((i) => [`${i.kind} ${key(i.metadata)}`, i]));
    const selected = lab.scenario.services.filter((s) => s.selector);
    expect(selected.length).toBeGreaterThan(5);
    for (const s of selected) {
      const svc = byKey.get(`Service ${s.namespace}/${s.name}`)!;
      const slices = items.filter((i) => i.kind === 'EndpointSlice' && i.metadata.namespace === s.namespace && i.metadata.labels?.['kubernetes.io/service-name'] === s.name);
      expect(slices.length, `${s.namespace}/${s.name}`).toBeGreaterThan(0);
      for (const sl of slices) {
        expect(sl.metadata.labels?.['endpointslice.kubernetes.io/managed-by'], `${key(sl.metadata)}`).toBe('endpointslice-controller.k8s.io');
        expect(sl.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Service', name: s.name, uid: svc.metadata.uid })]);
        for (const e of sl.endpoints ?? []) {
          const pod = byKey.get(`Pod ${e.targetRef!.namespace}/${e.targetRef!.name}`);
          expect(e.targetRef!.uid).toBe(pod?.metadata.uid);
        }
      }
      // The addresses are those of the pods the selector matches (checkout selects none).
      const ips = slices.flatMap((sl) => (sl.endpoints ?? []).flatMap((e) => e.addresses)).sort();
      const want = lab.plan.pods.filter((p) => p.pod.namespace === s.namespace && Object.entries(s.selector!).every(([k, v]) => p.pod.labels[k] === v)).map((p) => p.ip);
      expect(ips, `${s.namespace}/${s.name}`).toEqual(want.sort());
    }
  });

  it("names each pod in the CNI cache by the API's uid, and the snapshot ties the pod's namespace to that sandbox", () => {
    const uids = new Map(items.filter((i) => i.kind === 'Pod').map((i) => [key(i.metadata), i.metadata.uid]));
    let seen = 0;
    for (const snap of b.snapshots) {
      for (const r of snap.cni.results) {
        const entry = JSON.parse(r.content!) as { containerId: string; netns: string; cniArgs: [string, string][] };
        const args = new Map(entry.cniArgs);
        const podKey = `${args.get('K8S_POD_NAMESPACE')}/${args.get('K8S_POD_NAME')}`;
        expect(args.get('K8S_POD_UID'), podKey).toBe(uids.get(podKey));
        // The agent's join: the namespace the cache names as the sandbox is the pod, by the same container id.
        const ns = snap.namespaces.find((n) => n.names.includes(path.basename(entry.netns)));
        expect(ns?.pod, podKey).toEqual({ namespace: args.get('K8S_POD_NAMESPACE'), name: args.get('K8S_POD_NAME'), containerId: entry.containerId });
        expect(lab.plan.pods.find((p) => p.key === podKey)?.node.name).toBe(snap.nodeName);
        seen++;
      }
    }
    expect(seen).toBe(lab.plan.pods.length);
  });

  it("shows the CNI's devices and real kube-proxy's rules in n1's snapshot, and only n1's pods", () => {
    const n1 = b.snapshots[0]!;
    const names = n1.namespaces.flatMap((ns) => ns.names);
    for (const p of lab.plan.pods.filter((x) => x.node.name === 'n1')) expect(names).toContain(p.netns);
    for (const p of lab.plan.pods.filter((x) => x.node.name !== 'n1')) expect(names).not.toContain(p.netns);
    expect(n1.cni.configs.map((c) => path.basename(c.path))).toEqual(['10-flannel.conflist']);
    const save = n1.iptables.map((d) => sectionText(d.save, b.blobs)).join('\n');
    expect(save).toContain('-A KUBE-SERVICES -d 10.96.0.30/32 -p tcp -m comment --comment "shop/checkout:http has no endpoints"');
    // kube-proxy programs the API server's own service too: the lab's rule writers never knew of it.
    expect(save).toMatch(new RegExp(`-A KUBE-SEP-\\w+ -p tcp -m comment --comment "default/kubernetes:https" -m tcp -j DNAT --to-destination ${CONTROL_PLANE_IP.replaceAll('.', '\\.')}:${API_PORT}`));
    expect(save).toContain('FLANNEL-POSTRTG');
    const links = JSON.stringify(n1.host);
    expect(links).toContain('flannel.1');
    expect(links).toContain('cni0');
  });

  it('`lab list` prints a kubectl command that reaches this API server; `lab record PREFIX` from another process records the same lab', async () => {
    const { stdout: list } = await cli(['list']);
    const line = list.split('\n').find((l) => l.includes(`ip netns exec ${lab.prefix}-cp `));
    expect(line).toBeDefined();
    const cmd = line!.slice(line!.indexOf('ip netns exec')).split(' ');
    expect(cmd).toContain(path.join('/run/patchbay-lab', lab.prefix, 'kubeconfig'));
    const { stdout: slices } = await pexec(cmd[0]!, cmd.slice(1));
    expect(slices).toMatch(new RegExp(`^default\\s+kubernetes\\s+IPv4\\s+${API_PORT}\\s+${CONTROL_PLANE_IP.replaceAll('.', '\\.')}\\s`, 'm'));
    for (const name of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-proxy-n1', 'kube-proxy-n2', 'kube-proxy-n3']) expect(list).toMatch(new RegExp(`^\\s+${name}\\s+pid \\d+\\s+running`, 'm'));

    const again = tmp();
    const { stdout } = await cli(['record', lab.prefix, again]);
    expect(stdout).toContain(`recorded flannel-vxlan to ${again}`);
    const b2 = await readBundle(again);
    // The same objects, read again from the same API server: same uids.
    const uids = (x: Bundle) => x.cluster.pods.map((p) => `${p.metadata.namespace}/${p.metadata.name} ${p.metadata.uid}`).sort();
    expect(uids(b2)).toEqual(uids(b));
    expect(b2.snapshots.map((s) => s.nodeName)).toEqual(['n1', 'n2', 'n3']);
    // The lab is still up after recording it by prefix.
    const web = lab.scenario.services.find((s) => s.namespace === 'shop' && s.name === 'web')!;
    expect((await lab.probe(lab.podNetns('shop', 'client-0'), { ip: web.clusterIP, port: 80, proto: 'tcp' })).outcome).toBe('delivered');
    await expect(cli(['record', lab.prefix, tmp(), '--fault', 'missing-route'])).rejects.toThrow(/--fault applies to a scenario/);
  }, 120_000);
});

describe('record other scenarios', () => {
  for (const name of ['host-gw', 'calico-routed', 'nftables']) {
    it(`writes a valid bundle of ${name}, with its CNI's devices and kube-proxy mode visible`, async () => {
      const dir = tmp();
      await withLab(loadScenario(name), {}, async (lab) => {
        prefixes.add(lab.prefix);
        await lab.record(dir);
      });
      const b = await readBundle(dir);
      expect(b.snapshots.map((s) => s.nodeName)).toEqual(['n1', 'n2', 'n3']);
      const n1 = b.snapshots[0]!;
      const host = JSON.stringify(n1.host);
      if (name === 'calico-routed') {
        expect(host).toMatch(/"ifname":"cali[0-9a-f]{11}"/);
        expect(host).toContain('"type":"blackhole","dst":"10.244.1.0/24"');
        expect(n1.cni.configs.map((c) => path.basename(c.path))).toEqual(['10-calico.conflist']);
      } else if (name === 'host-gw') {
        expect(host).toContain('"ifname":"cni0"');
        expect(host).not.toContain('flannel.1');
        expect(host).toContain('"dst":"10.244.2.0/24","gateway":"192.0.2.12"');
      } else {
        expect(host).toContain('"ifname":"flannel.1"');
      }
      if (name === 'nftables') {
        expect(JSON.stringify(n1.nft)).toContain('"kube-proxy"');
      } else {
        const save = n1.iptables.map((d) => sectionText(d.save, b.blobs)).join('\n');
        expect(save).toContain(':KUBE-SERVICES');
      }
    });
  }

  it('`npm run lab -- record flannel-vxlan DIR --fault missing-route` records the fault (the route is gone from n1)', async () => {
    const dir = tmp();
    const { stdout } = await cli(['record', 'flannel-vxlan', dir, '--fault', 'missing-route']);
    expect(stdout).toContain(`recorded flannel-vxlan (faults: missing-route) to ${dir}`);
    const b = await readBundle(dir);
    const routes = (s: (typeof b.snapshots)[number]) => JSON.stringify((s.host as { routes?: unknown }).routes);
    expect(routes(b.snapshots[0]!)).not.toContain('"dst":"10.244.2.0/24"');
    expect(routes(b.snapshots[0]!)).toContain('"dst":"10.244.3.0/24"');
    expect(routes(b.snapshots[2]!)).toContain('"dst":"10.244.2.0/24"');
    expect(b.meta?.source).toBe('lab flannel-vxlan (faults: missing-route)');
  });
});
