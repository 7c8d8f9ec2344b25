import { describe, expect, it } from 'vitest';
import { mapElements, traceElements, traceNodes, tracePaths } from './elements.js';
import type { ClusterMapData, TraceData } from './trpc.js';

const map: ClusterMapData = {
  nodes: [
    { id: 'segment/192.0.2.0/24', kind: 'segment', parent: null, label: 'underlay', x: 0, y: 0, width: 100, height: 10, data: { subnet: '192.0.2.0/24' } },
    { id: 'node/n1', kind: 'node', parent: null, label: 'n1', x: 0, y: 100, width: 100, height: 60, data: { node: 'n1', expanded: true, observed: true, pods: 1, namespaces: 1 } },
    { id: 'node/n1/ns/shop', kind: 'namespace', parent: 'node/n1', label: 'shop', x: 0, y: 100, width: 90, height: 40, data: { node: 'n1', namespace: 'shop', pods: 1 } },
    { id: 'pod/shop/a', kind: 'pod', parent: 'node/n1/ns/shop', label: 'a', x: 0, y: 100, width: 80, height: 20, data: { node: 'n1', pod: 'shop/a', ip: '10.244.0.2' } },
    { id: 'node/n2', kind: 'node', parent: null, label: 'n2', x: 200, y: 100, width: 100, height: 60, data: { node: 'n2', expanded: false, observed: false, pods: 3, namespaces: 2 } },
  ],
  edges: [{ id: 'underlay/n1', kind: 'underlay', source: 'node/n1', target: 'segment/192.0.2.0/24', label: '192.0.2.11', evidence: [] }],
  allNamespaces: ['shop'],
  bounds: { width: 300, height: 200 },
  totals: { nodes: 2, pods: 4, shownPods: 1, segments: 1 },
};

const hop = (node: string, netns: string) => ({ node, netns, device: 'eth0', stage: 'route', action: 'x', packet: { src: 'a', dst: 'b', sport: 1, dport: 2 }, evidence: 'e' });
const trace: TraceData = {
  query: { from: 'pod/shop/a', to: 'svc/shop/b:80', proto: 'tcp', port: 80 },
  verdict: 'partial',
  summary: 's',
  warnings: [],
  paths: [
    { verdict: 'delivered', weight: 0.75, endpoint: { pod: 'shop/a', node: 'n1', ip: '10.244.0.2', port: 80 }, hops: [hop('n1', 'pod/shop/a'), hop('n1', 'host'), hop('n1', 'pod/shop/a')], reply: null },
    { verdict: 'dropped', weight: 0.25, endpoint: { pod: null, node: 'n2', ip: '10.244.1.2', port: 80 }, hops: [hop('n1', 'pod/shop/a'), hop('n1', 'host'), hop('n2', 'host')], reply: null },
  ],
};

describe('graph elements', () => {
  it('labels collapsed node boxes with counts and marks nodes that were not observed', () => {
    const els = mapElements(map, { selected: 'node/n2' });
    const n2 = els.find((e) => e.data.id === 'node/n2');
    expect(n2?.data.label).toBe('n2\n3 pods · 2 ns\nnot observed');
    expect(n2?.classes).toBe('node collapsed unobserved selected');
    expect(els.find((e) => e.data.id === 'pod/shop/a')?.data.parent).toBe('node/n1/ns/shop');
    expect(els.filter((e) => e.group === 'edges').map((e) => e.data.id)).toEqual(['underlay/n1']);
  });

  it('turns trace hops into map anchors, one per element passed', () => {
    expect(tracePaths(trace)).toEqual([
      { index: 0, verdict: 'delivered', weight: 0.75, anchors: ['pod/shop/a', 'node/n1', 'pod/shop/a'] },
      { index: 1, verdict: 'dropped', weight: 0.25, anchors: ['pod/shop/a', 'node/n1', 'node/n2'] },
    ]);
    expect(traceNodes(trace)).toEqual(['n1', 'n2']);
  });

  it('draws each path with its verdict and weight, without loops (a node box to a pod inside it, a pod to itself)', () => {
    const els = traceElements(map, trace);
    const edges = els.filter((e) => e.data.kind === 'trace');
    expect(edges.map((e) => [e.data.source, e.data.target, e.classes, e.data.width, e.data.label])).toEqual([
      ['pod/shop/a', 'node/n2', 'trace verdict-dropped', 4, '25%'],
    ]);
    expect(els.find((e) => e.data.id === 'node/n2')?.classes).toContain('on-path verdict-dropped');
  });
});
