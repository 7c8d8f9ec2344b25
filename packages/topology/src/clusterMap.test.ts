import { describe, expect, it } from 'vitest';
import { testModel } from '../testdata/model.js';
import { buildClusterMap } from './clusterMap.js';

describe('buildClusterMap', () => {
  it('draws collapsed node boxes with counts, one underlay segment per subnet, no pods', () => {
    const map = buildClusterMap(testModel());
    const boxes = map.nodes.filter((n) => n.kind === 'node');
    expect(boxes.map((b) => b.id)).toEqual(['node/n1', 'node/n2', 'node/n3']);
    expect(boxes.find((b) => b.id === 'node/n1')?.data).toMatchObject({ pods: 2, namespaces: 2, expanded: false, observed: true, subnet: '192.0.2.0/24' });
    expect(boxes.find((b) => b.id === 'node/n3')?.data).toMatchObject({ observed: false, subnet: 'unknown', pods: 1 });
    expect(map.nodes.filter((n) => n.kind === 'segment').map((n) => n.id)).toEqual(['segment/192.0.2.0/24', 'segment/unknown']);
    expect(map.nodes.some((n) => n.kind === 'pod')).toBe(false);
    // One underlay edge per node: never a mesh of node pairs.
    expect(map.edges.map((e) => e.id)).toEqual(['underlay/n1', 'underlay/n2', 'underlay/n3']);
    expect(map.totals).toEqual({ nodes: 3, pods: 4, shownPods: 0, segments: 2 });
  });

  it('expands a node into namespace groups with its pods inside, and keeps the layout deterministic', () => {
    const a = buildClusterMap(testModel(), { expandedNodes: ['n1'] });
    const b = buildClusterMap(testModel(), { expandedNodes: ['n1'] });
    expect(a).toEqual(b);
    const groups = a.nodes.filter((n) => n.kind === 'namespace');
    expect(groups.map((g) => [g.id, g.parent])).toEqual([
      ['node/n1/ns/kube-system', 'node/n1'],
      ['node/n1/ns/shop', 'node/n1'],
    ]);
    const web = a.nodes.find((n) => n.id === 'pod/shop/web-1');
    expect(web).toMatchObject({ parent: 'node/n1/ns/shop', data: { ip: '10.244.0.5' } });
    const box = a.nodes.find((n) => n.id === 'node/n1');
    if (!web || !box) throw new Error('missing');
    // The pod sits inside its node's box.
    expect(Math.abs(web.x - box.x)).toBeLessThan(box.width / 2);
    expect(Math.abs(web.y - box.y)).toBeLessThan(box.height / 2);
    // Elements never overlap at the top level.
    const top = a.nodes.filter((n) => n.parent === null);
    for (const p of top) for (const q of top) {
      if (p === q) continue;
      const apart = Math.abs(p.x - q.x) * 2 >= p.width + q.width || Math.abs(p.y - q.y) * 2 >= p.height + q.height;
      expect(apart, `${p.id} overlaps ${q.id}`).toBe(true);
    }
  });

  it('filters by namespace and by node', () => {
    const map = buildClusterMap(testModel(), { expandedNodes: ['n1', 'n2'], namespaces: ['shop'], nodes: ['n1', 'n2'] });
    expect(map.nodes.filter((n) => n.kind === 'pod').map((n) => n.id)).toEqual(['pod/shop/web-1', 'pod/shop/web-2']);
    expect(map.nodes.filter((n) => n.kind === 'node').map((n) => n.id)).toEqual(['node/n1', 'node/n2']);
    expect(map.allNamespaces).toEqual(['kube-system', 'shop']);
  });

  it('draws tunnels between nodes only for focus nodes, with the route and FDB as evidence', () => {
    expect(buildClusterMap(testModel()).edges.some((e) => e.kind === 'tunnel')).toBe(false);
    const map = buildClusterMap(testModel(), { focusNodes: ['n1'] });
    const tunnel = map.edges.filter((e) => e.kind === 'tunnel');
    expect(tunnel).toHaveLength(1);
    expect(tunnel[0]).toMatchObject({ id: 'tunnel/n1/n2', source: 'node/n1', target: 'node/n2', label: 'flannel.1' });
    expect(tunnel[0]?.evidence).toEqual(['bridge fdb: 0a:00:00:00:00:02 dev flannel.1 dst 192.0.2.12', 'route: 10.244.1.0/24 via 10.244.1.0 dev flannel.1']);
  });

  it('keeps collapsed boxes where they were when pods change', () => {
    const before = buildClusterMap(testModel());
    const model = testModel();
    model.pods.delete('shop/web-1');
    const after = buildClusterMap(model);
    const pos = (m: typeof before) => m.nodes.filter((n) => n.kind === 'node').map((n) => [n.id, n.x, n.y]);
    expect(pos(after)).toEqual(pos(before));
  });
});
