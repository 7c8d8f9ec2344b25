import type { SystemFs } from '../system.js';

// The forwarding sysctls of the namespace the agent runs in, read straight from /proc/sys (which shows the
// reading process's own network namespace). Never written.

const PER_DEVICE_V4 = ['rp_filter', 'proxy_arp', 'forwarding', 'route_localnet'];
const PER_DEVICE_V6 = ['forwarding'];
const GLOBAL = ['net/ipv4/ip_forward', 'net/bridge/bridge-nf-call-iptables', 'net/bridge/bridge-nf-call-ip6tables'];

export interface SysctlRead {
  values: Record<string, string>;
  errors: string[];
}

export async function readHostSysctls(fs: SystemFs, proc = '/proc'): Promise<SysctlRead> {
  const values: Record<string, string> = {};
  const errors: string[] = [];
  const paths: string[] = [...GLOBAL];
  for (const [fam, keys] of [
    ['ipv4', PER_DEVICE_V4],
    ['ipv6', PER_DEVICE_V6],
  ] as const) {
    let devices: string[] = [];
    try {
      devices = await fs.readdir(`${proc}/sys/net/${fam}/conf`);
    } catch (err) {
      errors.push(`net/${fam}/conf: ${(err as Error).message}`);
    }
    for (const dev of devices) {
      for (const k of keys) paths.push(`net/${fam}/conf/${dev}/${k}`);
    }
  }
  await Promise.all(
    paths.map(async (p) => {
      try {
        // Device names may contain dots; sysctl(8) keeps them as they are in the key.
        values[p.replaceAll('/', '.')] = (await fs.readFile(`${proc}/sys/${p}`)).trim();
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // bridge-nf-call-* exist only with br_netfilter loaded: absence is a fact, not a failure.
        if (code === 'ENOENT') return;
        errors.push(`${p}: ${(err as Error).message}`);
      }
    }),
  );
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(values).sort()) sorted[k] = values[k]!;
  return { values: sorted, errors };
}
