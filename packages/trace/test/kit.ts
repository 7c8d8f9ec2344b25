// Test kit: small hand-written clusters (flannel VXLAN / host-gw style) as NodeSnapshots validated by the schema,
// turned into a Bundle and a ClusterModel. Each snapshot is what iproute2 would print for that wiring.
import type { Bundle } from '@patchbay/bundle';
import { renderIptablesRules } from '@patchbay/lab';
import { resolveBundle, type ClusterModel } from '@patchbay/resolve';
import { NodeSnapshot, emptyCluster, type ClusterObjects, type IpRoute, type NodeSnapshotInput } from '@patchbay/schema';

export interface KitNode {
  name: string;
  ip: string;
  podCIDR: string;
  observed?: boolean;
}
export interface KitPod {
  namespace: string;
  name: string;
  node: string;
  ip: string;
  labels?: Record<string, string>;
  ports?: { name?: string; containerPort: number; protocol?: 'TCP' | 'UDP' }[];
}
export interface KitService {
  namespace: string;
  name: string;
  clusterIP: string;
  type?: 'ClusterIP' | 'NodePort';
  selector?: Record<string, string>;
  ports: { name?: string; port: number; targetPort?: number | string; nodePort?: number; protocol?: 'TCP' | 'UDP' }[];
  externalTrafficPolicy?: 'Cluster' | 'Local';
}

export interface KitOptions {
  mode?: 'vxlan' | 'host-gw';
  kubeProxy?: boolean;
  brNetfilter?: boolean;
  /** Extra iptables-save text appended per node (e.g. a stray DROP), as full tables. */
  extraFilterForward?: Record<string, string[]>;
  rpFilter?: number;
  /** Mutate a snapshot before validation (plant a fault). */
  tweak?: (node: string, snap: NodeSnapshotInput) => void;
}

const mac = (i: number, j: number) => `02:00:00:00:${i.toString(16).padStart(2, '0')}:${j.toString(16).padStart(2, '0')}`;
const net24 = (cidr: string) => cidr.split('/')[0]!.split('.').slice(0, 3).join('.');

function link(ifindex: number, ifname: string, extra: Record<string, unknown> = {}) {
  return { ifindex, ifname, flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, operstate: 'UP', link_type: 'ether', ...extra };
}
function addr(ifindex: number, ifname: string, local: string, prefixlen: number) {
  return { ifindex, ifname, addr_info: [{ family: 'inet', local, prefixlen, scope: 'global', label: ifname }] };
}
function localRoutes(addrs: { local: string; dev: string }[]): IpRoute[] {
  return [
    { type: 'local', dst: '127.0.0.0/8', dev: 'lo', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: '127.0.0.1', flags: [] },
    { type: 'local', dst: '127.0.0.1', dev: 'lo', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: '127.0.0.1', flags: [] },
    ...addrs.map((a) => ({ type: 'local', dst: a.local, dev: a.dev, table: 'local', protocol: 'kernel', scope: 'host', prefsrc: a.local, flags: [] })),
  ];
}
const LO = { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536, operstate: 'UNKNOWN', link_type: 'loopback' };
const DEFAULT_RULES = [
  { priority: 0, src: 'all', table: 'local' },
  { priority: 32766, src: 'all', table: 'main' },
  { priority: 32767, src: 'all', table: 'default' },
];

export function kitCluster(nodes: KitNode[], pods: KitPod[], services: KitService[], opts: KitOptions = {}): { bundle: Bundle; model: ClusterModel; cluster: ClusterObjects } {
  const mode = opts.mode ?? 'vxlan';
  const cluster = emptyCluster();
  for (const n of nodes) {
    cluster.nodes.push({ kind: 'Node', metadata: { name: n.name }, spec: { podCIDR: n.podCIDR, podCIDRs: [n.podCIDR] }, status: { addresses: [{ type: 'InternalIP', address: n.ip }] } });
  }
  for (const ns of new Set([...pods.map((p) => p.namespace), ...services.map((s) => s.namespace)])) cluster.namespaces.push({ kind: 'Namespace', metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } } });
  for (const p of pods) {
    cluster.pods.push({
      kind: 'Pod',
      metadata: { namespace: p.namespace, name: p.name, labels: p.labels ?? {} },
      spec: { nodeName: p.node, containers: [{ name: 'c', ports: (p.ports ?? []).map((x) => ({ ...x, protocol: x.protocol ?? 'TCP' })) }] },
      status: { phase: 'Running', podIP: p.ip, podIPs: [{ ip: p.ip }], hostIP: nodes.find((n) => n.name === p.node)!.ip },
    });
  }
  for (const s of services) {
    cluster.services.push({
      kind: 'Service',
      metadata: { namespace: s.namespace, name: s.name },
      spec: {
        type: s.type ?? 'ClusterIP',
        clusterIP: s.clusterIP,
        clusterIPs: [s.clusterIP],
        ports: s.ports.map((p) => ({ ...p, protocol: p.protocol ?? 'TCP' })),
        ...(s.selector ? { selector: s.selector } : {}),
        ...(s.externalTrafficPolicy ? { externalTrafficPolicy: s.externalTrafficPolicy } : {}),
      },
    });
    if (!s.selector) continue;
    const eps = pods.filter((p) => p.namespace === s.namespace && Object.entries(s.selector!).every(([k, v]) => p.labels?.[k] === v));
    cluster.endpointSlices.push({
      kind: 'EndpointSlice',
      metadata: { namespace: s.namespace, name: `${s.name}-abc`, labels: { 'kubernetes.io/service-name': s.name } },
      addressType: 'IPv4',
      endpoints: eps.map((p) => ({ addresses: [p.ip], conditions: { ready: true, serving: true, terminating: false }, nodeName: p.node, targetRef: { kind: 'Pod', name: p.name, namespace: p.namespace } })),
      ports: s.ports.map((sp) => {
        const tp = sp.targetPort ?? sp.port;
        const port = typeof tp === 'number' ? tp : (eps[0]?.ports?.find((c) => c.name === tp)?.containerPort ?? 0);
        return { ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol ?? 'TCP' };
      }),
    });
  }

  const snapshots: NodeSnapshot[] = [];
  nodes.forEach((n, i) => {
    if (n.observed === false) return;
    const myPods = pods.filter((p) => p.node === n.name);
    const gw = `${net24(n.podCIDR)}.1`;
    const links: unknown[] = [LO, link(2, 'eth0', { address: mac(i, 1) }), link(3, 'cni0', { address: mac(i, 2), linkinfo: { info_kind: 'bridge' } })];
    const addrs = [addr(2, 'eth0', n.ip, 24), addr(3, 'cni0', gw, 24)];
    const routes: IpRoute[] = [
      { dst: 'default', gateway: '192.0.2.1', dev: 'eth0', flags: [] },
      { dst: '192.0.2.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: n.ip, flags: [] },
      { dst: n.podCIDR, dev: 'cni0', protocol: 'kernel', scope: 'link', prefsrc: gw, flags: [] },
    ];
    const neigh: unknown[] = [];
    const fdb: unknown[] = [];
    if (mode === 'vxlan') {
      links.push(link(4, 'flannel.1', { mtu: 1450, address: mac(i, 3), linkinfo: { info_kind: 'vxlan', info_data: { id: 1, local: n.ip, link: 'eth0', port: 8472, learning: false } } }));
      addrs.push(addr(4, 'flannel.1', `${net24(n.podCIDR)}.0`, 32));
    }
    nodes.forEach((m, j) => {
      if (m === n) return;
      if (mode === 'vxlan') {
        routes.push({ dst: m.podCIDR, gateway: `${net24(m.podCIDR)}.0`, dev: 'flannel.1', flags: ['onlink'] });
        neigh.push({ dst: `${net24(m.podCIDR)}.0`, dev: 'flannel.1', lladdr: mac(j, 3), state: ['PERMANENT'] });
        fdb.push({ mac: mac(j, 3), ifname: 'flannel.1', dst: m.ip, flags: ['self'], state: 'permanent' });
      } else routes.push({ dst: m.podCIDR, gateway: m.ip, dev: 'eth0', flags: [] });
    });
    const namespaces: unknown[] = [];
    myPods.forEach((p, k) => {
      const hostIdx = 10 + k;
      const vethName = `veth${i}${k}`;
      links.push(link(hostIdx, vethName, { master: 'cni0', address: mac(i, 10 + k), link_index: 2, link_netnsid: k, linkinfo: { info_kind: 'veth', info_slave_kind: 'bridge', info_slave_data: { state: 'forwarding', hairpin: true } } }));
      fdb.push({ mac: mac(100 + i, k), ifname: vethName, master: 'cni0', flags: [], state: undefined });
      namespaces.push({
        id: `netns:${4026533000 + i * 100 + k}`,
        inode: 4026533000 + i * 100 + k,
        nsid: k,
        names: [`cni-${i}-${k}`],
        foundBy: [{ method: 'veth-peer', detail: `${vethName} link_netnsid ${k}` }],
        pod: null,
        links: [LO, link(2, 'eth0', { address: mac(100 + i, k), link_index: hostIdx, link_netnsid: 0, linkinfo: { info_kind: 'veth' } })],
        addrs: [addr(2, 'eth0', p.ip, 24)],
        routes: {
          inet: [
            { dst: 'default', gateway: gw, dev: 'eth0', flags: [] },
            { dst: '10.244.0.0/16', gateway: gw, dev: 'eth0', flags: [] },
            { dst: n.podCIDR, dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: p.ip, flags: [] },
            ...localRoutes([{ local: p.ip, dev: 'eth0' }]),
          ],
          inet6: [],
        },
        rules: { inet: DEFAULT_RULES, inet6: [] },
        neigh: [],
        sysctls: {},
      });
    });
    // nfacct: the rules kube-proxy 1.36 writes on a kernel with nfnetlink_acct, as every lab node has.
    const iptables = opts.kubeProxy === false ? '' : renderIptablesRules(cluster, { nodeName: n.name, nodeIPs: [n.ip], clusterCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/16', nfacct: true });
    const extra = opts.extraFilterForward?.[n.name] ?? [];
    // Extra rules go first in filter FORWARD (as `iptables -I FORWARD 1` would put them).
    const at = iptables.indexOf('\n-A FORWARD ');
    const save = extra.length > 0 && at >= 0 ? `${iptables.slice(0, at)}\n${extra.join('\n')}${iptables.slice(at)}` : iptables;
    const sysctls: Record<string, string> = { 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': String(opts.rpFilter ?? 0) };
    if (opts.brNetfilter !== false) sysctls['net.bridge.bridge-nf-call-iptables'] = '1';
    const snap: NodeSnapshotInput = {
      schemaVersion: 1,
      kind: 'NodeSnapshot',
      nodeName: n.name,
      capturedAt: '2026-11-21T14:00:00Z',
      agentVersion: 'kit',
      kernelRelease: '6.1.0',
      host: {
        id: 'host',
        inode: 4026531840,
        nsid: null,
        names: [],
        foundBy: [{ method: 'host', detail: 'kit' }],
        pod: null,
        links: links as never,
        addrs,
        routes: { inet: [...routes, ...localRoutes([{ local: n.ip, dev: 'eth0' }, { local: gw, dev: 'cni0' }, ...(mode === 'vxlan' ? [{ local: `${net24(n.podCIDR)}.0`, dev: 'flannel.1' }] : [])])], inet6: [] },
        rules: { inet: DEFAULT_RULES, inet6: [] },
        neigh: neigh as never,
        sysctls,
      },
      namespaces: namespaces as never,
      bridge: { fdb: fdb as never, ports: [] },
      iptables: save ? [{ family: 'ipv4', backend: 'nft', save }] : [],
      iptablesBackendInUse: 'nft',
      nft: null,
      ipvs: null,
      ipsets: null,
      cni: { configs: [{ path: '/etc/cni/net.d/10-flannel.conflist', content: '{"name":"cbr0","plugins":[{"type":"flannel"}]}' }], results: [] },
      errors: [],
    };
    opts.tweak?.(n.name, snap);
    snapshots.push(NodeSnapshot.parse(snap));
  });
  const bundle: Bundle = { dir: '/kit', meta: null, cluster, snapshots, blobs: new Map() };
  return { bundle, model: resolveBundle(bundle), cluster };
}

/** The shop-like cluster most tests use: 2 nodes, web on both, api on n2, a NodePort. */
export function twoNodeShop(opts: KitOptions = {}) {
  const nodes: KitNode[] = [
    { name: 'n1', ip: '192.0.2.11', podCIDR: '10.244.1.0/24' },
    { name: 'n2', ip: '192.0.2.12', podCIDR: '10.244.2.0/24' },
  ];
  const http = { name: 'http', containerPort: 8080 };
  const pods: KitPod[] = [
    { namespace: 'shop', name: 'client-0', node: 'n1', ip: '10.244.1.2', labels: { app: 'client' }, ports: [{ containerPort: 80 }] },
    { namespace: 'shop', name: 'web-0', node: 'n1', ip: '10.244.1.3', labels: { app: 'web' }, ports: [http] },
    { namespace: 'shop', name: 'web-1', node: 'n2', ip: '10.244.2.2', labels: { app: 'web' }, ports: [http] },
    { namespace: 'shop', name: 'api-0', node: 'n2', ip: '10.244.2.3', labels: { app: 'api' }, ports: [http] },
  ];
  const services: KitService[] = [
    { namespace: 'shop', name: 'web', clusterIP: '10.96.0.10', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    { namespace: 'shop', name: 'api', type: 'NodePort', clusterIP: '10.96.0.20', selector: { app: 'api' }, ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }] },
    { namespace: 'shop', name: 'checkout', clusterIP: '10.96.0.30', selector: { app: 'checkout' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  ];
  return kitCluster(nodes, pods, services, opts);
}
