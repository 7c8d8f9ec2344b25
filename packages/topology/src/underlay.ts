import type { ClusterModel, NodeModel } from '@patchbay/resolve';
import { cidrContains, networkOf, parseCidr } from './internal/ipv4.js';

/**
 * The underlay subnet a node attaches to: the network of the host address that equals the node's InternalIP
 * (so "192.0.2.0/24"). A node without a snapshot falls back to a subnet another node shows containing its
 * InternalIP, then to "unknown".
 */
export function underlaySubnets(model: ClusterModel): Map<string, string> {
  const out = new Map<string, string>();
  const known: string[] = [];
  for (const node of model.nodes.values()) {
    const subnet = observedSubnet(model, node);
    if (subnet) {
      out.set(node.name, subnet);
      if (!known.includes(subnet)) known.push(subnet);
    }
  }
  for (const node of model.nodes.values()) {
    if (out.has(node.name)) continue;
    const ip = node.internalIP;
    const match = ip ? known.find((s) => { const c = parseCidr(s); return c !== null && cidrContains(c, ip); }) : undefined;
    out.set(node.name, match ?? 'unknown');
  }
  return out;
}

function observedSubnet(model: ClusterModel, node: NodeModel): string | null {
  if (!node.internalIP) return null;
  const host = model.namespaces.get(node.hostNetns);
  for (const devId of host?.devices ?? []) {
    const dev = model.devices.get(devId);
    for (const addr of dev?.addresses ?? []) {
      if (addr.split('/')[0] === node.internalIP) return networkOf(addr);
    }
  }
  return null;
}
