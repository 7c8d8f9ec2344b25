import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assertLabCapable } from '@patchbay/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentBin, sh } from './fixture.js';

// Issue 25 (defects 1 and 10) against the real `patchbay-agent serve` process, each run in a network namespace of
// its own (so binding 0.0.0.0 or the default port touches nothing outside): no unauthenticated serving on a
// non-loopback address unless told to, loopback by default, the token file checked and re-read when Kubernetes
// swaps the Secret's symlink, and /healthz (liveness) apart from /readyz (has a snapshot).

const prefix = `pb${randomBytes(3).toString('hex')}`;
const ns = `${prefix}-serve25`;
const dir = mkdtempSync(path.join(tmpdir(), 'pb-serve25-'));
const started: ChildProcess[] = [];

interface Running {
  kind: 'serving';
  proc: ChildProcess;
  base: string;
  address: string;
  stderr: () => string;
}
interface Exited {
  kind: 'exited';
  code: number | null;
  stderr: string;
}

/** Starts the agent in the namespace; settles when it logs that it serves, or when it exits. */
function startAgent(args: string[]): Promise<Running | Exited> {
  const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, agentBin, 'serve', '--interval', '3600', '--node-name', 'n25', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  started.push(proc);
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the agent neither served nor exited within 20 s: ${stderr}`)), 20_000);
    proc.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const line = stderr.split('\n').find((l) => l.includes('"msg":"serving snapshots"'));
      if (line) {
        clearTimeout(timer);
        const o = JSON.parse(line) as { address: string; port: number };
        const host = o.address.includes(':') ? `[${o.address}]` : o.address;
        resolve({ kind: 'serving', proc, base: `http://${host}:${o.port}`, address: o.address, stderr: () => stderr });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ kind: 'exited', code, stderr });
    });
  });
}

async function stopAgent(a: Running | Exited) {
  if (a.kind !== 'serving' || a.proc.exitCode !== null) return;
  const exited = new Promise((r) => a.proc.once('exit', r));
  a.proc.kill('SIGTERM');
  await exited;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One HTTP request from inside the namespace. */
async function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  const script = `fetch(${JSON.stringify(url)}, { headers: ${JSON.stringify(headers)} }).then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, headers: Object.fromEntries(r.headers), body: await r.text() })))`;
  return JSON.parse(await sh('ip', ['netns', 'exec', ns, process.execPath, '-e', script])) as Answer;
}

/** Polls until `ok` holds (a hang guard, not a speed claim). */
async function eventually(what: string, ok: () => Promise<boolean>, ms = 20_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not within ${ms / 1000} s`);
}

beforeAll(async () => {
  assertLabCapable();
  await sh('ip', ['netns', 'add', ns]);
  await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  // The node's own address, as the DaemonSet would bind it (status.hostIP).
  await sh('ip', ['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0-peer']);
  await sh('ip', ['-n', ns, 'addr', 'add', '192.0.2.10/24', 'dev', 'eth0']);
  await sh('ip', ['-n', ns, 'link', 'set', 'eth0-peer', 'up']);
  await sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
}, 60_000);

afterAll(async () => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await sh('ip', ['netns', 'del', ns]).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('issue 25: serve refuses to serve unauthenticated beyond loopback', () => {
  for (const listen of ['0.0.0.0:9465', '192.0.2.10:9465', '[::]:9465']) {
    it(`refuses --listen ${listen} without a token, with a clear message and a non-zero exit`, async () => {
      const a = await startAgent(['--listen', listen]);
      await stopAgent(a);
      expect(a.kind, 'the agent served without authentication').toBe('exited');
      const e = a as Exited;
      expect(e.code).toBe(2);
      expect(e.stderr).toMatch(/refusing to serve .* without authentication/);
      expect(e.stderr).toContain('--token-file');
      expect(e.stderr).toContain('--insecure-allow-unauthenticated');
    });
  }

  it('listens on loopback by default, without a token, and answers there', async () => {
    const a = await startAgent([]);
    try {
      expect(a.kind).toBe('serving');
      const r = a as Running;
      expect(r.address).toBe('127.0.0.1');
      expect(r.base).toBe('http://127.0.0.1:9465');
      expect((await get(`${r.base}/snapshot`)).status).toBe(200);
    } finally {
      await stopAgent(a);
    }
  });

  it('serves 0.0.0.0 unauthenticated only with --insecure-allow-unauthenticated, and warns loudly', async () => {
    const a = await startAgent(['--listen', '0.0.0.0:9466', '--insecure-allow-unauthenticated']);
    try {
      expect(a.kind).toBe('serving');
      const r = a as Running;
      expect(r.stderr()).toMatch(/"level":40.*WITHOUT AUTHENTICATION/);
      expect((await get('http://192.0.2.10:9466/snapshot')).status).toBe(200);
    } finally {
      await stopAgent(a);
    }
  });

  it("serves on the node's own address with a token, as the DaemonSet does", async () => {
    const token = randomBytes(24).toString('base64url');
    const file = path.join(dir, 'daemonset-token');
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    const a = await startAgent(['--listen', '192.0.2.10:9467', '--token-file', file]);
    try {
      expect(a.kind).toBe('serving');
      expect((await get('http://192.0.2.10:9467/snapshot')).status).toBe(401);
      expect((await get('http://192.0.2.10:9467/snapshot', { authorization: `Bearer ${token}` })).status).toBe(200);
      expect((a as Running).stderr()).not.toContain(token);
    } finally {
      await stopAgent(a);
    }
  });
});

describe('issue 25: the token file is checked and re-read', () => {
  const bad: [string, string, RegExp][] = [
    ['a space inside', 'abcdefgh ijklmnopqrstu\n', /whitespace or a control character/],
    ['a newline inside', 'abcdefghijkl\nmnopqrstu\n', /whitespace or a control character/],
    ['an escape character', 'abcdefghijkl\u001bmnopqrstu', /whitespace or a control character/],
    ['five characters', 'abcde\n', /5 characters long.*at least 16/],
    ['nothing', '\n', /empty/],
  ];
  for (const [what, content, problem] of bad) {
    it(`refuses a token file with ${what}, naming the file and the problem, never the token`, async () => {
      const file = path.join(dir, `bad-${what.replace(/\W+/g, '-')}`);
      writeFileSync(file, content, { mode: 0o600 });
      const a = await startAgent(['--token-file', file]);
      await stopAgent(a);
      expect(a.kind, 'the agent started with a bad token').toBe('exited');
      const e = a as Exited;
      expect(e.code).toBe(2);
      expect(e.stderr).toContain(file);
      expect(e.stderr).toMatch(problem);
      const secretPart = content.trim().slice(0, 5);
      if (secretPart.length === 5) expect(e.stderr).not.toContain(secretPart);
    });
  }

  it('follows a Secret rotation (the ..data symlink swapped) and keeps the old token when the new one is invalid', async () => {
    // The layout kubelet's atomic writer gives a Secret volume: token -> ..data/token, ..data -> ..TIMESTAMP.
    const vol = path.join(dir, 'secret-volume');
    mkdirSync(vol);
    const version = (name: string, token: string) => {
      mkdirSync(path.join(vol, name));
      writeFileSync(path.join(vol, name, 'token'), token, { mode: 0o600 });
      symlinkSync(name, path.join(vol, '..data_tmp'));
      renameSync(path.join(vol, '..data_tmp'), path.join(vol, '..data'));
    };
    const first = randomBytes(24).toString('hex');
    const second = randomBytes(24).toString('hex');
    version('..2026_12_07_01', `${first}\n`);
    symlinkSync('..data/token', path.join(vol, 'token'));
    const a = await startAgent(['--token-file', path.join(vol, 'token')]);
    try {
      expect(a.kind).toBe('serving');
      const r = a as Running;
      const status = async (t: string) => (await get(`${r.base}/snapshot`, { authorization: `Bearer ${t}` })).status;
      expect(await status(first)).toBe(200);

      version('..2026_12_07_02', `${second}\n`);
      await eventually('the rotated token is accepted', async () => (await status(second)) === 200);
      expect(await status(first)).toBe(401);

      version('..2026_12_07_03', 'short\n');
      // The file is checked when a request comes (at most once a second), so ask while waiting.
      await eventually('the agent logs why it keeps the old token', async () => (await status(second)) === 200 && /keeping the previous token/.test(r.stderr()));
      expect(r.stderr()).toMatch(/5 characters long/);
      expect(await status(second)).toBe(200);
      expect(await status('short')).toBe(401);
      expect(r.stderr()).not.toContain(first);
      expect(r.stderr()).not.toContain(second);
    } finally {
      await stopAgent(a);
    }
  });
});

describe('issue 25: liveness is process health, readiness is having a snapshot', () => {
  it('answers /healthz and /readyz without a token; /readyz only once a snapshot exists', async () => {
    const token = randomBytes(24).toString('hex');
    const file = path.join(dir, 'probe-token');
    writeFileSync(file, token, { mode: 0o600 });
    const a = await startAgent(['--listen', '192.0.2.10:9468', '--token-file', file]);
    try {
      expect(a.kind).toBe('serving');
      const live = await get('http://192.0.2.10:9468/healthz');
      expect(live.status).toBe(200);
      await eventually('ready', async () => (await get('http://192.0.2.10:9468/readyz')).status === 200);
      expect(JSON.parse((await get('http://192.0.2.10:9468/readyz')).body)).toMatchObject({ status: 'ready' });
    } finally {
      await stopAgent(a);
    }
  });
});
