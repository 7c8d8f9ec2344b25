import { IpAddr, IpLink, IpNeigh, IpRoute, IpRule } from '@patchbay/schema';
import { z } from 'zod';
import { RunError, errorMessage, type Run } from '../run.js';

// Reads one network namespace with iproute2 in batch mode: one `ip -b -` process for addresses, neighbours,
// routes of every table (both families), netconf and IPv4 rules, and one `ip -d -6 -b -` for links (with
// details, for linkinfo) and IPv6 rules. Two processes because batch lines take no options: `-d` would also change
// how routes print, and `ip rule` dumps only one family per process.

/** How to enter a namespace: the one we run in, a name under /var/run/netns, or a path (/proc/PID/ns/net). */
export type NetnsTarget = { kind: 'self' } | { kind: 'name'; name: string } | { kind: 'path'; path: string };

export function ipCommand(target: NetnsTarget, args: string[]): [string, string[]] {
  switch (target.kind) {
    case 'self':
      return ['ip', args];
    case 'name':
      return ['ip', ['-n', target.name, ...args]];
    case 'path':
      // `ip -n` only takes names; nsenter enters by path and execs ip there.
      return ['nsenter', [`--net=${target.path}`, '--', 'ip', ...args]];
  }
}

export function describeTarget(target: NetnsTarget): string {
  return target.kind === 'self' ? 'host' : target.kind === 'name' ? target.name : target.path;
}

const MAIN_BATCH = [
  'addr show',
  'neigh show',
  'route show table all root 0.0.0.0/0',
  'route show table all root ::/0',
  'netconf show',
  // Last: `ip rule` leaves filter state behind that empties later route dumps in the same batch.
  'rule show',
] as const;
const DETAIL_BATCH = ['link show', 'rule show'] as const;
const HOST_EXTRA = ['netns list-id'] as const;

export const NetconfEntry = z.looseObject({
  family: z.string(),
  interface: z.string(),
  forwarding: z.boolean().optional(),
  rp_filter: z.string().optional(),
  proxy_neigh: z.boolean().optional(),
});
export type NetconfEntry = z.infer<typeof NetconfEntry>;

export const NsidEntry = z.looseObject({ nsid: z.number().int(), name: z.string().optional() });
export type NsidEntry = z.infer<typeof NsidEntry>;

export interface NetnsRead {
  links: IpLink[];
  addrs: IpAddr[];
  routes: { inet: IpRoute[]; inet6: IpRoute[] };
  rules: { inet: IpRule[]; inet6: IpRule[] };
  neigh: IpNeigh[];
  netconf: NetconfEntry[];
  /** `ip netns list-id` (only when asked: the host's view of its peers). */
  nsids: NsidEntry[];
  /** What could not be read, one message per failed part. */
  errors: string[];
  /** True when the namespace could not be entered at all (gone, or no permission). */
  unreadable: boolean;
}

/** Splits batch output into one JSON document per command; iproute2 prints each array on one line. */
export function splitBatchOutput(stdout: string): unknown[] {
  const docs: unknown[] = [];
  for (const line of stdout.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    try {
      docs.push(JSON.parse(t));
    } catch {
      docs.push(undefined); // a command that failed half-way printed an unterminated array
    }
  }
  return docs;
}

/** The items of a JSON array that `schema` accepts; each one it rejects becomes an error naming its index. */
export function parseList<T extends z.ZodType>(schema: T, doc: unknown, what: string, errors: string[]): z.infer<T>[] {
  if (!Array.isArray(doc)) {
    errors.push(`${what}: no JSON array in the output`);
    return [];
  }
  const out: z.infer<T>[] = [];
  for (const [i, item] of doc.entries()) {
    const r = schema.safeParse(item);
    if (r.success) out.push(item as z.infer<T>);
    else errors.push(`${what}[${i}]: ${r.error.issues.map((x) => `${x.path.join('.') || '(root)'}: ${x.message}`).join('; ')}`);
  }
  return out;
}

async function batch(run: Run, target: NetnsTarget, opts: string[], lines: readonly string[], timeoutMs?: number) {
  const [cmd, args] = ipCommand(target, [...opts, '-j', '-force', '-b', '-']);
  try {
    const r = await run(cmd, args, { input: lines.join('\n') + '\n', timeoutMs });
    return { docs: splitBatchOutput(r.stdout), error: null as string | null, fatal: false };
  } catch (err) {
    // With -force, ip runs every line and exits non-zero if one failed; keep what it printed.
    const stdout = err instanceof RunError ? err.stdout : '';
    const docs = splitBatchOutput(stdout);
    return { docs, error: errorMessage(err), fatal: docs.length === 0 };
  }
}

export async function readNetns(
  run: Run,
  target: NetnsTarget,
  opts: { withNsids?: boolean; timeoutMs?: number } = {},
): Promise<NetnsRead> {
  const mainLines = opts.withNsids ? [...HOST_EXTRA, ...MAIN_BATCH] : [...MAIN_BATCH];
  const [main, detail] = await Promise.all([
    batch(run, target, [], mainLines, opts.timeoutMs),
    batch(run, target, ['-d', '-6'], DETAIL_BATCH, opts.timeoutMs),
  ]);
  const errors: string[] = [];
  if (main.error) errors.push(main.error);
  if (detail.error) errors.push(detail.error);
  const result: NetnsRead = {
    links: [],
    addrs: [],
    routes: { inet: [], inet6: [] },
    rules: { inet: [], inet6: [] },
    neigh: [],
    netconf: [],
    nsids: [],
    errors,
    unreadable: main.fatal && detail.fatal,
  };
  if (result.unreadable) return result;
  // When a command printed nothing the documents no longer line up with the commands: say so, keep nothing wrong.
  const take = (docs: unknown[], lines: readonly string[]) => {
    if (docs.length !== lines.length) {
      errors.push(`ip batch printed ${docs.length} JSON documents for ${lines.length} commands (${lines.join(', ')})`);
      return null;
    }
    return docs;
  };
  const m = take(main.docs, mainLines);
  if (m) {
    let i = 0;
    if (opts.withNsids) result.nsids = parseList(NsidEntry, m[i++], 'netns list-id', errors);
    result.addrs = parseList(IpAddr, m[i++], 'addr', errors);
    result.neigh = parseList(IpNeigh, m[i++], 'neigh', errors);
    result.routes.inet = parseList(IpRoute, m[i++], 'route -4', errors);
    result.routes.inet6 = parseList(IpRoute, m[i++], 'route -6', errors);
    result.netconf = parseList(NetconfEntry, m[i++], 'netconf', errors);
    result.rules.inet = parseList(IpRule, m[i], 'rule -4', errors);
  }
  const d = take(detail.docs, DETAIL_BATCH);
  if (d) {
    result.links = parseList(IpLink, d[0], 'link', errors);
    result.rules.inet6 = parseList(IpRule, d[1], 'rule -6', errors);
  }
  return result;
}

const RP_FILTER: Record<string, string> = { off: '0', strict: '1', loose: '2' };

/**
 * The forwarding sysctls as netconf reports them, keyed as sysctl(8) names them. Used for namespaces other than
 * the one the agent runs in, whose /proc/sys it cannot read without entering them.
 */
export function sysctlsFromNetconf(entries: NetconfEntry[]): Record<string, string> {
  const out: Record<string, string> = {};
  const bit = (b: boolean) => (b ? '1' : '0');
  for (const e of entries) {
    const fam = e.family === 'inet' ? 'ipv4' : e.family === 'inet6' ? 'ipv6' : null;
    if (!fam) continue;
    const prefix = `net.${fam}.conf.${e.interface}`;
    if (e.forwarding !== undefined) out[`${prefix}.forwarding`] = bit(e.forwarding);
    if (fam === 'ipv4' && e.rp_filter !== undefined) out[`${prefix}.rp_filter`] = RP_FILTER[e.rp_filter] ?? e.rp_filter;
    if (fam === 'ipv4' && e.proxy_neigh !== undefined) out[`${prefix}.proxy_arp`] = bit(e.proxy_neigh);
    // net.ipv4.ip_forward is the same switch as net.ipv4.conf.all.forwarding.
    if (fam === 'ipv4' && e.interface === 'all' && e.forwarding !== undefined) out['net.ipv4.ip_forward'] = bit(e.forwarding);
  }
  return out;
}
