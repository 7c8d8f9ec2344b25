import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBundle } from '@patchbay/bundle';
import { deepNftText, hostileInterface } from '../../packages/trace/test/hostile.js';
import { twoNodeShop, type KitOptions } from '../../packages/trace/test/kit.js';

// `patchbay trace` as built (issue #25, defects 8 and 10): whatever a bundle holds, the CLI exits 0 with a trace
// or 2 with a message, never 1 with a stack trace, and prints bundle data escaped for the terminal.
const run = promisify(execFile);
const BIN = path.resolve(import.meta.dirname, '../../apps/server/bin/patchbay.mjs');
let dir = '';

async function trace(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BIN, 'trace', ...args], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function writeShop(to: string, opts: KitOptions = {}): Promise<string> {
  const { bundle, cluster } = twoNodeShop(opts);
  await writeBundle(to, { clusterList: { kind: 'List', apiVersion: 'v1', items: [...cluster.nodes, ...cluster.namespaces, ...cluster.pods, ...cluster.services, ...cluster.endpointSlices] }, snapshots: bundle.snapshots, meta: { schemaVersion: 1, capturedAt: '2026-11-21T14:00:00Z', source: 'kit' } });
  return to;
}

/** Any character a terminal could act on, other than the line breaks of the output itself. */
const RAW = /(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
/** A line of a JavaScript stack trace. */
const STACK = /^\s+at .+[(:]\d+/m;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pb-trace-cli25-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('issue 25: patchbay trace prints bundle data escaped', () => {
  let b = '';
  beforeAll(async () => {
    b = await writeShop(path.join(dir, 'hostile'), { tweak: hostileInterface });
  });

  it('the hop table shows an interface named veth ESC[31m ... escaped', async () => {
    const r = await trace(['--bundle', b, '--from', 'pod/shop/client-0', '--to', 'svc/shop/web:80']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/verdict: delivered/);
    expect(r.stdout).toContain('veth\\x1b[31m0\\x9b\\x7f\\u{202e}');
    expect(r.stdout).not.toMatch(RAW);
  });
  it('--json escapes C1 and DEL too (JSON.stringify leaves them raw), and still parses to the name', async () => {
    const r = await trace(['--bundle', b, '--from', 'pod/shop/client-0', '--to', 'svc/shop/web:80', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stdout).toContain('veth\\u001b[31m0\\u009b\\u007f\\u202e');
    const hops = (JSON.parse(r.stdout) as { paths: { hops: { action: string }[] }[] }).paths.flatMap((p) => p.hops);
    expect(hops.some((h) => h.action.includes('veth\u001b[31m0\u009b\u007f\u202e'))).toBe(true);
  });
  it('a message about the bundle escapes its path too', async () => {
    const r = await trace(['--bundle', path.join(dir, 'no\u001b[31msuch'), '--from', 'pod/shop/client-0', '--to', 'svc/shop/web:80']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^patchbay trace: cannot read bundle .*no\\x1b\[31msuch/);
    expect(r.stderr).not.toMatch(RAW);
  });
});

describe('issue 25: a bundle the CLI cannot use exits 2 with a message, never 1 with a stack trace', () => {
  it('an nft ruleset nested 5,000 levels deep', { timeout: 120_000 }, async () => {
    const b = await writeShop(path.join(dir, 'deep'));
    for (const n of ['n1', 'n2']) {
      const f = path.join(b, 'nodes', `${n}.json`);
      const text = readFileSync(f, 'utf8');
      expect(text).toContain('"nft":null');
      writeFileSync(f, text.replace('"nft":null', `"nft":${deepNftText(5000)}`));
    }
    const r = await trace(['--bundle', b, '--from', 'pod/shop/client-0', '--to', 'svc/shop/web:80']);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stderr).not.toMatch(RAW);
    // Refusing the bundle (2, naming it) and reading it without the deep section (0, warning about the file)
    // are both within the contract; a crash is not.
    expect([0, 2], r.stderr.slice(0, 2000)).toContain(r.code);
    if (r.code === 2) expect(r.stderr).toMatch(/^patchbay trace: cannot (read|trace over) bundle /);
    else expect(r.stderr).toMatch(/nodes\/n1\.json/);
  });
});
