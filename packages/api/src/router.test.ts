import { describe, expect, it } from 'vitest';
import { NodeSnapshot, type Trace } from '@patchbay/schema';
import { realSnapshot } from '../../schema/src/testSnapshot.js';
import { testModel } from '../../topology/testdata/model.js';
import { FakeSource } from '../testdata/fakeSource.js';
import { createCaller, type TraceFn } from './router.js';

// kube-proxy's rules for shop/web on n1, with a planted fault: the second endpoint is missing.
const SAVE = `*nat
:KUBE-SERVICES - [0:0]
-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "shop/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-AAA
-A KUBE-SVC-AAA ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m comment --comment "shop/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-AAA -m comment --comment "shop/web:http -> 10.244.0.5:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-ONE
-A KUBE-SVC-AAA -m comment --comment "shop/web:http -> 10.244.0.7:8080" -j KUBE-SEP-TWO
-A KUBE-SEP-ONE -s 10.244.0.5/32 -m comment --comment "shop/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-ONE -p tcp -m comment --comment "shop/web:http" -m tcp -j DNAT --to-destination 10.244.0.5:8080
-A KUBE-SEP-TWO -p tcp -m comment --comment "shop/web:http" -m tcp -j DNAT --to-destination 10.244.0.7:8080
COMMIT
`;

function setup(traceFlow: TraceFn = () => { throw new Error('not used'); }) {
  const model = testModel();
  const n1 = model.nodes.get('n1');
  if (!n1) throw new Error('fixture');
  const snap = NodeSnapshot.parse(realSnapshot());
  n1.snapshot = { ...snap, iptables: [{ family: 'ipv4', backend: 'nft', save: SAVE }], iptablesBackendInUse: 'nft' };
  const source = new FakeSource(model);
  return { source, caller: createCaller({ source, traceFlow }) };
}

describe('appRouter', () => {
  it('summarises the source', async () => {
    const s = await setup().caller.summary();
    expect(s.counts).toEqual({ nodes: 3, observedNodes: 2, pods: 4, services: 1, namespaces: 2, devices: 14, networkPolicies: 0 });
    expect(s.cni).toEqual([{ kind: 'flannel-vxlan', nodes: 2 }, { kind: 'unknown', nodes: 1 }]);
    expect(s.source).toBe('test model');
  });

  it('serves the cluster map with levels of detail', async () => {
    const { caller } = setup();
    const collapsed = await caller.clusterMap({});
    expect(collapsed.nodes.filter((n) => n.kind === 'pod')).toHaveLength(0);
    const expanded = await caller.clusterMap({ expandedNodes: ['n1'], focusNodes: ['n1'] });
    expect(expanded.nodes.filter((n) => n.kind === 'pod').map((n) => n.id)).toEqual(['pod/kube-system/dns-1', 'pod/shop/web-1']);
    expect(expanded.edges.some((e) => e.id === 'tunnel/n1/n2')).toBe(true);
  });

  it('finds pods, services, nodes and addresses', async () => {
    const { caller } = setup();
    expect((await caller.search({ q: 'web' })).map((h) => `${h.kind} ${h.key}`)).toEqual(['service shop/web', 'pod shop/web-1', 'pod shop/web-2']);
    const svc = (await caller.search({ q: 'shop/web' })).find((h) => h.kind === 'service');
    expect(svc?.endpoints).toEqual(['svc/shop/web:http']);
    const ip = await caller.search({ q: '10.96.0.10' });
    expect(ip.find((h) => h.kind === 'ip')).toMatchObject({ key: '10.96.0.10', detail: 'service shop/web', owner: { kind: 'service', key: 'shop/web' } });
    expect(await caller.search({ q: '  ' })).toEqual([]);
  });

  it('gives a node its wiring and the service rules it holds', async () => {
    const w = await setup().caller.node({ name: 'n1' });
    expect(w.pods.map((p) => p.pod)).toEqual(['kube-system/dns-1', 'shop/web-1']);
    const rules = w.serviceRules.find((r) => r.service === 'shop/web');
    expect(rules?.chains.map((c) => c.chain)).toEqual(['KUBE-SERVICES', 'KUBE-SVC-AAA', 'KUBE-SEP-ONE', 'KUBE-SEP-TWO']);
    expect(rules?.endpoints).toEqual([
      { ip: '10.244.0.5', port: 8080, share: 0.5, via: 'KUBE-SEP-ONE' },
      { ip: '10.244.0.7', port: 8080, share: 0.5, via: 'KUBE-SEP-TWO' },
    ]);
  });

  it('compares the API endpoints of a service with what each node rules say', async () => {
    const svc = await setup().caller.service({ namespace: 'shop', name: 'web' });
    expect(svc.endpoints.map((e) => e.ip)).toEqual(['10.244.0.5', '10.244.1.5']);
    const n1 = svc.nodes.find((n) => n.node === 'n1');
    expect(n1).toMatchObject({ missing: ['10.244.1.5:8080'], extra: ['10.244.0.7:8080'], note: null });
    // A node with no snapshot has unknown rules: no false alarm.
    expect(svc.nodes.find((n) => n.node === 'n3')).toMatchObject({ missing: [], extra: [], note: 'node not observed: its rules are unknown' });
  });

  it('describes a pod with its devices, host veth and services', async () => {
    const pod = await setup().caller.pod({ namespace: 'shop', name: 'web-1' });
    expect(pod).toMatchObject({ ip: '10.244.0.5', node: 'n1', netns: 'pod/shop/web-1', hostVeth: { name: 'veth1a', master: 'n1/host/dev/cni0' } });
    expect(pod.services.map((s) => s.key)).toEqual(['shop/web']);
    expect(pod.routes.map((r) => r.text)).toEqual(['default via 10.244.0.1 dev eth0']);
  });

  it('answers unknown names with NOT_FOUND and a message naming them', async () => {
    const { caller } = setup();
    await expect(caller.pod({ namespace: 'shop', name: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no pod shop/nope in this cluster' });
    await expect(caller.service({ namespace: 'x', name: 'y' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no service x/y in this cluster' });
    await expect(caller.node({ name: 'n9' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no node named "n9" in this cluster' });
    await expect(caller.pod({ namespace: '', name: 'x' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('validates trace endpoints before tracing and maps the tracer input errors to BAD_REQUEST', async () => {
    const trace: Trace = {
      query: { from: 'pod/shop/web-1', to: 'svc/shop/web:80', proto: 'tcp', port: null },
      verdict: 'delivered',
      summary: 'ok',
      paths: [],
      warnings: [],
    };
    const seen: unknown[] = [];
    const { caller } = setup((_s, q) => {
      seen.push(q);
      if (q.to === 'pod/shop/ghost') throw Object.assign(new Error('no pod shop/ghost in the bundle'), { name: 'TraceInputError' });
      return trace;
    });
    expect(await caller.trace({ from: 'pod/shop/web-1', to: 'svc/shop/web:80' })).toEqual(trace);
    expect(seen).toEqual([{ from: 'pod/shop/web-1', to: 'svc/shop/web:80', proto: 'tcp', port: null }]);
    await expect(caller.trace({ from: 'pod/shop', to: '10.0.0.1' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'from: invalid endpoint "pod/shop": expected pod/NAMESPACE/NAME' });
    await expect(caller.trace({ from: 'pod/shop/web-1', to: 'pod/shop/ghost' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'no pod shop/ghost in the bundle' });
  });

  it('streams a hello and then reloads as events', async () => {
    const { source } = setup();
    const ac = new AbortController();
    const caller = createCaller({ source, traceFlow: () => { throw new Error('unused'); } }, { signal: ac.signal });
    const it = (await caller.updates()) as AsyncIterable<{ type: string; generation: number }>;
    const iter = it[Symbol.asyncIterator]();
    expect((await iter.next()).value).toMatchObject({ type: 'hello', generation: 1 });
    const next = iter.next();
    source.emit({ type: 'loaded', state: { ...source.state, generation: 2 } });
    expect((await next).value).toMatchObject({ type: 'loaded', generation: 2 });
    ac.abort();
    await iter.return?.();
  });
});
