import type { IpLink, NamespaceState, NetworkPolicy, NftRuleset, NodeSnapshot, Pod, RejectedObject, Service } from '@patchbay/schema';
import type { RoutingModel } from './routing.js';

// The resolved model: one linked view of the cluster network, built from a bundle by resolveBundle().
// This file is the contract that trace, topology and the API read. Add fields freely; do not rename or
// remove them without updating every reader.
//
// Ids are stable strings derived from names, so URLs and layouts survive reloads:
//   node:    "NAME"
//   netns:   "NODE/host" | "NODE/pod/NS/NAME" | "NODE/netns:INODE"
//   device:  "<netns id>/dev/IFNAME"
//   pod:     "NS/NAME"           service: "NS/NAME"

export type CniKind = 'flannel-vxlan' | 'flannel-host-gw' | 'bridge' | 'calico' | 'cilium' | 'weave' | 'unknown';
export type KubeProxyMode = 'iptables' | 'nftables' | 'ipvs' | 'none' | 'unknown';

export interface NodeModel {
  name: string;
  /** False when the bundle has no (valid) snapshot for this node: traces through it say "unknown". */
  observed: boolean;
  snapshot: NodeSnapshot | null;
  internalIP: string | null;
  podCIDRs: string[];
  /** netns id of the node's host namespace. */
  hostNetns: string;
  /** Every netns id on this node, host first. */
  netns: string[];
  cni: { kind: CniKind; enforcesNetworkPolicy: boolean | null; evidence: string };
  kubeProxy: { mode: KubeProxyMode; evidence: string };
  /** Key into ClusterModel.rulesets: nodes with identical netfilter/IPVS state share one entry. */
  ruleset: string | null;
  /** Host namespace sysctls (net.ipv4.ip_forward, net.bridge.bridge-nf-call-iptables, ...). */
  sysctls: Record<string, string>;
  /** Every IPv4 address of the host namespace (the kernel's "local" addresses for addrtype LOCAL). */
  localAddresses: Set<string>;
  /** Collector errors from the snapshot, as the tracer quotes them. */
  errors: string[];
}

/**
 * A node's netfilter and IPVS state as text/JSON, shared by every node whose state is identical (kube-proxy writes
 * nearly the same 16 MB on each node). `compiled` is a slot the tracer fills once with its indexed form.
 */
export interface RulesetModel {
  key: string;
  nodes: string[];
  /** iptables-save text of the backend in use (or the only one), IPv4. */
  iptables: string | null;
  iptablesBackend: 'nft' | 'legacy' | null;
  nft: NftRuleset | null;
  ipvs: string | null;
  ipsets: string | null;
  compiled: Map<string, unknown>;
}

export interface NetnsModel {
  id: string;
  node: string;
  /** As DESIGN.md's trace hops name it: "host", "pod/NS/NAME" or "netns:ID". */
  label: string;
  kind: 'host' | 'pod' | 'other';
  /** "NS/NAME" when this namespace is a pod's. */
  pod: string | null;
  state: NamespaceState;
  /** Device ids in this namespace. */
  devices: string[];
  /** Policy rules and route tables, indexed for lookups. */
  routing: RoutingModel;
  /** Device ids by interface name. */
  deviceByName: Map<string, string>;
}

export interface VxlanInfo {
  vni: number | null;
  local: string | null;
  port: number | null;
  /** Underlay device name. */
  dev: string | null;
  /** Remote VTEPs by MAC: FDB entries on this device. */
  fdb: { mac: string; dst: string | null; node: string | null }[];
}

export interface DeviceModel {
  id: string;
  node: string;
  netns: string;
  name: string;
  ifindex: number;
  /** linkinfo.info_kind, or "device" for plain interfaces (loopback, physical). */
  kind: string;
  mtu: number;
  up: boolean;
  mac: string | null;
  /** "A.B.C.D/LEN" */
  addresses: string[];
  /** Device id of the bridge this is a port of. */
  master: string | null;
  /** Device id of the other end of a veth pair, when both ends are in the bundle. */
  peer: string | null;
  vxlan: VxlanInfo | null;
  link: IpLink;
  /** net.ipv4.conf.<dev>.proxy_arp (or conf.all) is on. */
  proxyArp: boolean;
}

export interface PodModel {
  key: string;
  namespace: string;
  name: string;
  node: string | null;
  ip: string | null;
  hostNetwork: boolean;
  labels: Record<string, string>;
  /** netns id of the pod's namespace, when a snapshot shows it. */
  netns: string | null;
  /** Device id of the host-side end of the pod's eth0 veth. */
  hostDevice: string | null;
  object: Pod;
}

export interface ServicePortModel {
  name: string | null;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  port: number;
  targetPort: number | string | null;
  nodePort: number | null;
}

export interface ServiceEndpointModel {
  ip: string;
  /** Resolved target port per service port name ("" for an unnamed port). */
  ports: Record<string, number>;
  pod: string | null;
  node: string | null;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

export interface ServiceModel {
  key: string;
  namespace: string;
  name: string;
  type: string;
  clusterIP: string | null;
  ports: ServicePortModel[];
  endpoints: ServiceEndpointModel[];
  object: Service;
}

export type AddressOwner =
  | { kind: 'pod'; pod: string }
  | { kind: 'node'; node: string; device: string | null }
  | { kind: 'service'; service: string }
  | { kind: 'device'; device: string };

export interface ClusterModel {
  capturedAt: string | null;
  nodes: Map<string, NodeModel>;
  namespaces: Map<string, NetnsModel>;
  devices: Map<string, DeviceModel>;
  pods: Map<string, PodModel>;
  services: Map<string, ServiceModel>;
  networkPolicies: NetworkPolicy[];
  namespaceLabels: Map<string, Record<string, string>>;
  /** Who owns each IPv4 address (pods, node addresses, service VIPs, other devices). */
  addressOwners: Map<string, AddressOwner[]>;
  /** Netfilter/IPVS state, one entry per distinct ruleset (see NodeModel.ruleset). */
  rulesets: Map<string, RulesetModel>;
  /** Cluster-wide pod CIDRs (union of node podCIDRs), for "is this a pod address". */
  podCIDRs: string[];
  /** What the resolver could not link or had to assume. */
  warnings: string[];
  /** Items of cluster.json left out as invalid, so "unknown pod" can say it was there but unusable, and why. */
  rejected: RejectedObject[];
}
