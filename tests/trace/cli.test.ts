import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBundle } from '@patchbay/bundle';
import { Trace } from '@patchbay/schema';
import { twoNodeShop } from '../../packages/trace/test/kit.js';

// `patchbay trace` as built: exit codes, messages, the hop table and --json, over a small written bundle.
const run = promisify(execFile);
const BIN = path.resolve(import.meta.dirname, '../../apps/server/bin/patchbay.mjs');
let dir = '';

async function trace(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BIN, 'trace', ...args], { timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pb-trace-cli-'));
  const { bundle, cluster } = twoNodeShop();
  await writeBundle(path.join(dir, 'b'), { clusterList: { kind: 'List', apiVersion: 'v1', items: [...cluster.nodes, ...cluster.namespaces, ...cluster.pods, ...cluster.services, ...cluster.endpointSlices] }, snapshots: bundle.snapshots, meta: { schemaVersion: 1, capturedAt: '2026-11-21T14:00:00Z', source: 'kit' } });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('patchbay trace', () => {
  it('prints a hop table and exits 0', async () => {
    const r = await trace(['--bundle', path.join(dir, 'b'), '--from', 'pod/shop/client-0', '--to', 'svc/shop/web:80']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/verdict: delivered/);
    expect(r.stdout).toMatch(/DNAT to 10\.244\.2\.2:8080/);
  });
  it('--json prints a valid Trace; a failing verdict still exits 0', async () => {
    const r = await trace(['--bundle', path.join(dir, 'b'), '--from', 'pod/shop/client-0', '--to', 'svc/shop/checkout:80', '--json']);
    expect(r.code).toBe(0);
    const t = Trace.parse(JSON.parse(r.stdout));
    expect(t.verdict).toBe('rejected');
  });
  it('exits 2 naming what is wrong', async () => {
    const bad = [
      [['--bundle', path.join(dir, 'b'), '--from', 'pod/shop/nope', '--to', 'svc/shop/web:80'], /unknown pod shop\/nope/],
      [['--bundle', path.join(dir, 'b'), '--from', 'pod/shop/client-0', '--to', 'svc/shop/web:99'], /has no port 99/],
      [['--bundle', path.join(dir, 'b'), '--from', 'pod/shop/client-0', '--to', 'svc/shop/web'], /needs a port/],
      [['--bundle', path.join(dir, 'b'), '--from', 'pod/shop/client-0', '--to', 'svc/shop/web:80', '--proto', 'sctp'], /sctp/],
      [['--bundle', path.join(dir, 'nope'), '--from', 'pod/shop/client-0', '--to', 'svc/shop/web:80'], /cannot read bundle/],
      [['--from', 'pod/shop/client-0', '--to', 'svc/shop/web:80'], /--bundle/],
    ] as const;
    for (const [args, msg] of bad) {
      const r = await trace([...args]);
      expect(r.code, `${args.join(' ')}: ${r.stdout}`).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  });
  it('a bundle with no nodes is unusable (exit 2)', async () => {
    const empty = path.join(dir, 'empty');
    await writeBundle(empty, { clusterList: { kind: 'List', apiVersion: 'v1', items: [] }, snapshots: [], meta: null as never });
    const r = await trace(['--bundle', empty, '--from', 'node/n1', '--to', '10.0.0.1:80']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no nodes/);
  });
  it('a broken snapshot is a warning; its node is then not observed and traces through it say unknown', async () => {
    const b = path.join(dir, 'b');
    writeFileSync(path.join(b, 'nodes', 'n2.json'), '{"schemaVersion": 1, "kind": "NodeSnapshot"}');
    const r = await trace(['--bundle', b, '--from', 'pod/shop/client-0', '--to', 'pod/shop/api-0', '--port', '8080', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: nodes\/n2\.json/);
    expect(JSON.parse(r.stdout).verdict).toBe('unknown');
  });
});
