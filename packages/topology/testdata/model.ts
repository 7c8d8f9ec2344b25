// A small hand-made ClusterModel (flannel-vxlan shaped, two observed nodes and one not observed) for unit tests
// of the topology and the API. Real bundles come from labs; this keeps the builders' tests independent of them.
import type { ClusterModel, DeviceModel, NetnsModel, NodeModel, PodModel } from '@patchbay/resolve';
import type { IpRoute, NamespaceState } from '@patchbay/schema';

// Fields the resolver adds for the tracer; spread through Partial so the fixture compiles while the model grows.
const deviceExtra = { proxyArp: false } as Partial<DeviceModel>;
const nodeExtra = (ips: string[]) => ({ ruleset: null, sysctls: {}, localAddresses: new Set(ips), errors: [] }) as Partial<NodeModel>;
const netnsExtra = () => ({ routing: { rules: [], tables: new Map() }, deviceByName: new Map() }) as unknown as Partial<NetnsModel>;

function state(id: string, routes: Partial<IpRoute>[] = []): NamespaceState {
  return {
    id,
    inode: null,
    nsid: null,
    names: [],
    foundBy: [{ method: id === 'host' ? 'host' : 'veth-peer', detail: 'test' }],
    pod: null,
    links: [],
    addrs: [],
    routes: { inet: routes.map((r) => ({ dst: 'default', flags: [], ...r })) as IpRoute[], inet6: [] },
    rules: { inet: [{ priority: 0, src: 'all', table: 'local' }, { priority: 32766, src: 'all', table: 'main' }], inet6: [] },
    neigh: [{ dst: '192.0.2.1', dev: 'eth0', lladdr: '02:00:00:00:00:01', state: ['REACHABLE'] }],
    sysctls: {},
  } as NamespaceState;
}

export function testModel(): ClusterModel {
  const nodes = new Map<string, NodeModel>();
  const namespaces = new Map<string, NetnsModel>();
  const devices = new Map<string, DeviceModel>();
  const pods = new Map<string, PodModel>();

  const device = (node: string, netns: string, name: string, kind: string, extra: Partial<DeviceModel> = {}): DeviceModel => {
    const d: DeviceModel = {
      id: `${netns}/dev/${name}`,
      node,
      netns,
      name,
      ifindex: devices.size + 1,
      kind,
      mtu: kind === 'vxlan' ? 1450 : 1500,
      up: true,
      mac: `02:00:00:00:${String(devices.size).padStart(2, '0')}:01`,
      addresses: [],
      master: null,
      peer: null,
      vxlan: null,
      link: { ifindex: devices.size + 1, ifname: name, flags: [], mtu: 1500, operstate: 'UP' },
      ...deviceExtra,
      ...extra,
    } as DeviceModel;
    devices.set(d.id, d);
    const ns = namespaces.get(netns);
    ns?.devices.push(d.id);
    (ns as unknown as { deviceByName?: Map<string, string> } | undefined)?.deviceByName?.set(name, d.id);
    return d;
  };

  const addNode = (name: string, ip: string, cidr: string, peer: { name: string; ip: string; cidr: string }) => {
    const hostId = `${name}/host`;
    const cni = { kind: 'flannel-vxlan' as const, enforcesNetworkPolicy: false, evidence: 'test' };
    nodes.set(name, { name, observed: true, snapshot: null, internalIP: ip, podCIDRs: [cidr], hostNetns: hostId, netns: [hostId], cni, kubeProxy: { mode: 'iptables', evidence: 'test' }, ...nodeExtra([ip]) } as NodeModel);
    const gw = cidr.replace('.0/24', '.1');
    namespaces.set(hostId, {
      id: hostId,
      node: name,
      label: 'host',
      kind: 'host',
      pod: null,
      state: state('host', [
        { dst: 'default', gateway: '192.0.2.1', dev: 'eth0' },
        { dst: '192.0.2.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link' },
        { dst: cidr, dev: 'cni0', protocol: 'kernel', scope: 'link' },
        { dst: peer.cidr, gateway: peer.cidr.replace('/24', ''), dev: 'flannel.1', flags: ['onlink'] },
      ]),
      devices: [],
      ...netnsExtra(),
    } as NetnsModel);
    device(name, hostId, 'lo', 'device', { addresses: ['127.0.0.1/8'] });
    device(name, hostId, 'eth0', 'device', { addresses: [`${ip}/24`] });
    device(name, hostId, 'cni0', 'bridge', { addresses: [`${gw}/24`] });
    device(name, hostId, 'flannel.1', 'vxlan', {
      addresses: [`${cidr.replace('/24', '')}/32`],
      vxlan: { vni: 1, local: ip, port: 8472, dev: 'eth0', fdb: [{ mac: '0a:00:00:00:00:02', dst: peer.ip, node: peer.name }] },
    });
  };
  addNode('n1', '192.0.2.11', '10.244.0.0/24', { name: 'n2', ip: '192.0.2.12', cidr: '10.244.1.0/24' });
  addNode('n2', '192.0.2.12', '10.244.1.0/24', { name: 'n1', ip: '192.0.2.11', cidr: '10.244.0.0/24' });
  nodes.set('n3', {
    name: 'n3',
    observed: false,
    snapshot: null,
    internalIP: '198.51.100.13',
    podCIDRs: ['10.244.2.0/24'],
    hostNetns: 'n3/host',
    netns: [],
    cni: { kind: 'unknown', enforcesNetworkPolicy: null, evidence: 'not observed' },
    kubeProxy: { mode: 'unknown', evidence: 'not observed' },
    ...nodeExtra([]),
  } as NodeModel);

  const addPod = (node: string, ns: string, name: string, ip: string, veth: string, labels: Record<string, string> = {}) => {
    const key = `${ns}/${name}`;
    const netnsId = `${node}/pod/${key}`;
    namespaces.set(netnsId, { id: netnsId, node, label: `pod/${key}`, kind: 'pod', pod: key, state: state('netns:1', [{ dst: 'default', gateway: ip.replace(/\.\d+$/, '.1'), dev: 'eth0' }]), devices: [], ...netnsExtra() } as NetnsModel);
    nodes.get(node)?.netns.push(netnsId);
    const eth0 = device(node, netnsId, 'eth0', 'veth', { addresses: [`${ip}/24`] });
    const hostEnd = device(node, `${node}/host`, veth, 'veth', { master: `${node}/host/dev/cni0`, peer: eth0.id });
    eth0.peer = hostEnd.id;
    pods.set(key, {
      key,
      namespace: ns,
      name,
      node,
      ip,
      hostNetwork: false,
      labels,
      netns: netnsId,
      hostDevice: hostEnd.id,
      object: { kind: 'Pod', metadata: { name, namespace: ns, labels }, spec: { nodeName: node, containers: [] }, status: { podIP: ip } },
    });
  };
  addPod('n1', 'shop', 'web-1', '10.244.0.5', 'veth1a', { app: 'web' });
  addPod('n1', 'kube-system', 'dns-1', '10.244.0.6', 'veth1b', { app: 'dns' });
  addPod('n2', 'shop', 'web-2', '10.244.1.5', 'veth2a', { app: 'web' });
  pods.set('shop/pending-1', {
    key: 'shop/pending-1',
    namespace: 'shop',
    name: 'pending-1',
    node: 'n3',
    ip: '10.244.2.9',
    hostNetwork: false,
    labels: {},
    netns: null,
    hostDevice: null,
    object: { kind: 'Pod', metadata: { name: 'pending-1', namespace: 'shop' }, spec: { nodeName: 'n3', containers: [] }, status: { podIP: '10.244.2.9' } },
  });

  const services: ClusterModel['services'] = new Map([
    [
      'shop/web',
      {
        key: 'shop/web',
        namespace: 'shop',
        name: 'web',
        type: 'ClusterIP',
        clusterIP: '10.96.0.10',
        ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: null }],
        endpoints: [
          { ip: '10.244.0.5', ports: { http: 8080 }, pod: 'shop/web-1', node: 'n1', ready: true, serving: true, terminating: false },
          { ip: '10.244.1.5', ports: { http: 8080 }, pod: 'shop/web-2', node: 'n2', ready: true, serving: true, terminating: false },
        ],
        object: { kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }], selector: { app: 'web' } } },
      },
    ],
  ]);

  const addressOwners: ClusterModel['addressOwners'] = new Map();
  for (const p of pods.values()) if (p.ip) addressOwners.set(p.ip, [{ kind: 'pod', pod: p.key }]);
  addressOwners.set('192.0.2.11', [{ kind: 'node', node: 'n1', device: 'n1/host/dev/eth0' }]);
  addressOwners.set('192.0.2.12', [{ kind: 'node', node: 'n2', device: 'n2/host/dev/eth0' }]);
  addressOwners.set('10.96.0.10', [{ kind: 'service', service: 'shop/web' }]);

  return {
    capturedAt: '2026-11-21T14:00:00Z',
    nodes,
    namespaces,
    devices,
    pods,
    services,
    networkPolicies: [],
    namespaceLabels: new Map([['shop', {}], ['kube-system', {}]]),
    addressOwners,
    warnings: [],
    ...({ rulesets: new Map(), podCIDRs: ['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24'] } as Partial<ClusterModel>),
  } as ClusterModel;
}
