import { readFileSync } from 'node:fs';
import { parseClusterList } from '@patchbay/schema';
import { renderIptablesRules } from './iptables.js';
const { cluster, problems } = parseClusterList('c', JSON.parse(readFileSync('/work/main/packages/lab/src/kubeProxy/testdata/small-cluster.json', 'utf8')));
if (problems.length) console.error(problems);
process.stdout.write(renderIptablesRules(cluster, { nodeName: process.argv[2] ?? 'n1', nodeIPs: ['192.0.2.11'], clusterCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/16' }));
