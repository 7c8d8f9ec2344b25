import { readFileSync } from 'node:fs';
import type { NodeSnapshotInput } from './snapshot.js';

// A NodeSnapshot assembled from real iproute2 output captured in a lab (testdata/iproute), for tests only.
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../testdata/iproute/${name}`, import.meta.url), 'utf8'));

export function realSnapshot(): NodeSnapshotInput {
  return {
    schemaVersion: 1,
    kind: 'NodeSnapshot',
    nodeName: 'n1',
    capturedAt: '2026-11-21T14:00:00Z',
    agentVersion: '0.1.0',
    kernelRelease: '6.18.44',
    host: {
      id: 'host',
      inode: 4026531840,
      nsid: null,
      names: [],
      foundBy: [{ method: 'host', detail: '/proc/self/ns/net' }],
      pod: null,
      links: fixture('link-node.json') as never,
      addrs: fixture('addr-node.json') as never,
      routes: { inet: fixture('route-node.json') as never, inet6: fixture('route6-node.json') as never },
      rules: { inet: fixture('rule-node.json') as never, inet6: [] },
      neigh: fixture('neigh-node.json') as never,
      sysctls: { 'net.ipv4.ip_forward': '1' },
    },
    namespaces: [
      {
        id: 'netns:4026532999',
        inode: 4026532999,
        nsid: 0,
        names: ['cni-1234'],
        foundBy: [{ method: 'veth-peer', detail: 'vethab12cd34 link_netnsid 0' }],
        pod: { namespace: 'shop', name: 'web-1' },
        links: fixture('link-pod.json') as never,
        addrs: [],
        routes: { inet: [], inet6: [] },
        rules: { inet: [], inet6: [] },
        neigh: [],
        sysctls: {},
      },
    ],
    bridge: { fdb: fixture('fdb-node.json') as never, ports: fixture('bridge-link-node.json') as never },
    iptables: [{ family: 'ipv4', backend: 'nft', save: '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n' }],
    iptablesBackendInUse: 'nft',
    nft: { nftables: [{ metainfo: { json_schema_version: 1 } }] },
    ipvs: null,
    ipsets: null,
    cni: { configs: [], results: [] },
    errors: [],
  };
}
