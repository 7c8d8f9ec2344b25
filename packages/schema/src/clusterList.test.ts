import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseClusterList } from './clusterList.js';

const list = (): { items: unknown[] } & Record<string, unknown> =>
  JSON.parse(readFileSync(new URL('../testdata/cluster-list.json', import.meta.url), 'utf8'));

describe('parseClusterList (kubectl get ... -o json)', () => {
  it('reads every known kind, keeps unknown fields and ignores unknown kinds', () => {
    const { cluster, problems } = parseClusterList('cluster.json', list());
    expect(problems).toEqual([]);
    expect(cluster.nodes.map((n) => n.spec.podCIDR)).toEqual(['10.244.1.0/24']);
    expect(cluster.namespaces.map((n) => n.metadata.name)).toEqual(['shop']);
    expect(cluster.pods[0]?.status.podIP).toBe('10.244.1.5');
    expect(cluster.pods[0]?.spec.containers[0]?.ports?.[0]).toEqual({ name: 'http', containerPort: 8080, protocol: 'TCP' });
    expect(cluster.services[0]?.spec.ports[0]?.targetPort).toBe('http');
    expect(cluster.endpointSlices[0]?.endpoints?.[0]?.nodeName).toBe('n1');
    expect(cluster.networkPolicies[0]?.spec.ingress?.[0]?.ports?.[0]?.port).toBe('http');
    // Unknown fields survive, so a newer reader can use them.
    expect((cluster.nodes[0]?.status as Record<string, unknown>).nodeInfo).toBeDefined();
  });

  it('reports every bad item with its JSON path, and keeps the good ones', () => {
    const l = list();
    (l.items[2] as { status: { podIP: unknown } }).status.podIP = 42;
    (l.items[3] as { spec: { ports: { port: unknown }[] } }).spec.ports[0]!.port = 'eighty';
    l.items.push({ kind: 'Pod', metadata: { namespace: 'shop' }, spec: {} });
    l.items.push({ metadata: { name: 'kindless' } });
    const { cluster, problems } = parseClusterList('cluster.json', l);
    expect(problems).toEqual([
      { file: 'cluster.json', path: '$.items[2].status.podIP', message: 'Invalid input: expected string, received number' },
      { file: 'cluster.json', path: '$.items[3].spec.ports[0].port', message: 'Invalid input: expected number, received string' },
      { file: 'cluster.json', path: '$.items[7].metadata.name', message: 'Invalid input: expected string, received undefined' },
      { file: 'cluster.json', path: '$.items[8].kind', message: 'every item needs a string kind' },
    ]);
    expect(cluster.nodes).toHaveLength(1);
    expect(cluster.pods).toHaveLength(0);
    expect(cluster.services).toHaveLength(0);
    expect(cluster.endpointSlices).toHaveLength(1);
  });

  it('says what it expected when the file is not a List', () => {
    const { problems } = parseClusterList('cluster.json', { kind: 'Pod', items: [] });
    expect(problems).toEqual([{ file: 'cluster.json', path: '$.kind', message: 'expected kind "List" (what kubectl get -o json prints)' }]);
    expect(parseClusterList('cluster.json', []).problems).toEqual([
      { file: 'cluster.json', path: '$', message: 'Invalid input: expected object, received array' },
    ]);
  });
});
