// The faults a lab can plant, and what each changes. Kept apart from the builder so the scenario schema, the CLI
// and tests share one list.

export const FAULT_NAMES = [
  'missing-route',
  'drop-rule',
  'down-veth',
  'stale-service-rule',
  'mtu-mismatch',
  'missing-fdb',
  'asymmetric-return',
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

export interface FaultInfo {
  name: FaultName;
  /** CNI modes where the fault makes sense (a VXLAN FDB entry does not exist in a routed CNI). */
  cni: ReadonlyArray<'flannel-vxlan' | 'flannel-host-gw' | 'calico-routed'>;
  /** What is changed in the dataplane. */
  plants: string;
  /** Which flows change outcome, and to what; every other flow keeps its outcome. */
  effect: string;
}

const ALL = ['flannel-vxlan', 'flannel-host-gw', 'calico-routed'] as const;

export const FAULTS: Record<FaultName, FaultInfo> = {
  'missing-route': {
    name: 'missing-route',
    cni: ALL,
    plants: "deletes, in the first node, the route to the second node's pod CIDR",
    effect: "traffic from the first node (its pods and the node itself) to pods on the second node times out: it follows the node's default route to the underlay gateway 192.0.2.1, which is not a cluster node and forwards nothing; from the second node's pods to the first node's, replies take the same wrong way, so those time out too",
  },
  'drop-rule': {
    name: 'drop-rule',
    cni: ALL,
    plants: 'inserts `-A FORWARD -d <db pod IP>/32 -p tcp -j DROP` at the top of filter FORWARD on the db pod\'s node (a stray admin rule)',
    effect: "forwarded TCP to the db pod (pod-to-pod from any pod, and through its service) times out; the node itself still reaches it (OUTPUT, not FORWARD), and UDP/ICMP are untouched",
  },
  'down-veth': {
    name: 'down-veth',
    cni: ALL,
    plants: "sets the host side of the db pod's veth down (as a crashed CNI DEL would leave it)",
    effect: "everything to the db pod times out (ARP or the /32 route are gone); nothing else changes",
  },
  'stale-service-rule': {
    name: 'stale-service-rule',
    cni: ALL,
    plants: "kube-proxy is stopped on every node after its first sync, then the cart pod is deleted through the API (no namespace, not in cluster.json, gone from its EndpointSlice); kube-proxy's last rules still send the cart service to its old IP",
    effect: "the cart service times out instead of being refused (no endpoints); everything else is unchanged",
  },
  'mtu-mismatch': {
    name: 'mtu-mismatch',
    cni: ['flannel-vxlan'],
    plants: "sets the second node's underlay (eth0) MTU to 1400 while every flannel.1 keeps 1450 (VXLAN needs 50 more), and makes that eth0 drop received frames over 1400 bytes as a NIC does (nft netdev table lab-nic-mtu, because macvlan does not)",
    effect: 'small packets still pass; large payloads (a probe with size 2000, or an ICMP of 1400 bytes) from other nodes to pods on the second node time out',
  },
  'missing-fdb': {
    name: 'missing-fdb',
    cni: ['flannel-vxlan'],
    plants: "deletes, in the first node, the flannel.1 FDB entry for the second node's VTEP MAC",
    effect: "the first node's VXLAN frames to the second node have no underlay destination: traffic from the first node to pods on the second node times out",
  },
  'asymmetric-return': {
    name: 'asymmetric-return',
    cni: ALL,
    plants:
      "flannel-vxlan: in the second node, replaces the VXLAN route to the first node's pod CIDR with a direct route via the first node's eth0 (a DirectRouting mismatch). host-gw and calico-routed: in the second node, routes the first node's pod CIDR via the third node, which forwards it on",
    effect:
      "flannel-vxlan: the second node's packets reach the first node on eth0 while its route back is flannel.1, so strict rp_filter drops them: TCP, UDP and ICMP between pods of the two nodes time out. calico-routed: the third node sees only one direction of each connection; its conntrack calls the SYN-ACK (or echo reply, or bare ACK) INVALID and kube-proxy's KUBE-FORWARD drops it, so TCP and ICMP between pods of the two nodes time out while UDP (stateless) still works. host-gw: the same, except that flannel's FLANNEL-POSTRTG on the third node masquerades what it forwards, so UDP replies arrive from the wrong address (timeout) and connections from the second node's pods, masqueraded both ways, work",
  },
};
