import { z } from 'zod';

export interface KubeProxyOptions {
  /** The node being programmed; endpoints with this nodeName are local. */
  nodeName: string;
  /** The node's own addresses (nft mode: NodePorts answer on these, as --nodeport-addresses=primary does). */
  nodeIPs: string[];
  /** Pod CIDR used for local-traffic detection (`! -s CIDR`), e.g. 10.244.0.0/16. */
  clusterCIDR: string;
  /** Service CIDR (nft: unallocated ClusterIPs are dropped), e.g. 10.96.0.0/16. */
  serviceCIDR: string;
  /** --iptables-masquerade-bit, default 14 (mark 0x4000). */
  masqueradeBit?: number;
  /** nft only: add `counter` to every rule so tests can read hits. */
  counters?: boolean;
  /**
   * iptables only: the node's kernel has nfacct (nfnetlink_acct), so kube-proxy's two nfacct counters exist and it
   * writes the rules that feed them: `-m nfacct` on the conntrack INVALID drop and, before each NodePort rule, a
   * twin for 127.0.0.0/8 destinations. Without it kube-proxy writes neither (its fallback when the counters
   * cannot be created). Default false.
   */
  nfacct?: boolean;
}

const Cidr = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'expected an IPv4 CIDR such as 10.244.0.0/16');
const Ip = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'expected an IPv4 address');

export const KubeProxyOptionsSchema = z.strictObject({
  nodeName: z.string().min(1),
  nodeIPs: z.array(Ip),
  clusterCIDR: Cidr,
  serviceCIDR: Cidr,
  masqueradeBit: z.number().int().min(0).max(31).optional(),
  counters: z.boolean().optional(),
  nfacct: z.boolean().optional(),
});

/** Validated options with defaults applied; throws a ZodError naming the bad field. */
export function resolveOptions(opts: KubeProxyOptions): Required<KubeProxyOptions> & { mark: string } {
  const o = KubeProxyOptionsSchema.parse(opts);
  const masqueradeBit = o.masqueradeBit ?? 14;
  return { ...o, masqueradeBit, counters: o.counters ?? false, nfacct: o.nfacct ?? false, mark: `0x${(2 ** masqueradeBit).toString(16)}` };
}
