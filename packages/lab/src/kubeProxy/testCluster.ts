import { readFileSync } from 'node:fs';
import { parseClusterList, type ClusterObjects } from '@patchbay/schema';
import type { KubeProxyOptions } from './options.js';

// The small two-node cluster in testdata/small-cluster.json, for tests only.
export function smallCluster(): ClusterObjects {
  const json: unknown = JSON.parse(readFileSync(new URL('./testdata/small-cluster.json', import.meta.url), 'utf8'));
  const { cluster, problems } = parseClusterList('small-cluster.json', json);
  if (problems.length > 0) throw new Error(`fixture has problems: ${JSON.stringify(problems)}`);
  return cluster;
}

export function nodeOptions(node: 'n1' | 'n2', extra: Partial<KubeProxyOptions> = {}): KubeProxyOptions {
  return {
    nodeName: node,
    nodeIPs: [node === 'n1' ? '192.0.2.11' : '192.0.2.12'],
    clusterCIDR: '10.244.0.0/16',
    serviceCIDR: '10.96.0.0/16',
    ...extra,
  };
}
