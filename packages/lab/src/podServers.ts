import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PodPlan } from './plan.js';

// Starts each pod's server (assets/podServer.mjs) inside its namespace and waits until it listens.

export const POD_SERVER = fileURLToPath(new URL('../assets/podServer.mjs', import.meta.url));
export const PROBE_CLIENT = fileURLToPath(new URL('../assets/probeClient.mjs', import.meta.url));

export function serverArgs(pod: PodPlan): string[] {
  const tcp = pod.pod.ports.filter((p) => p.protocol === 'TCP').map((p) => p.containerPort);
  const udp = pod.pod.ports.filter((p) => p.protocol === 'UDP').map((p) => p.containerPort);
  return ['--name', pod.pod.name, ...(tcp.length ? ['--tcp', tcp.join(',')] : []), ...(udp.length ? ['--udp', udp.join(',')] : [])];
}

/**
 * Starts one pod server. Attached servers die with this process (stdin closes); detached ones (for
 * `npm run lab -- up`) outlive it and are killed by teardown through `ip netns pids`.
 */
export function startPodServer(pod: PodPlan, opts: { detached?: boolean; timeoutMs?: number } = {}): Promise<ChildProcess> {
  const args = ['netns', 'exec', pod.netns, process.execPath, POD_SERVER, ...serverArgs(pod), ...(opts.detached ? ['--detached'] : [])];
  const child = spawn('ip', args, { stdio: [opts.detached ? 'ignore' : 'pipe', 'pipe', 'pipe'], detached: !!opts.detached });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pod server ${pod.key} did not start within ${opts.timeoutMs ?? 10_000} ms: ${err.trim()}`));
    }, opts.timeoutMs ?? 10_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) {
        clearTimeout(timer);
        if (opts.detached) {
          child.stdout!.destroy();
          child.stderr!.destroy();
          child.unref();
        }
        resolve(child);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`pod server ${pod.key} exited (${code}) before it was ready: ${err.trim()}`));
    });
  });
}
