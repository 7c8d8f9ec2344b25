import type { ClusterModel, DeviceModel, NetnsModel } from '@patchbay/resolve';
import { routeText, ruleText } from './internal/format.js';
import type { DeviceRow, NeighRow, NodeWiring, PodRow, RouteRow, RuleRow, WiringEdge, WiringNode } from './types.js';

// Layout, top to bottom: pod (and other) namespaces with their devices; then the host namespace: the host ends
// of the veths right under their pod, the bridges, the host's routing, then tunnels, uplinks and the rest.
const SLOT_W = 170;
const PER_ROW = 10;
const ROW_H = 120;
const HOST_GAP = 110;
const VETH_ROW_H = 60;
const BAND_H = 110;

const TUNNEL_KINDS = new Set(['vxlan', 'ipip', 'wireguard', 'geneve', 'gre', 'ip6tnl', 'sit']);

export class UnknownNodeError extends Error {
  constructor(readonly node: string) {
    super(`no node named ${JSON.stringify(node)} in this cluster`);
    this.name = 'UnknownNodeError';
  }
}

function deviceRow(d: DeviceModel): DeviceRow {
  return {
    id: d.id,
    netns: d.netns,
    name: d.name,
    kind: d.kind,
    up: d.up,
    mtu: d.mtu,
    mac: d.mac,
    addresses: d.addresses,
    master: d.master,
    peer: d.peer,
    vxlan: d.vxlan ? { vni: d.vxlan.vni, local: d.vxlan.local, port: d.vxlan.port, dev: d.vxlan.dev, fdb: d.vxlan.fdb } : null,
  };
}

function spread(count: number, width: number): number[] {
  if (count === 0) return [];
  const step = Math.max(SLOT_W, width / count);
  const start = (width - step * (count - 1)) / 2;
  return Array.from({ length: count }, (_, i) => Math.round(start + i * step));
}

export function buildNodeWiring(model: ClusterModel, name: string): NodeWiring {
  const node = model.nodes.get(name);
  if (!node) throw new UnknownNodeError(name);
  const netnsList = node.netns.map((id) => model.namespaces.get(id)).filter((n): n is NetnsModel => n !== undefined);
  const host = netnsList.find((n) => n.id === node.hostNetns) ?? null;
  const others = netnsList.filter((n) => n !== host).sort((a, b) => a.label.localeCompare(b.label));
  const dev = (id: string | null) => (id ? model.devices.get(id) : undefined);

  const nodes: WiringNode[] = [];
  const edges: WiringEdge[] = [];
  const xOf = new Map<string, number>();
  const visible = (d: DeviceModel) => d.name !== 'lo';

  // Pod and other namespaces, wrapped PER_ROW slots a row.
  let slot = 0;
  let podRows = 0;
  for (const ns of others) {
    const devices = ns.devices.map((id) => dev(id)).filter((d): d is DeviceModel => d !== undefined && visible(d));
    nodes.push({ id: ns.id, kind: 'netns', parent: null, label: ns.label, x: 0, y: 0, role: ns.kind, up: null });
    const shown = devices.length ? devices : [];
    if (shown.length === 0) slot += 1;
    for (const d of shown) {
      const x = (slot % PER_ROW) * SLOT_W + SLOT_W / 2;
      const y = Math.floor(slot / PER_ROW) * ROW_H + 40;
      nodes.push({ id: d.id, kind: 'device', parent: ns.id, label: d.name, x, y, role: d.kind, up: d.up });
      xOf.set(d.id, x);
      slot += 1;
    }
    podRows = Math.ceil(slot / PER_ROW);
  }
  const width = Math.max(Math.min(slot, PER_ROW), 4) * SLOT_W;

  if (host) {
    const hostTop = podRows * ROW_H + (podRows ? HOST_GAP : 0);
    nodes.push({ id: host.id, kind: 'netns', parent: null, label: `${name} host`, x: 0, y: 0, role: 'host', up: null });
    const hostDevs = host.devices.map((id) => dev(id)).filter((d): d is DeviceModel => d !== undefined && visible(d));
    const podVeths: DeviceModel[] = [];
    const bridges: DeviceModel[] = [];
    const bottom: DeviceModel[] = [];
    for (const d of hostDevs) {
      if (d.kind === 'bridge') bridges.push(d);
      else if (d.peer && xOf.has(d.peer)) podVeths.push(d);
      else bottom.push(d);
    }
    // Veth host ends go right under their pod; several rows keep labels of neighbours apart.
    const vethRows = podVeths.length ? Math.min(2, podVeths.length) : 0;
    podVeths.forEach((d, i) => {
      nodes.push({ id: d.id, kind: 'device', parent: host.id, label: d.name, x: xOf.get(d.peer ?? '') ?? 0, y: hostTop + 40 + (i % Math.max(1, vethRows)) * VETH_ROW_H, role: d.kind, up: d.up });
    });
    const bridgeY = hostTop + 40 + vethRows * VETH_ROW_H + (vethRows ? 60 : 0);
    spread(bridges.length, width).forEach((x, i) => {
      const d = bridges[i] as DeviceModel;
      nodes.push({ id: d.id, kind: 'device', parent: host.id, label: d.name, x, y: bridgeY, role: d.kind, up: d.up });
    });
    const routerY = bridgeY + (bridges.length ? BAND_H : 0);
    const routerId = `${host.id}/routing`;
    nodes.push({ id: routerId, kind: 'router', parent: host.id, label: 'routing', x: Math.round(width / 2), y: routerY, role: 'router', up: null });
    const tunnelsFirst = [...bottom].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
    spread(tunnelsFirst.length, width).forEach((x, i) => {
      const d = tunnelsFirst[i] as DeviceModel;
      nodes.push({ id: d.id, kind: 'device', parent: host.id, label: d.name, x, y: routerY + BAND_H, role: d.kind, up: d.up });
    });

    // Which host devices the routing table sends packets out of.
    const routesByDev = new Map<string, string[]>();
    for (const r of host.state.routes.inet) {
      for (const devName of [r.dev, ...(r.nexthops ?? []).map((n) => n.dev)]) {
        if (devName) routesByDev.set(devName, [...(routesByDev.get(devName) ?? []), r.dst]);
      }
    }
    for (const d of [...bridges, ...tunnelsFirst]) {
      const dsts = routesByDev.get(d.name);
      if (!dsts) continue;
      const label = dsts.length > 2 ? `${dsts.slice(0, 2).join(', ')} +${dsts.length - 2}` : dsts.join(', ');
      edges.push({ id: `route/${d.id}`, kind: 'route', source: routerId, target: d.id, label });
    }
  }

  for (const d of netnsList.flatMap((n) => n.devices.map((id) => dev(id))).filter((d): d is DeviceModel => d !== undefined && visible(d))) {
    if (d.peer && d.id < d.peer && model.devices.has(d.peer)) edges.push({ id: `veth/${d.id}`, kind: 'veth', source: d.id, target: d.peer, label: 'veth' });
    if (d.master && model.devices.has(d.master)) edges.push({ id: `master/${d.id}`, kind: 'master', source: d.id, target: d.master, label: 'port' });
    if (d.vxlan?.dev) {
      const under = `${d.netns}/dev/${d.vxlan.dev}`;
      if (model.devices.has(under)) edges.push({ id: `underlay/${d.id}`, kind: 'underlay', source: d.id, target: under, label: `VNI ${d.vxlan.vni ?? '?'}` });
    }
  }
  // A veth seen from the pod side only (host end filtered) would point at a missing node; drop dangling edges.
  const ids = new Set(nodes.map((n) => n.id));
  const kept = edges.filter((e) => ids.has(e.source) && ids.has(e.target));

  const maxY = nodes.reduce((m, n) => Math.max(m, n.y), 0);
  return {
    node: name,
    observed: node.observed,
    internalIP: node.internalIP,
    podCIDRs: node.podCIDRs,
    cni: node.cni.kind,
    kubeProxy: node.kubeProxy.mode,
    nodes,
    edges: kept,
    bounds: { width, height: maxY + 40 },
    ...wiringTables(model, name, netnsList),
  };
}

function rank(d: DeviceModel): number {
  if (TUNNEL_KINDS.has(d.kind)) return 0;
  if (d.addresses.length > 0) return 1;
  return 2;
}

function wiringTables(model: ClusterModel, name: string, netnsList: NetnsModel[]) {
  const pods: PodRow[] = [...model.pods.values()]
    .filter((p) => p.node === name)
    .sort((a, b) => a.key.localeCompare(b.key))
    .map((p) => {
      const ns = p.netns ? model.namespaces.get(p.netns) : undefined;
      const eth0 = ns?.devices.find((id) => model.devices.get(id)?.name === 'eth0') ?? null;
      const hostVeth = p.hostDevice ? model.devices.get(p.hostDevice) : undefined;
      return { pod: p.key, netns: ns?.label ?? null, ip: p.ip, hostNetwork: p.hostNetwork, eth0, hostVeth: p.hostDevice, hostVethName: hostVeth?.name ?? null };
    });
  const devices: DeviceRow[] = [];
  const routes: RouteRow[] = [];
  const rules: RuleRow[] = [];
  const neighbours: NeighRow[] = [];
  for (const ns of netnsList) {
    for (const id of ns.devices) {
      const d = model.devices.get(id);
      if (d) devices.push(deviceRow(d));
    }
    for (const r of ns.state.routes.inet) {
      routes.push({
        netns: ns.label,
        table: r.table ?? 'main',
        dst: r.dst,
        gateway: r.gateway ?? null,
        dev: r.dev ?? null,
        type: r.type ?? 'unicast',
        protocol: r.protocol ?? null,
        scope: r.scope ?? null,
        text: routeText(r),
      });
    }
    for (const r of ns.state.rules.inet) rules.push({ netns: ns.label, priority: r.priority, text: ruleText(r) });
    for (const n of ns.state.neigh) neighbours.push({ netns: ns.label, dst: n.dst, dev: n.dev, lladdr: n.lladdr ?? null, state: n.state.join(',') });
  }
  return { pods, devices, routes, rules, neighbours };
}
