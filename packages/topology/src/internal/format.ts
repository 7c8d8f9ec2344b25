import type { IpRoute, IpRule } from '@patchbay/schema';

// `ip route` / `ip rule` style one-line text for the tables, so an admin can compare them with the shell.

export function routeText(r: IpRoute): string {
  const parts: string[] = [];
  if (r.type && r.type !== 'unicast') parts.push(r.type);
  parts.push(r.dst);
  if (r.gateway) parts.push('via', r.gateway);
  if (r.dev) parts.push('dev', r.dev);
  if (r.table && r.table !== 'main') parts.push('table', r.table);
  if (r.protocol) parts.push('proto', r.protocol);
  if (r.scope) parts.push('scope', r.scope);
  if (r.prefsrc) parts.push('src', r.prefsrc);
  if (r.metric !== undefined) parts.push('metric', String(r.metric));
  for (const f of r.flags) parts.push(f);
  for (const nh of r.nexthops ?? []) {
    parts.push('nexthop');
    if (nh.gateway) parts.push('via', nh.gateway);
    if (nh.dev) parts.push('dev', nh.dev);
    if (nh.weight !== undefined) parts.push('weight', String(nh.weight));
  }
  return parts.join(' ');
}

export function ruleText(r: IpRule): string {
  const parts: string[] = [`${r.priority}:`];
  if (r.not === null) parts.push('not');
  parts.push('from', r.src ? (r.srclen !== undefined && r.src !== 'all' ? `${r.src}/${r.srclen}` : r.src) : 'all');
  if (r.dst) parts.push('to', r.dstlen !== undefined ? `${r.dst}/${r.dstlen}` : r.dst);
  if (r.fwmark) parts.push('fwmark', r.fwmask ? `${r.fwmark}/${r.fwmask}` : r.fwmark);
  if (r.iif) parts.push('iif', r.iif);
  if (r.oif) parts.push('oif', r.oif);
  if (r.table) parts.push('lookup', r.table);
  else if (r.action) parts.push(r.action);
  if (r.suppress_prefixlen !== undefined) parts.push('suppress_prefixlength', String(r.suppress_prefixlen));
  return parts.join(' ');
}
