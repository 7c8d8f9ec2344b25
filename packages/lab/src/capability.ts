import { spawnSync } from 'node:child_process';

// Labs need root (CAP_NET_ADMIN and CAP_SYS_ADMIN to create and enter namespaces) and iproute2's `ip netns`.

export class LabIncapableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabIncapableError';
  }
}

/** Throws a LabIncapableError that says exactly what is missing. */
export function assertLabCapable(): void {
  if (process.platform !== 'linux') throw new LabIncapableError(`labs need Linux network namespaces; this is ${process.platform}`);
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    throw new LabIncapableError(`labs need root (network namespaces, veths, iptables): running as uid ${process.getuid()}; run as root, e.g. sudo npm run lab -- ...`);
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) throw new LabIncapableError(`labs need iproute2's \`ip netns\`: ${r.error.message} (install iproute2)`);
  if (r.status !== 0) throw new LabIncapableError(`\`ip netns list\` failed (${r.status}): ${String(r.stderr).trim()}`);
  for (const [tool, flag] of [['iptables-restore', '--version'], ['nft', '--version'], ['bridge', '-V'], ['sysctl', '--version'], ['ping', '-V']] as const) {
    const t = spawnSync(tool, [flag], { encoding: 'utf8', timeout: 10_000 });
    if (t.error) throw new LabIncapableError(`labs need \`${tool}\`: ${t.error.message} (see scripts/setup-system.sh)`);
  }
}
