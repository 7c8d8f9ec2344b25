import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveBundle } from '@patchbay/resolve';
import { traceFlow } from '@patchbay/trace';
import { BundleSource } from './bundleSource.js';
import { createCaller } from './router.js';

// The router over a real lab recording (the demo bundle: flannel-vxlan, fault stale-service-rule) through the
// real resolver and tracer, as `patchbay serve` composes them.
const dir = fileURLToPath(new URL('../../../apps/server/demo/bundle', import.meta.url));
const source = new BundleSource(dir, { resolve: resolveBundle });
const caller = createCaller({ source, traceFlow: (s, q) => traceFlow(s.model, q) });

beforeAll(async () => {
  await source.start({ watch: false });
});
afterAll(() => source.close());

describe('appRouter on the demo bundle', () => {
  it('reads the recording without problems', async () => {
    const s = await caller.summary();
    expect(s.problemCount).toBe(0);
    const items = (JSON.parse(readFileSync(`${dir}/cluster.json`, 'utf8')) as { items: { kind: string }[] }).items;
    const count = (kind: string) => items.filter((i) => i.kind === kind).length;
    expect(s.counts).toMatchObject({ nodes: 3, observedNodes: 3, pods: count('Pod'), services: count('Service') });
    expect(s.cni).toEqual([{ kind: 'flannel-vxlan', nodes: 3 }]);
    expect(s.kubeProxy).toEqual([{ mode: 'iptables', nodes: 3 }]);
  });

  it('draws every node on one underlay, and n1 tunnels to the others when selected', async () => {
    const map = await caller.clusterMap({ focusNodes: ['n1'] });
    expect(map.nodes.filter((n) => n.kind === 'segment').map((n) => n.id)).toEqual(['segment/192.0.2.0/24']);
    expect(map.edges.filter((e) => e.kind === 'tunnel').map((e) => e.id)).toEqual(['tunnel/n1/n2', 'tunnel/n1/n3']);
  });

  it('shows the wiring of n1: veths into cni0, flannel.1 over eth0', async () => {
    const w = await caller.node({ name: 'n1' });
    expect(w.pods.map((p) => p.pod)).toEqual(['shop/cache-0', 'shop/client-0', 'shop/web-0']);
    for (const p of w.pods) expect(p.hostVethName).toMatch(/^veth/);
    const flannel = w.devices.find((d) => d.name === 'flannel.1' && d.netns.endsWith('/host'));
    expect(flannel?.vxlan?.vni).toBe(1);
    // One veth cable per pod (the lab's underlay namespace adds a veth pair of its own).
    expect(w.edges.filter((e) => e.kind === 'veth' && (e.source.includes('/pod/') || e.target.includes('/pod/')))).toHaveLength(3);
    expect(w.edges.some((e) => e.kind === 'underlay' && e.source === flannel?.id)).toBe(true);
  });

  it('finds the planted fault: every node still sends shop/cart to the deleted pod', async () => {
    const cart = await caller.service({ namespace: 'shop', name: 'cart' });
    expect(cart.endpoints).toEqual([]);
    expect(cart.nodes.map((n) => [n.node, n.missing, n.extra])).toEqual([
      ['n1', [], ['10.244.3.3:8080']],
      ['n2', [], ['10.244.3.3:8080']],
      ['n3', [], ['10.244.3.3:8080']],
    ]);
    const web = await caller.service({ namespace: 'shop', name: 'web' });
    for (const n of web.nodes) {
      expect(n.missing).toEqual([]);
      expect(n.extra).toEqual([]);
      expect(n.endpoints.map((e) => e.share)).toEqual([0.5, 0.5]);
    }
  });

  it('traces as the tracer does', async () => {
    const q = { from: 'pod/shop/client-0', to: 'svc/shop/cart:80', proto: 'tcp' as const, port: null };
    const t = await caller.trace(q);
    expect(t).toEqual(traceFlow(source.current().model, q));
    expect(t.verdict).not.toBe('delivered');
  });
});

describe('service rule shares on the demo bundle', () => {
  it('reads the cluster-IP split, not the sum of every path, and ignores affinity re-checks', async () => {
    const w = await caller.node({ name: 'n1' });
    const shares = (svc: string) => w.serviceRules.find((r) => r.service === svc)?.endpoints.map((e) => e.share);
    expect(shares('shop/web')).toEqual([0.5, 0.5]);
    expect(shares('shop/web-sticky')).toEqual([0.5, 0.5]);
    for (const r of w.serviceRules) for (const e of r.endpoints) expect(e.share).toBeLessThanOrEqual(1);
  });
});
