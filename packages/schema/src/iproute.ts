import { z } from 'zod';

// Shapes of iproute2's JSON output (`ip -d -j link`, `ip -j addr`, ...). Only the fields Patchbay reads are
// typed; every other field is kept as the tool printed it, so a newer reader can use it later.

const loose = <T extends z.core.$ZodLooseShape>(shape: T) => z.looseObject(shape);

export const LinkInfo = loose({
  info_kind: z.string().optional(),
  info_data: z.looseObject({}).optional(),
  info_slave_kind: z.string().optional(),
  info_slave_data: z.looseObject({}).optional(),
});

export const IpLink = loose({
  ifindex: z.number().int(),
  ifname: z.string(),
  flags: z.array(z.string()).default([]),
  mtu: z.number().int(),
  operstate: z.string(),
  link_type: z.string().optional(),
  address: z.string().optional(),
  // The peer's name when it is in the same namespace; null for tunnels with no underlay (`tunl0@NONE`).
  link: z.string().nullable().optional(),
  link_index: z.number().int().optional(),
  link_netnsid: z.number().int().optional(),
  master: z.string().optional(),
  linkinfo: LinkInfo.optional(),
});
export type IpLink = z.infer<typeof IpLink>;

export const IpAddrInfo = loose({
  family: z.enum(['inet', 'inet6']).or(z.string()),
  local: z.string(),
  prefixlen: z.number().int(),
  scope: z.string().optional(),
  label: z.string().optional(),
});

export const IpAddr = loose({
  ifindex: z.number().int(),
  ifname: z.string(),
  addr_info: z.array(IpAddrInfo).default([]),
});
export type IpAddr = z.infer<typeof IpAddr>;

export const IpNexthop = loose({
  gateway: z.string().optional(),
  dev: z.string().optional(),
  weight: z.number().optional(),
  flags: z.array(z.string()).default([]),
});

export const IpRoute = loose({
  type: z.string().optional(),
  dst: z.string(),
  gateway: z.string().optional(),
  dev: z.string().optional(),
  table: z.string().optional(),
  protocol: z.string().optional(),
  scope: z.string().optional(),
  prefsrc: z.string().optional(),
  metric: z.number().optional(),
  flags: z.array(z.string()).default([]),
  nexthops: z.array(IpNexthop).optional(),
});
export type IpRoute = z.infer<typeof IpRoute>;

export const IpRule = loose({
  priority: z.number().int(),
  src: z.string().optional(),
  srclen: z.number().int().optional(),
  dst: z.string().optional(),
  dstlen: z.number().int().optional(),
  table: z.string().optional(),
  action: z.string().optional(),
  fwmark: z.string().optional(),
  fwmask: z.string().optional(),
  iif: z.string().optional(),
  oif: z.string().optional(),
  // `not` is printed as a null-valued key when the selector is inverted.
  not: z.null().optional(),
  suppress_prefixlen: z.number().optional(),
});
export type IpRule = z.infer<typeof IpRule>;

export const IpNeigh = loose({
  dst: z.string(),
  dev: z.string(),
  lladdr: z.string().optional(),
  state: z.array(z.string()).default([]),
});
export type IpNeigh = z.infer<typeof IpNeigh>;

export const BridgeFdb = loose({
  mac: z.string(),
  ifname: z.string(),
  dst: z.string().optional(),
  master: z.string().optional(),
  vlan: z.number().optional(),
  flags: z.array(z.string()).default([]),
  state: z.string().optional(),
});
export type BridgeFdb = z.infer<typeof BridgeFdb>;

export const BridgeLink = loose({
  ifindex: z.number().int(),
  ifname: z.string(),
  master: z.string().optional(),
  state: z.string().optional(),
  mtu: z.number().optional(),
});
export type BridgeLink = z.infer<typeof BridgeLink>;
