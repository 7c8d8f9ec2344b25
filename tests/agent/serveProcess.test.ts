import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assertLabCapable } from '@patchbay/lab';
import { NodeSnapshot } from '@patchbay/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentBin, sh } from './fixture.js';

// `patchbay-agent serve` as the DaemonSet runs it: the real process, in a namespace of its own, asked over real
// HTTP from inside that namespace. Bearer token from a file, ETag/304, per-collector metrics, graceful SIGTERM.

const ns = `pb${randomBytes(3).toString('hex')}-serve`;
const token = randomBytes(16).toString('hex');
const dir = mkdtempSync(path.join(tmpdir(), 'pb-serve-'));
const tokenFile = path.join(dir, 'token');
let agent: ChildProcess;
let stderr = '';
let base = '';

interface Answer {
  status: number;
  etag: string | null;
  body: string;
}

/** One HTTP request from inside the namespace (the agent listens on that namespace's loopback). */
async function get(p: string, headers: Record<string, string> = {}): Promise<Answer> {
  const script = `fetch(${JSON.stringify(base + p)}, { headers: ${JSON.stringify(headers)} }).then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, etag: r.headers.get('etag'), body: await r.text() })))`;
  return JSON.parse(await sh('ip', ['netns', 'exec', ns, process.execPath, '-e', script])) as Answer;
}

beforeAll(async () => {
  assertLabCapable();
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  await sh('ip', ['netns', 'add', ns]);
  await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  agent = spawn('ip', ['netns', 'exec', ns, process.execPath, agentBin, 'serve', '--listen', '127.0.0.1:0', '--token-file', tokenFile, '--interval', '3600', '--node-name', 'serve-test'], { stdio: ['ignore', 'ignore', 'pipe'] });
  base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the agent did not start listening: ${stderr}`)), 20_000);
    agent.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /"msg":"serving snapshots"/.test(stderr) && /"port":(\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}`);
      }
    });
    agent.once('exit', (code) => reject(new Error(`the agent exited (${code}): ${stderr}`)));
  });
}, 60_000);

afterAll(async () => {
  if (agent && agent.exitCode === null) agent.kill('SIGKILL');
  await sh('ip', ['netns', 'del', ns]).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('patchbay-agent serve, the real process', () => {
  it('answers /healthz without a token, and nothing else without the right one', async () => {
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/snapshot')).status).toBe(401);
    expect((await get('/snapshot', { authorization: `Bearer ${token.slice(1)}x` })).status).toBe(401);
    expect((await get('/metrics')).status).toBe(401);
  });

  it('serves a valid snapshot with an ETag, and 304 for that ETag', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const first = await get('/snapshot', auth);
    expect(first.status).toBe(200);
    const snap = NodeSnapshot.parse(JSON.parse(first.body));
    expect(snap.nodeName).toBe('serve-test');
    expect(snap.host.links.map((l) => l.ifname)).toEqual(['lo']);
    expect(first.etag).toMatch(/^(W\/)?"[^"]+"$/);
    const again = await get('/snapshot', { ...auth, 'if-none-match': first.etag! });
    expect([again.status, again.body]).toEqual([304, '']);
  });

  it('exports each collector wall time and the snapshot size on /metrics', async () => {
    const m = await get('/metrics', { authorization: `Bearer ${token}` });
    expect(m.status).toBe(200);
    for (const collector of ['host', 'namespaces', 'iptables', 'nft', 'bridge', 'sysctl']) {
      const count = new RegExp(`^patchbay_agent_collector_duration_seconds_count\\{collector="${collector}"\\} (\\d+)$`, 'm').exec(m.body);
      expect(Number(count?.[1]), collector).toBeGreaterThanOrEqual(1);
    }
    expect(Number(/^patchbay_agent_snapshot_bytes\{part="snapshot"\} (\d+)$/m.exec(m.body)?.[1])).toBeGreaterThan(1000);
  });

  it('never logs the token, and stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => agent.once('exit', (code) => resolve(code)));
    // `ip netns exec` execs the agent in place, so this is the agent's own pid.
    agent.kill('SIGTERM');
    expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))])).toBe(0);
    expect(stderr).toContain('shutting down');
    expect(stderr).not.toContain(token);
  });
});
