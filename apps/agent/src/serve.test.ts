import { createHash } from 'node:crypto';
import type { NodeSnapshot } from '@patchbay/schema';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';
import { SnapshotServer, type ServeOptions } from './serve.js';

const big = '*nat\n' + '-A KUBE-SERVICES -j RETURN\n'.repeat(3000) + 'COMMIT\n';

function snapshot(capturedAt: string, extra = ''): NodeSnapshot {
  const ns = { links: [], addrs: [], routes: { inet: [], inet6: [] }, rules: { inet: [], inet6: [] }, neigh: [], sysctls: {}, names: [], pod: null };
  return {
    schemaVersion: 1,
    kind: 'NodeSnapshot',
    nodeName: 'n1',
    capturedAt,
    agentVersion: '0.1.0',
    kernelRelease: '6.1.0',
    host: { ...ns, id: 'host', inode: 1, nsid: null, foundBy: [{ method: 'host', detail: '/proc/self/ns/net' }] },
    namespaces: [],
    bridge: { fdb: [], ports: [] },
    iptables: [{ family: 'ipv4', backend: 'nft', save: big + extra }],
    iptablesBackendInUse: 'nft',
    nft: null,
    ipvs: null,
    ipsets: null,
    cni: { configs: [], results: [] },
    errors: [],
  };
}

let server: SnapshotServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

async function start(over: Partial<ServeOptions> = {}) {
  let n = 0;
  const state = { extra: '', collections: 0, delayMs: 0 };
  server = new SnapshotServer({
    host: '127.0.0.1',
    port: 0,
    collect: async () => {
      state.collections += 1;
      if (state.delayMs) await new Promise((r) => setTimeout(r, state.delayMs));
      return snapshot(new Date(Date.UTC(2026, 0, 1, 0, 0, n++)).toISOString(), state.extra);
    },
    metrics: createMetrics(),
    log: pino({ level: 'silent' }),
    intervalMs: 3_600_000,
    jitter: 0.1,
    maxConcurrent: 1,
    blobThreshold: 1024,
    shutdownGraceMs: 1000,
    // Every ?refresh=1 collects here; issue-25-serve.test.ts covers the rate limit.
    minRefreshMs: 0,
    ...over,
  });
  const addr = await server.start();
  return { base: `http://127.0.0.1:${addr.port}`, state };
}

describe('serve', () => {
  it('serves the snapshot with an ETag that ignores capturedAt, and 304 when unchanged', async () => {
    const { base, state } = await start();
    const r1 = await fetch(`${base}/snapshot`);
    expect(r1.status).toBe(200);
    const etag = r1.headers.get('etag')!;
    const body = (await r1.json()) as NodeSnapshot;
    expect(body.iptables[0]!.save).toEqual({ sha256: createHash('sha256').update(big).digest('hex'), bytes: big.length });
    // A fresh collection with the same state: new capturedAt, same ETag.
    const r2 = await fetch(`${base}/snapshot?refresh=1`, { headers: { 'if-none-match': etag } });
    expect(r2.status).toBe(304);
    state.extra = '# changed\n';
    const r3 = await fetch(`${base}/snapshot?refresh=1`, { headers: { 'if-none-match': etag } });
    expect(r3.status).toBe(200);
    expect(r3.headers.get('etag')).not.toBe(etag);
    expect(state.collections).toBe(3);
  });

  it('serves large sections on /blobs/SHA256 and inline on request', async () => {
    const { base } = await start();
    const snap = (await (await fetch(`${base}/snapshot`)).json()) as NodeSnapshot;
    const ref = snap.iptables[0]!.save as { sha256: string; bytes: number };
    const blob = await fetch(`${base}/blobs/${ref.sha256}`);
    expect(blob.status).toBe(200);
    expect(await blob.text()).toBe(big);
    expect((await fetch(`${base}/blobs/${'0'.repeat(64)}`)).status).toBe(404);
    const inline = (await (await fetch(`${base}/snapshot?inline=1`)).json()) as NodeSnapshot;
    expect(inline.iptables[0]!.save).toBe(big);
  });

  it('asks for the bearer token everywhere but /healthz and /readyz', async () => {
    const { base } = await start({ token: 's3cret' });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect([200, 503]).toContain((await fetch(`${base}/readyz`)).status);
    for (const path of ['/snapshot', '/metrics', `/blobs/${'0'.repeat(64)}`]) {
      const r = await fetch(`${base}${path}`);
      expect(r.status, path).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Bearer');
      expect((await fetch(`${base}${path}`, { headers: { authorization: 'Bearer wrong!' } })).status).toBe(401);
    }
    expect((await fetch(`${base}/snapshot`, { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
  });

  it('exports collector, collection and size metrics', async () => {
    const { base } = await start();
    await fetch(`${base}/snapshot`);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/patchbay_agent_collections_total\{result="ok"\} [1-9]/);
    expect(text).toMatch(/patchbay_agent_snapshot_bytes\{part="blobs"\} \d+/);
    expect(text).toContain('patchbay_agent_collection_duration_seconds_bucket');
  });

  it('joins a collection under way instead of starting another', async () => {
    const { base, state } = await start();
    await fetch(`${base}/snapshot`);
    const before = state.collections;
    state.delayMs = 200;
    await Promise.all([1, 2, 3, 4].map(() => fetch(`${base}/snapshot?refresh=1`)));
    expect(state.collections - before).toBe(1);
  });

  it('reports a failing collection on /readyz and /snapshot', async () => {
    const { base } = await start({
      collect: async () => {
        throw new Error('ip: not permitted');
      },
    });
    const r = await fetch(`${base}/snapshot`);
    expect(r.status).toBe(503);
    expect(await r.text()).toMatch(/ip: not permitted/);
    const h = await fetch(`${base}/readyz`);
    expect(h.status).toBe(503);
    expect(await h.json()).toMatchObject({ status: 'not ready', lastError: 'ip: not permitted' });
  });

  it('a plain GET never collects while a snapshot exists', async () => {
    const { base, state } = await start();
    await (await fetch(`${base}/snapshot`)).arrayBuffer();
    for (let i = 0; i < 10; i++) await (await fetch(`${base}/snapshot`)).arrayBuffer();
    expect(state.collections).toBe(1);
  });
});
