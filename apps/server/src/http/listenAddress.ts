import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';

// Where `patchbay serve` listens when not told. On a workstation the dashboard (no sign-in yet) must not be
// reachable from the network, so loopback. In a container loopback is useless: the port is reached through
// the container's own address (a published Docker port, a Kubernetes Service, a kubelet probe), so all
// addresses. How we tell a container, in order:
//   KUBERNETES_SERVICE_HOST  set by the kubelet in every container of a pod (and only there)
//   /.dockerenv              created by Docker in every container it starts
//   /run/.containerenv       created by Podman (and CRI-O) in every container
// A container runtime that leaves none of these gets loopback; `--host 0.0.0.0` says otherwise.

export const LOOPBACK_HOST = '127.0.0.1';
export const WILDCARD_HOST = '0.0.0.0';

/** Only the variables we read, so tests can pass a plain object. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Which sign of a container we saw, or null outside one. `root` is `/` except in tests. */
export function containerSign(env: Env = process.env, root = '/'): string | null {
  if (env.KUBERNETES_SERVICE_HOST) return 'KUBERNETES_SERVICE_HOST is set';
  for (const marker of ['.dockerenv', 'run/.containerenv']) {
    if (existsSync(path.join(root, marker))) return `${path.join('/', marker)} exists`;
  }
  return null;
}

/** The listen address when `--host` is not given: $HOST, else all addresses in a container, else loopback. */
export function defaultListenHost(env: Env = process.env, root = '/'): { host: string; why: string } {
  if (env.HOST) return { host: env.HOST, why: 'from $HOST' };
  const sign = containerSign(env, root);
  return sign ? { host: WILDCARD_HOST, why: `in a container (${sign})` } : { host: LOOPBACK_HOST, why: 'not in a container' };
}

/** True when only this machine can reach the address: 127.0.0.0/8, ::1, or the name localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return /^(?:0{0,4}:){2,7}0{0,3}1$/.test(h) || /^::ffff:127\./.test(h);
  return false;
}
