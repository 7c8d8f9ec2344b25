import { resolveBundle } from '@patchbay/resolve';
import { emptyCluster, parseClusterList } from '@patchbay/schema';
import { describe, expect, it } from 'vitest';
import { traceFlow } from './traceFlow.js';

// Issue 25, defect 10: a service or pod left out of the model as invalid was reported as "not in cluster.json",
// sending on-call to look for a typo in a name that is right there in the file.

const list = {
  apiVersion: 'v1',
  kind: 'List',
  items: [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
    // A port that is not a number: the schema leaves this Service out.
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'cart', namespace: 'shop' }, spec: { clusterIP: '10.96.0.20', ports: [{ port: 'eighty' }] } },
    // A Pod without a spec.
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop' } },
  ],
};

function model() {
  const { cluster } = parseClusterList('cluster.json', list);
  return resolveBundle({ dir: '/nowhere', meta: null, cluster: cluster ?? emptyCluster(), snapshots: [], blobs: new Map() });
}

describe('issue 25: objects left out as invalid are named as such', () => {
  it('a trace to an invalid service says it is in cluster.json but invalid, and why', () => {
    expect(() => traceFlow(model(), { from: '192.0.2.10', to: 'svc/shop/cart:80', proto: 'tcp' })).toThrow(
      /unknown service shop\/cart \(in cluster\.json but invalid, so left out: \$\.items\[1\]\.spec\.ports\[0\]\.port: /,
    );
  });

  it('a trace from an invalid pod says the same', () => {
    expect(() => traceFlow(model(), { from: 'pod/shop/web', to: '192.0.2.10', proto: 'icmp' })).toThrow(/unknown pod shop\/web \(in cluster\.json but invalid, so left out: \$\.items\[2\]/);
  });

  it('a name that is not there at all is still "not in cluster.json"', () => {
    expect(() => traceFlow(model(), { from: 'pod/shop/nope', to: '192.0.2.10', proto: 'icmp' })).toThrow(/unknown pod shop\/nope \(not in cluster\.json\)/);
  });
});
