import { createHash } from 'node:crypto';
import type { BridgeFdb, BridgeLink, ClusterObjects, IpAddr, IpLink, IpNeigh, IpRoute, IpRule, NamespaceState, NodeSnapshot, Pod } from '@patchbay/schema';
import { intToIp, ipToInt } from '../kubeProxy/ipv4.js';
import { CLUSTER_CIDR } from './addressPlan.js';
import { vtepMac } from './generateCluster.js';
import { iptablesTexts } from './iptablesTexts.js';
import { fnv1a } from './prng.js';

// Synthetic NodeSnapshots for a flannel (VXLAN) cluster, shaped like what patchbay-agent collects: iproute2 JSON
// for the host and every pod namespace, bridge FDB/ports, iptables-save -c, CNI config and result cache. Objects
// that are the same on many nodes (remote-node routes, neighbours, FDB entries, the iptables text) are shared,
// so a 1,000-node cluster stays within a few hundred MB.

export interface GenerateSnapshotsOptions {
  capturedAt?: string;
  kernelRelease?: string;
  agentVersion?: string;
  /** Only these nodes (default: every node). */
  onlyNodes?: string[];
}

type Link = IpLink;
type Route = IpRoute;

interface NodeFacts {
  name: string;
  ip: string;
  prefixlen: number;
  gateway: string;
  podCIDR: string;
  network: string;
  podGateway: string;
  podPrefix: number;
  vtep: string;
}

function underlay(ip: string): { prefixlen: number; gateway: string } {
  const n = ipToInt(ip);
  if ((n & 0xfffe0000) >>> 0 === ipToInt('198.18.0.0')) return { prefixlen: 15, gateway: '198.18.0.1' };
  return { prefixlen: 24, gateway: intToIp(((n & 0xffffff00) >>> 0) + 1) };
}

function broadcast(network: string, prefix: number): string {
  return intToIp((ipToInt(network) | (2 ** (32 - prefix) - 1)) >>> 0);
}

function networkOf(ip: string, prefix: number): string {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return intToIp((ipToInt(ip) & mask) >>> 0);
}

function mac(prefix: string, seed: string): string {
  const h = fnv1a(seed);
  return [prefix, ...[24, 16, 8, 0].map((s) => ((h >>> s) & 255).toString(16).padStart(2, '0')), (fnv1a(`${seed}#`) & 255).toString(16).padStart(2, '0')].join(':');
}

/** The bridge plugin derives a pod's MAC from its IP: 0a:58:<IP bytes>. */
function podMac(ip: string): string {
  return ['0a', '58', ...ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');
}

function nodeFacts(node: ClusterObjects['nodes'][number]): NodeFacts | null {
  const ip = node.status.addresses?.find((a) => a.type === 'InternalIP')?.address;
  const podCIDR = node.spec.podCIDR;
  if (!ip || !podCIDR) return null;
  const [network = '', prefixText = '24'] = podCIDR.split('/');
  const podPrefix = Number(prefixText);
  let vtep = vtepMac(node.metadata.name);
  const backend = node.metadata.annotations?.['flannel.alpha.coreos.com/backend-data'];
  if (backend) {
    try {
      const parsed = JSON.parse(backend) as { VtepMAC?: unknown };
      if (typeof parsed.VtepMAC === 'string') vtep = parsed.VtepMAC;
    } catch {
      // keep the derived MAC
    }
  }
  return { name: node.metadata.name, ip, ...underlay(ip), podCIDR, network, podGateway: intToIp(ipToInt(network) + 1), podPrefix, vtep };
}

const RULES: IpRule[] = [
  { priority: 0, src: 'all', table: 'local' },
  { priority: 32766, src: 'all', table: 'main' },
  { priority: 32767, src: 'all', table: 'default' },
];
const UP = ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'];
const LO_LINK: Link = {
  ifindex: 1,
  ifname: 'lo',
  flags: ['LOOPBACK', 'UP', 'LOWER_UP'],
  mtu: 65536,
  qdisc: 'noqueue',
  operstate: 'UNKNOWN',
  group: 'default',
  link_type: 'loopback',
  address: '00:00:00:00:00:00',
  broadcast: '00:00:00:00:00:00',
};
const LO_ADDR: IpAddr = {
  ifindex: 1,
  ifname: 'lo',
  addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host', label: 'lo' }],
};
const LO_ROUTES: Route[] = [
  { type: 'local', dst: '127.0.0.0/8', dev: 'lo', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: '127.0.0.1', flags: [] },
  { type: 'local', dst: '127.0.0.1', dev: 'lo', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: '127.0.0.1', flags: [] },
  { type: 'broadcast', dst: '127.255.255.255', dev: 'lo', table: 'local', protocol: 'kernel', scope: 'link', prefsrc: '127.0.0.1', flags: [] },
];

const FLANNEL_CONFLIST = `${JSON.stringify(
  {
    name: 'cbr0',
    cniVersion: '0.3.1',
    plugins: [
      { type: 'flannel', delegate: { hairpinMode: true, isDefaultGateway: true } },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  },
  null,
  2,
)}\n`;

export function generateSnapshots(cluster: ClusterObjects, opts: GenerateSnapshotsOptions = {}): NodeSnapshot[] {
  const capturedAt = opts.capturedAt ?? '2026-11-21T12:00:00Z';
  const facts = cluster.nodes.map(nodeFacts).filter((f): f is NodeFacts => f !== null);
  const wanted = opts.onlyNodes ? new Set(opts.onlyNodes) : null;
  const chosen = facts.filter((f) => !wanted || wanted.has(f.name));

  const podsByNode = new Map<string, Pod[]>();
  for (const pod of cluster.pods) {
    const n = pod.spec.nodeName;
    if (!n || pod.spec.hostNetwork || !pod.status.podIP) continue;
    const list = podsByNode.get(n);
    if (list) list.push(pod);
    else podsByNode.set(n, [pod]);
  }

  // Per remote node: one route, one neighbour, one FDB entry, shared by every other node's snapshot.
  const remoteRoute = facts.map<Route>((f) => ({ dst: f.podCIDR, gateway: f.network, dev: 'flannel.1', flags: ['onlink'] }));
  const remoteNeigh = facts.map<IpNeigh>((f) => ({ dst: f.network, dev: 'flannel.1', lladdr: f.vtep, state: ['PERMANENT'] }));
  const remoteFdb = facts.map<BridgeFdb>((f) => ({ mac: f.vtep, ifname: 'flannel.1', dst: f.ip, flags: ['self'], state: 'permanent' }));

  const texts = iptablesTexts(
    cluster,
    chosen.map((f) => f.name),
    capturedAt,
  );
  let inode = 4026532200;
  const index = new Map(facts.map((f, i) => [f.name, i]));
  return chosen.map((f) => {
    const self = index.get(f.name) ?? -1;
    const pods = podsByNode.get(f.name) ?? [];
    const snap = nodeSnapshot(f, pods, {
      remoteRoutes: remoteRoute.filter((_, j) => j !== self),
      remoteNeigh: remoteNeigh.filter((_, j) => j !== self),
      remoteFdb: remoteFdb.filter((_, j) => j !== self),
      iptables: texts.get(f.name) ?? '',
      capturedAt,
      kernelRelease: opts.kernelRelease ?? '6.1.0-synthetic',
      agentVersion: opts.agentVersion ?? '0.1.0',
      inodeBase: inode,
    });
    inode += pods.length + 1;
    return snap;
  });
}

interface Shared {
  remoteRoutes: Route[];
  remoteNeigh: IpNeigh[];
  remoteFdb: BridgeFdb[];
  iptables: string;
  capturedAt: string;
  kernelRelease: string;
  agentVersion: string;
  inodeBase: number;
}

function nodeSnapshot(f: NodeFacts, pods: Pod[], s: Shared): NodeSnapshot {
  const hostMac = mac('52', `eth0/${f.name}`);
  const cniMac = mac('d2', `cni0/${f.name}`);
  const links: Link[] = [
    LO_LINK,
    { ifindex: 2, ifname: 'eth0', flags: UP, mtu: 1500, qdisc: 'mq', operstate: 'UP', group: 'default', link_type: 'ether', address: hostMac, broadcast: 'ff:ff:ff:ff:ff:ff' },
    {
      ifindex: 3,
      ifname: 'flannel.1',
      flags: UP,
      mtu: 1450,
      qdisc: 'noqueue',
      operstate: 'UNKNOWN',
      group: 'default',
      link_type: 'ether',
      address: f.vtep,
      broadcast: 'ff:ff:ff:ff:ff:ff',
      linkinfo: { info_kind: 'vxlan', info_data: { id: 1, local: f.ip, link: 'eth0', port: 8472, ageing: 300, udp_csum: true, learning: false, ttl: 0 } },
    },
    {
      ifindex: 4,
      ifname: 'cni0',
      flags: UP,
      mtu: 1450,
      qdisc: 'noqueue',
      operstate: 'UP',
      group: 'default',
      link_type: 'ether',
      address: cniMac,
      broadcast: 'ff:ff:ff:ff:ff:ff',
      linkinfo: { info_kind: 'bridge', info_data: { forward_delay: 1500, hello_time: 200, max_age: 2000, stp_state: 0, vlan_filtering: 0 } },
    },
  ];
  const addrs: IpAddr[] = [
    LO_ADDR,
    { ifindex: 2, ifname: 'eth0', addr_info: [{ family: 'inet', local: f.ip, prefixlen: f.prefixlen, broadcast: broadcast(networkOf(f.ip, f.prefixlen), f.prefixlen), scope: 'global', label: 'eth0' }] },
    { ifindex: 3, ifname: 'flannel.1', addr_info: [{ family: 'inet', local: f.network, prefixlen: 32, scope: 'global', label: 'flannel.1' }] },
    { ifindex: 4, ifname: 'cni0', addr_info: [{ family: 'inet', local: f.podGateway, prefixlen: f.podPrefix, broadcast: broadcast(f.network, f.podPrefix), scope: 'global', label: 'cni0' }] },
  ];
  const underlayNet = `${networkOf(f.ip, f.prefixlen)}/${f.prefixlen}`;
  const routes: Route[] = [
    { dst: 'default', gateway: f.gateway, dev: 'eth0', flags: [] },
    ...s.remoteRoutes,
    { dst: f.podCIDR, dev: 'cni0', protocol: 'kernel', scope: 'link', prefsrc: f.podGateway, flags: [] },
    { dst: underlayNet, dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: f.ip, flags: [] },
    ...LO_ROUTES,
    { type: 'local', dst: f.network, dev: 'flannel.1', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: f.network, flags: [] },
    { type: 'local', dst: f.podGateway, dev: 'cni0', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: f.podGateway, flags: [] },
    { type: 'broadcast', dst: broadcast(f.network, f.podPrefix), dev: 'cni0', table: 'local', protocol: 'kernel', scope: 'link', prefsrc: f.podGateway, flags: [] },
    { type: 'local', dst: f.ip, dev: 'eth0', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: f.ip, flags: [] },
    { type: 'broadcast', dst: broadcast(networkOf(f.ip, f.prefixlen), f.prefixlen), dev: 'eth0', table: 'local', protocol: 'kernel', scope: 'link', prefsrc: f.ip, flags: [] },
  ];
  const neigh: IpNeigh[] = [{ dst: f.gateway, dev: 'eth0', lladdr: mac('00', `gw/${f.gateway}`), state: ['REACHABLE'] }, ...s.remoteNeigh];
  const fdb: BridgeFdb[] = [{ mac: cniMac, ifname: 'cni0', vlan: 1, master: 'cni0', flags: [], state: 'permanent' }, ...s.remoteFdb];
  const ports: BridgeLink[] = [];
  const namespaces: NamespaceState[] = [];
  const results: { path: string; content: string }[] = [];

  pods.forEach((pod, k) => {
    const podIP = pod.status.podIP ?? '';
    const containerId = createHash('sha256').update(`sandbox/${pod.metadata.namespace}/${pod.metadata.name}`).digest('hex');
    const veth = `veth${fnv1a(containerId).toString(16).padStart(8, '0')}`;
    const vethIndex = 5 + k;
    const vethMac = mac('e6', `veth/${containerId}`);
    const pMac = podMac(podIP);
    const netnsName = `cni-${containerId.slice(0, 8)}-${containerId.slice(8, 12)}-${containerId.slice(12, 16)}-${containerId.slice(16, 20)}-${containerId.slice(20, 32)}`;
    links.push({
      ifindex: vethIndex,
      link_index: 2,
      ifname: veth,
      flags: UP,
      mtu: 1450,
      qdisc: 'noqueue',
      master: 'cni0',
      operstate: 'UP',
      group: 'default',
      link_type: 'ether',
      address: vethMac,
      broadcast: 'ff:ff:ff:ff:ff:ff',
      link_netnsid: k,
      linkinfo: { info_kind: 'veth', info_slave_kind: 'bridge', info_slave_data: { state: 'forwarding', priority: 32, cost: 2, hairpin: true, learning: true } },
    });
    ports.push({ ifindex: vethIndex, ifname: veth, flags: UP, mtu: 1450, master: 'cni0', state: 'forwarding', priority: 32, cost: 2 });
    fdb.push({ mac: vethMac, ifname: veth, vlan: 1, master: 'cni0', flags: [], state: 'permanent' });
    fdb.push({ mac: pMac, ifname: veth, master: 'cni0', flags: [] });
    neigh.push({ dst: podIP, dev: 'cni0', lladdr: pMac, state: ['REACHABLE'] });
    namespaces.push({
      id: `netns:${s.inodeBase + k}`,
      inode: s.inodeBase + k,
      nsid: k,
      names: [netnsName],
      foundBy: [
        { method: 'veth-peer', detail: `${veth} link_netnsid ${k}` },
        { method: 'netns-name', detail: `/var/run/netns/${netnsName}` },
      ],
      pod: { namespace: pod.metadata.namespace, name: pod.metadata.name, containerId },
      links: [
        LO_LINK,
        {
          ifindex: 2,
          link_index: vethIndex,
          ifname: 'eth0',
          flags: UP,
          mtu: 1450,
          qdisc: 'noqueue',
          operstate: 'UP',
          group: 'default',
          link_type: 'ether',
          address: pMac,
          broadcast: 'ff:ff:ff:ff:ff:ff',
          link_netnsid: 0,
          linkinfo: { info_kind: 'veth' },
        },
      ],
      addrs: [LO_ADDR, { ifindex: 2, ifname: 'eth0', addr_info: [{ family: 'inet', local: podIP, prefixlen: f.podPrefix, broadcast: broadcast(f.network, f.podPrefix), scope: 'global', label: 'eth0' }] }],
      routes: {
        inet: [
          { dst: 'default', gateway: f.podGateway, dev: 'eth0', flags: [] },
          { dst: CLUSTER_CIDR, gateway: f.podGateway, dev: 'eth0', flags: [] },
          { dst: f.podCIDR, dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: podIP, flags: [] },
          ...LO_ROUTES,
          { type: 'local', dst: podIP, dev: 'eth0', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: podIP, flags: [] },
          { type: 'broadcast', dst: broadcast(f.network, f.podPrefix), dev: 'eth0', table: 'local', protocol: 'kernel', scope: 'link', prefsrc: podIP, flags: [] },
        ],
        inet6: [],
      },
      rules: { inet: RULES, inet6: [] },
      neigh: [{ dst: f.podGateway, dev: 'eth0', lladdr: cniMac, state: ['REACHABLE'] }],
      sysctls: { 'net.ipv4.ip_forward': '0' },
    });
    results.push({
      path: `/var/lib/cni/results/cbr0-${containerId}-eth0`,
      content: JSON.stringify({
        kind: 'cniCacheV1',
        containerId,
        config: '',
        ifName: 'eth0',
        networkName: 'cbr0',
        netns: `/var/run/netns/${netnsName}`,
        cniArgs: [
          ['K8S_POD_NAMESPACE', pod.metadata.namespace],
          ['K8S_POD_NAME', pod.metadata.name],
          ['K8S_POD_INFRA_CONTAINER_ID', containerId],
          ['K8S_POD_UID', pod.metadata.uid ?? ''],
        ],
        result: {
          cniVersion: '0.3.1',
          interfaces: [{ name: 'cni0', mac: cniMac }, { name: veth, mac: vethMac }, { name: 'eth0', mac: pMac, sandbox: `/var/run/netns/${netnsName}` }],
          ips: [{ version: '4', interface: 2, address: `${podIP}/${f.podPrefix}`, gateway: f.podGateway }],
          routes: [{ dst: CLUSTER_CIDR, gw: f.podGateway }, { dst: '0.0.0.0/0', gw: f.podGateway }],
          dns: {},
        },
      }),
    });
  });

  return {
    schemaVersion: 1,
    kind: 'NodeSnapshot',
    nodeName: f.name,
    capturedAt: s.capturedAt,
    agentVersion: s.agentVersion,
    kernelRelease: s.kernelRelease,
    host: {
      id: 'host',
      inode: 4026531840,
      nsid: null,
      names: [],
      foundBy: [{ method: 'host', detail: '/proc/self/ns/net' }],
      pod: null,
      links,
      addrs,
      routes: { inet: routes, inet6: [] },
      rules: { inet: RULES, inet6: [] },
      neigh,
      sysctls: {
        'net.ipv4.ip_forward': '1',
        'net.ipv4.conf.all.rp_filter': '0',
        'net.ipv4.conf.default.rp_filter': '0',
        'net.bridge.bridge-nf-call-iptables': '1',
      },
    },
    namespaces,
    bridge: { fdb, ports },
    iptables: [{ family: 'ipv4', backend: 'nft', save: s.iptables }],
    iptablesBackendInUse: 'nft',
    nft: null,
    ipvs: null,
    ipsets: null,
    cni: { configs: [{ path: '/etc/cni/net.d/10-flannel.conflist', content: FLANNEL_CONFLIST }], results },
    errors: [],
  };
}
