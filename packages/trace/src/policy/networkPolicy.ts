import type { LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from '@patchbay/schema';
import { ipInCidr } from '../netfilter/shared.js';

// NetworkPolicy (networking.k8s.io/v1) with the API's exact semantics: a pod is isolated in a direction when a
// policy of its namespace selects it with that policy type; then the union of all those policies' rules is the
// allow-list. Evaluated on the pod-level flow, after service DNAT (backend pod, target port).

export interface PolicyPeer {
  /** "NS/NAME" for a pod (not hostNetwork). */
  pod: { key: string; namespace: string; labels: Record<string, string>; containerPorts: { name?: string; containerPort: number; protocol: string }[] } | null;
  ip: string;
  /** The node this address is, when it is a node's address. */
  node: string | null;
  /** The node a pod peer runs on. */
  podNode: string | null;
}

export interface DirectionResult {
  pod: string;
  isolated: boolean;
  /** Policies that select the pod for this direction. */
  policies: string[];
  /** Policies with a rule that allows this flow. */
  allowedBy: string[];
  allowed: boolean;
  reason: string;
}

export interface PolicyResult {
  egress: DirectionResult | null;
  ingress: DirectionResult | null;
  allowed: boolean;
}

export function selectorMatches(sel: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const val = labels[e.key];
    switch (e.operator) {
      case 'In':
        if (!has || !(e.values ?? []).includes(val!)) return false;
        break;
      case 'NotIn':
        if (has && (e.values ?? []).includes(val!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

export function policyTypes(p: NetworkPolicy): ('Ingress' | 'Egress')[] {
  if (p.spec.policyTypes && p.spec.policyTypes.length > 0) return p.spec.policyTypes;
  return p.spec.egress !== undefined ? ['Ingress', 'Egress'] : ['Ingress'];
}

function peerMatches(peer: NetworkPolicyPeer, policyNs: string, other: PolicyPeer, nsLabels: (ns: string) => Record<string, string>): boolean {
  if (peer.ipBlock) {
    if (!ipInCidr(peer.ipBlock.cidr, other.ip)) return false;
    return !(peer.ipBlock.except ?? []).some((c) => ipInCidr(c, other.ip));
  }
  if (!other.pod) return false;
  if (peer.namespaceSelector) {
    if (!selectorMatches(peer.namespaceSelector, nsLabels(other.pod.namespace))) return false;
  } else if (other.pod.namespace !== policyNs) return false;
  if (peer.podSelector && !selectorMatches(peer.podSelector, other.pod.labels)) return false;
  return true;
}

function portMatches(ports: NetworkPolicyPort[] | undefined, proto: string, port: number | null, dstPod: PolicyPeer['pod']): boolean {
  if (!ports || ports.length === 0) return true;
  const P = proto.toUpperCase();
  return ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== P) return false;
    if (p.port === undefined) return true;
    if (port === null) return false;
    if (typeof p.port === 'number') return p.endPort !== undefined ? port >= p.port && port <= p.endPort : port === p.port;
    // A named port is resolved against the destination pod's container ports (name and protocol).
    return (dstPod?.containerPorts ?? []).some((c) => c.name === p.port && (c.protocol ?? 'TCP') === P && c.containerPort === port);
  });
}

const pname = (p: NetworkPolicy) => `${p.metadata.namespace}/${p.metadata.name}`;

export function evaluateNetworkPolicy(
  policies: NetworkPolicy[],
  nsLabels: (ns: string) => Record<string, string>,
  src: PolicyPeer,
  dst: PolicyPeer,
  proto: 'tcp' | 'udp' | 'icmp',
  port: number | null,
): PolicyResult {
  let egress: DirectionResult | null = null;
  let ingress: DirectionResult | null = null;
  if (src.pod) {
    const selecting = policies.filter((p) => p.metadata.namespace === src.pod!.namespace && policyTypes(p).includes('Egress') && selectorMatches(p.spec.podSelector, src.pod!.labels));
    const allowedBy = selecting.filter((p) => (p.spec.egress ?? []).some((r) => (!r.to || r.to.length === 0 || r.to.some((peer) => peerMatches(peer, p.metadata.namespace, dst, nsLabels))) && portMatches(r.ports, proto, port, dst.pod))).map(pname);
    const isolated = selecting.length > 0;
    egress = {
      pod: src.pod.key,
      isolated,
      policies: selecting.map(pname),
      allowedBy,
      allowed: !isolated || allowedBy.length > 0,
      reason: !isolated ? 'no policy selects the source for egress' : allowedBy.length > 0 ? `egress allowed by ${allowedBy.join(', ')}` : `egress denied: ${selecting.map(pname).join(', ')} select the source and none allows this flow`,
    };
  }
  if (dst.pod) {
    const selecting = policies.filter((p) => p.metadata.namespace === dst.pod!.namespace && policyTypes(p).includes('Ingress') && selectorMatches(p.spec.podSelector, dst.pod!.labels));
    const isolated = selecting.length > 0;
    const fromOwnNode = src.node !== null && src.pod === null && src.node === dst.podNode;
    const allowedBy = selecting.filter((p) => (p.spec.ingress ?? []).some((r) => (!r.from || r.from.length === 0 || r.from.some((peer) => peerMatches(peer, p.metadata.namespace, src, nsLabels))) && portMatches(r.ports, proto, port, dst.pod))).map(pname);
    ingress = {
      pod: dst.pod.key,
      isolated,
      policies: selecting.map(pname),
      allowedBy,
      allowed: !isolated || allowedBy.length > 0 || fromOwnNode,
      reason: !isolated
        ? 'no policy selects the destination for ingress'
        : allowedBy.length > 0
          ? `ingress allowed by ${allowedBy.join(', ')}`
          : fromOwnNode
            ? "traffic from the pod's own node is always allowed"
            : `ingress denied: ${selecting.map(pname).join(', ')} select the destination and none allows this flow`,
    };
  }
  return { egress, ingress, allowed: (egress?.allowed ?? true) && (ingress?.allowed ?? true) };
}
