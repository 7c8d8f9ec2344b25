import { z } from 'zod';
import { TextSection, BlobRef } from './blob.js';
import { BridgeFdb, BridgeLink, IpAddr, IpLink, IpNeigh, IpRoute, IpRule } from './iproute.js';

// NodeSnapshot v1 (DESIGN.md): what one node's kernel says, shipped with little reshaping.

export const DiscoveryMethod = z.enum(['host', 'veth-peer', 'netns-name', 'proc', 'cni-cache', 'nsid']);

export const NamespaceFoundBy = z.strictObject({
  method: DiscoveryMethod,
  detail: z.string(),
});

export const PodRef = z.strictObject({
  namespace: z.string(),
  name: z.string(),
  containerId: z.string().optional(),
});

export const NamespaceState = z.looseObject({
  /** "host" for the node's own namespace, else "netns:<inode>" (stable while the namespace lives). */
  id: z.string().regex(/^(host|netns:\d+)$/, 'namespace id must be "host" or "netns:<inode>"'),
  inode: z.number().int().nullable(),
  /** The id the host namespace uses for it (`link_netnsid` of the host-side veth); null for the host. */
  nsid: z.number().int().nullable(),
  names: z.array(z.string()).default([]),
  foundBy: z.array(NamespaceFoundBy).min(1, 'a namespace must say how it was found'),
  /** The pod this namespace belongs to, when the CNI result cache says so. */
  pod: PodRef.nullable().default(null),
  links: z.array(IpLink),
  addrs: z.array(IpAddr),
  routes: z.strictObject({ inet: z.array(IpRoute), inet6: z.array(IpRoute) }),
  rules: z.strictObject({ inet: z.array(IpRule), inet6: z.array(IpRule) }),
  neigh: z.array(IpNeigh),
  /** net.* sysctls that change forwarding in this namespace, key as in sysctl(8): net.ipv4.ip_forward, ... */
  sysctls: z.record(z.string(), z.string()).default({}),
});
export type NamespaceState = z.infer<typeof NamespaceState>;

export const IptablesDump = z.strictObject({
  family: z.enum(['ipv4', 'ipv6']),
  backend: z.enum(['nft', 'legacy']),
  /** `iptables-save -c` output. */
  save: TextSection,
});
export type IptablesDump = z.infer<typeof IptablesDump>;

export const NftRuleset = z.looseObject({ nftables: z.array(z.unknown()) });
export type NftRuleset = z.infer<typeof NftRuleset>;

export const CollectorError = z.strictObject({
  collector: z.string(),
  namespace: z.string().optional(),
  message: z.string(),
});
export type CollectorError = z.infer<typeof CollectorError>;

export const CniFile = z.strictObject({ path: z.string(), content: z.string() });

export const NodeSnapshot = z.looseObject({
  schemaVersion: z.literal(1, 'schemaVersion must be 1'),
  kind: z.literal('NodeSnapshot'),
  nodeName: z.string().min(1),
  capturedAt: z.iso.datetime({ offset: true }),
  agentVersion: z.string(),
  kernelRelease: z.string(),
  host: NamespaceState,
  namespaces: z.array(NamespaceState),
  bridge: z.strictObject({ fdb: z.array(BridgeFdb), ports: z.array(BridgeLink) }),
  iptables: z.array(IptablesDump),
  /** Which iptables backend kubelet/kube-proxy use, from mangle KUBE-IPTABLES-HINT; null when unknown. */
  iptablesBackendInUse: z.enum(['nft', 'legacy']).nullable(),
  /** `nft -j list ruleset`, parsed JSON or by reference. */
  nft: z.union([NftRuleset, BlobRef]).nullable(),
  /** `ipvsadm -Ln --exact`. */
  ipvs: TextSection.nullable(),
  /** `ipset save`. */
  ipsets: TextSection.nullable(),
  cni: z.strictObject({ configs: z.array(CniFile), results: z.array(CniFile) }),
  errors: z.array(CollectorError),
});
export type NodeSnapshot = z.infer<typeof NodeSnapshot>;
export type NodeSnapshotInput = z.input<typeof NodeSnapshot>;
