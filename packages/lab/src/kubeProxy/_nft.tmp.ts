import { readFileSync } from 'node:fs';
import { parseClusterList } from '@patchbay/schema';
import { renderNftRules } from './nftables.js';
const { cluster } = parseClusterList('c', JSON.parse(readFileSync('/work/main/packages/lab/src/kubeProxy/testdata/small-cluster.json', 'utf8')));
process.stdout.write(renderNftRules(cluster, { nodeName: process.argv[2] ?? 'n1', nodeIPs: [process.argv[2] === 'n2' ? '192.0.2.12' : '192.0.2.11'], clusterCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/16', counters: process.argv[3] === 'c' }));
