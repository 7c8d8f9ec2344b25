import { errorMessage, type Run } from '../run.js';
import type { SystemFs } from '../system.js';

// IPVS and ipsets. Both tools load kernel modules when asked about a subsystem that is not loaded
// (ipvsadm runs modprobe), which is a change to the machine: the agent asks only when the kernel already
// shows the subsystem (/proc/net/ip_vs for this namespace, /sys/module/ip_set).

export interface TextRead {
  text: string | null;
  errors: string[];
}

export async function readIpvs(run: Run, fs: SystemFs, proc = '/proc', timeoutMs?: number): Promise<TextRead> {
  try {
    await fs.readFile(`${proc}/net/ip_vs`);
  } catch (err) {
    // No /proc/net/ip_vs: the kernel has no IPVS, a fact. Anything else (a time limit, a permission) is an error.
    return { text: null, errors: (err as NodeJS.ErrnoException).code === 'ENOENT' ? [] : [`${proc}/net/ip_vs: ${(err as Error).message}`] };
  }
  try {
    return { text: (await run('ipvsadm', ['-Ln', '--exact'], { timeoutMs })).stdout, errors: [] };
  } catch (err) {
    return { text: null, errors: [errorMessage(err)] };
  }
}

export async function readIpsets(run: Run, fs: SystemFs, sysModule = '/sys/module', timeoutMs?: number): Promise<TextRead> {
  try {
    if ((await fs.readdir(`${sysModule}/ip_set`)).length === 0) return { text: null, errors: [] };
  } catch (err) {
    return { text: null, errors: [`${sysModule}/ip_set: ${(err as Error).message}`] };
  }
  try {
    return { text: (await run('ipset', ['save'], { timeoutMs })).stdout, errors: [] };
  } catch (err) {
    return { text: null, errors: [errorMessage(err)] };
  }
}
