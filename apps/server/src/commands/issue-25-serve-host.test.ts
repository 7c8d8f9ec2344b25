import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultListenHost, isLoopbackHost } from '../http/listenAddress.js';

// Issue 25 (defect 10): `patchbay serve` bound 0.0.0.0 by default and answered any Host header. Now it listens
// on loopback unless it runs in a container, says so loudly when it is reachable from other machines, and
// answers only for its own names. Runs the built CLI (`npm run build` first, as `npm test` does).
const bin = fileURLToPath(new URL('../../bin/patchbay.mjs', import.meta.url));
const demo = fileURLToPath(new URL('../../demo/bundle', import.meta.url));

/** An address of this machine that other machines could reach, if it has one. */
const external = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

/** The environment without anything that picks the listen address, so that only the flags and files decide. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: 'warn', ...extra };
  if (!('HOST' in extra)) delete env.HOST;
  if (!('KUBERNETES_SERVICE_HOST' in extra)) delete env.KUBERNETES_SERVICE_HOST;
  return env;
}

let child: ChildProcess | null = null;
afterEach(async () => {
  const c = child;
  child = null;
  if (!c || c.exitCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  await exited;
});

/** Starts `patchbay serve` on a free port and resolves with its port and everything it wrote on stderr. */
function serve(args: string[], env: Record<string, string | undefined>): Promise<{ port: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [bin, 'serve', '--bundle', demo, '--port', '0', ...args], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /Patchbay dashboard for .*: http:\/\/\S+:(\d+)\//.exec(stderr);
      if (m) resolve({ port: Number(m[1]), stderr });
    });
    c.once('exit', (code) => reject(new Error(`patchbay serve exited ${code}: ${stderr}`)));
  });
}

function get(address: string, port: number, host: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request({ host: address, port, path: '/healthz', headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}

describe('issue 25: where `patchbay serve` listens by default', () => {
  let root = '';
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const at = (...markers: string[]) => {
    root = mkdtempSync(path.join(tmpdir(), 'pb-root-'));
    for (const m of markers) {
      mkdirSync(path.dirname(path.join(root, m)), { recursive: true });
      writeFileSync(path.join(root, m), '');
    }
    return root;
  };

  it('is loopback outside a container', () => {
    expect(defaultListenHost({}, at())).toEqual({ host: '127.0.0.1', why: 'not in a container' });
  });

  it('is every address in a container: Kubernetes, Docker or Podman', () => {
    expect(defaultListenHost({ KUBERNETES_SERVICE_HOST: '10.96.0.1' }, at())).toEqual({ host: '0.0.0.0', why: 'in a container (KUBERNETES_SERVICE_HOST is set)' });
    expect(defaultListenHost({}, at('.dockerenv'))).toEqual({ host: '0.0.0.0', why: 'in a container (/.dockerenv exists)' });
    expect(defaultListenHost({}, at('run/.containerenv'))).toEqual({ host: '0.0.0.0', why: 'in a container (/run/.containerenv exists)' });
  });

  it('is $HOST when set, container or not', () => {
    expect(defaultListenHost({ HOST: '192.0.2.7' }, at('.dockerenv')).host).toBe('192.0.2.7');
  });

  it('knows which addresses only this machine reaches', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '0:0:0:0:0:0:0:1', 'localhost', 'LOCALHOST', 'app.localhost']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.0.2.2', '10.0.0.1', 'fd00::2', 'example.org', '128.0.0.1']) expect(isLoopbackHost(h), h).toBe(false);
  });
});

describe('issue 25: `patchbay serve` listens where it says and answers only its own names', { timeout: 60_000 }, () => {
  it('binds where defaultListenHost says when --host is not given, and warns when that is not loopback', async () => {
    const env = cleanEnv();
    const expected = defaultListenHost(env).host;
    const { port, stderr } = await serve([], env);
    expect(await get('127.0.0.1', port, 'localhost')).toEqual({ status: 200, body: 'ok\n' });
    if (expected === '127.0.0.1') {
      expect(stderr).not.toContain('warning');
      if (external) expect(await get(external, port, external)).toEqual({ error: 'ECONNREFUSED' });
    } else {
      expect(stderr).toContain('patchbay serve: warning: listening on 0.0.0.0, reachable from other machines, and the dashboard has no sign-in yet');
    }
  });

  it('--host 127.0.0.1 is not reachable from other machines and prints no warning', async () => {
    const { port, stderr } = await serve(['--host', '127.0.0.1'], cleanEnv({ KUBERNETES_SERVICE_HOST: '10.96.0.1' }));
    expect(stderr).not.toContain('warning');
    expect(await get('127.0.0.1', port, `127.0.0.1:${port}`)).toEqual({ status: 200, body: 'ok\n' });
    if (external) expect(await get(external, port, external)).toEqual({ error: 'ECONNREFUSED' });
  });

  it.skipIf(!external)('in a pod it listens on every address, warns, and answers the pod IP, localhost and --allowed-host names only', async () => {
    const { port, stderr } = await serve(['--allowed-host', 'patchbay.patchbay.svc', '--allowed-host', 'Dash.Example.Org.'], cleanEnv({ KUBERNETES_SERVICE_HOST: '10.96.0.1' }));
    expect(stderr).toContain('patchbay serve: warning: listening on 0.0.0.0, reachable from other machines, and the dashboard has no sign-in yet');
    const ip = external!;
    // A kubelet probe names the pod IP; a port-forward names localhost; a Service or Ingress names what we were told.
    for (const host of [`${ip}:${port}`, 'localhost:8080', 'patchbay.patchbay.svc', 'dash.example.org:443']) expect(await get(ip, port, host), host).toEqual({ status: 200, body: 'ok\n' });
    // A rebinding page names itself; another address of ours is not the one this connection arrived on.
    for (const host of ['evil.example', `rebind.evil.example:${port}`, '127.0.0.1', '10.96.0.10']) expect(await get(ip, port, host), host).toMatchObject({ status: 421 });
  });

  it('refuses an --allowed-host that is not a host name', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
      execFile(process.execPath, [bin, 'serve', '--bundle', demo, '--allowed-host', 'http://evil/'], { timeout: 30_000 }, (err, _o, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
      ),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('patchbay serve: --allowed-host "http://evil/" is not a host name or an IP address\n');
  });
});
