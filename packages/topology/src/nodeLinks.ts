import type { ClusterModel } from '@patchbay/resolve';
import { cidrContains, parseCidr, type Cidr } from './internal/ipv4.js';
import type { MapEdge } from './types.js';

const TUNNEL_KINDS = new Set(['vxlan', 'ipip', 'wireguard', 'geneve', 'gre']);

/**
 * The tunnels and direct routes between the given nodes and the rest, read from each focus node's host routes
 * (a route to another node's pod CIDR through a tunnel device is a tunnel, through a gateway is a direct
 * route) and its VXLAN FDB. Only focus nodes are read: drawing every pair of 1,000 nodes would be a mesh.
 */
export function nodeLinks(model: ClusterModel, focus: readonly string[]): MapEdge[] {
  const cidrs: { node: string; cidr: Cidr }[] = [];
  for (const n of model.nodes.values()) {
    for (const c of n.podCIDRs) {
      const parsed = parseCidr(c);
      if (parsed) cidrs.push({ node: n.name, cidr: parsed });
    }
  }
  const edges = new Map<string, MapEdge>();
  const add = (kind: 'tunnel' | 'route', a: string, b: string, label: string, evidence: string) => {
    if (a === b || !model.nodes.has(b)) return;
    const [x, y] = a < b ? [a, b] : [b, a];
    const id = `${kind}/${x}/${y}`;
    const edge = edges.get(id) ?? { id, kind, source: `node/${x}`, target: `node/${y}`, label, evidence: [] };
    if (!edge.evidence.includes(evidence)) edge.evidence.push(evidence);
    edges.set(id, edge);
  };

  for (const name of [...new Set(focus)].sort()) {
    const node = model.nodes.get(name);
    if (!node) continue;
    const host = model.namespaces.get(node.hostNetns);
    if (!host) continue;
    const devKind = new Map<string, string>();
    for (const devId of host.devices) {
      const dev = model.devices.get(devId);
      if (!dev) continue;
      devKind.set(dev.name, dev.kind);
      for (const f of dev.vxlan?.fdb ?? []) {
        if (f.node) add('tunnel', name, f.node, dev.name, `bridge fdb: ${f.mac} dev ${dev.name} dst ${f.dst ?? '?'}`);
      }
    }
    for (const route of host.state.routes.inet) {
      const dstBase = route.dst.split('/')[0] ?? '';
      const owner = cidrs.find((c) => c.node !== name && cidrContains(c.cidr, dstBase));
      if (!owner) continue;
      const dev = route.dev ?? route.nexthops?.[0]?.dev;
      const text = `${route.dst}${route.gateway ? ` via ${route.gateway}` : ''}${dev ? ` dev ${dev}` : ''}${route.table ? ` table ${route.table}` : ''}`;
      if (dev && TUNNEL_KINDS.has(devKind.get(dev) ?? '')) add('tunnel', name, owner.node, dev, `route: ${text}`);
      else add('route', name, owner.node, route.gateway ? `via ${route.gateway}` : (dev ?? 'route'), `route: ${text}`);
    }
  }
  return [...edges.values()].sort((a, b) => a.id.localeCompare(b.id));
}
