import type { NodeSnapshot } from '@patchbay/schema';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';
import { SnapshotServer, type ServeOptions } from './serve.js';

// Issue 25: `?refresh=1` let anyone drive the agent at 26 collections a second (defect 7), and /healthz, the
// liveness probe, failed whenever collection failed, so the kubelet would restart a healthy agent forever
// (defect 10). A real HTTP server; collections are counted, never timed; the clock of the rate limit is the test's.

function snapshot(n: number): NodeSnapshot {
  const ns = { links: [], addrs: [], routes: { inet: [], inet6: [] }, rules: { inet: [], inet6: [] }, neigh: [], sysctls: {}, names: [], pod: null };
  return {
    schemaVersion: 1,
    kind: 'NodeSnapshot',
    nodeName: 'n1',
    capturedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    agentVersion: '0.1.0',
    kernelRelease: '6.1.0',
    host: { ...ns, id: 'host', inode: 1, nsid: null, foundBy: [{ method: 'host', detail: '/proc/self/ns/net' }] },
    namespaces: [],
    bridge: { fdb: [], ports: [] },
    iptables: [],
    iptablesBackendInUse: null,
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

async function start(over: Partial<ServeOptions> & { fail?: () => boolean } = {}) {
  const state = { collections: 0, clock: 1_000_000 };
  server = new SnapshotServer({
    host: '127.0.0.1',
    port: 0,
    collect: async () => {
      state.collections += 1;
      await new Promise((r) => setTimeout(r, 20)); // long enough for concurrent requests to meet it
      if (over.fail?.()) throw new Error('ip: not permitted');
      return snapshot(state.collections);
    },
    metrics: createMetrics(),
    log: pino({ level: 'silent' }),
    intervalMs: 3_600_000,
    jitter: 0,
    maxConcurrent: 1,
    blobThreshold: 1 << 20,
    shutdownGraceMs: 1000,
    now: () => state.clock,
    ...over,
  });
  const addr = await server.start();
  return { base: `http://127.0.0.1:${addr.port}`, state };
}

/** The first collection (the timer's, at start) has finished: a plain GET waits for it. */
async function firstSnapshot(base: string, headers: Record<string, string> = {}) {
  const r = await fetch(`${base}/snapshot`, { headers });
  expect(r.status).toBe(200);
  await r.arrayBuffer();
}

describe('issue 25: on-demand refreshes are rate-limited', () => {
  it('a burst of 60 refresh requests, one after another and all at once, causes no collection within the interval', async () => {
    const { base, state } = await start({ minRefreshMs: 5000 });
    await firstSnapshot(base);
    expect(state.collections).toBe(1);
    for (let i = 0; i < 30; i++) {
      const r = await fetch(`${base}/snapshot?refresh=1`);
      expect(r.status).toBe(200);
      expect(r.headers.get('x-patchbay-refresh')).toBe('rate-limited');
      expect(r.headers.get('x-patchbay-snapshot-age')).toBe('0');
      await r.arrayBuffer();
    }
    await Promise.all(Array.from({ length: 30 }, () => fetch(`${base}/snapshot?refresh=1`).then((r) => r.arrayBuffer())));
    expect(state.collections).toBe(1);
  });

  it('after the interval one refresh collects, concurrent ones join it, and the age header tells how old a cached answer is', async () => {
    const { base, state } = await start({ minRefreshMs: 5000 });
    await firstSnapshot(base);
    state.clock += 7000;
    const burst = await Promise.all(Array.from({ length: 20 }, () => fetch(`${base}/snapshot?refresh=1`)));
    expect(burst.every((r) => r.status === 200)).toBe(true);
    expect(state.collections).toBe(2);
    expect(new Set(burst.map((r) => r.headers.get('x-patchbay-refresh')))).toEqual(new Set(['collected', 'joined']));
    state.clock += 3000;
    const cached = await fetch(`${base}/snapshot?refresh=1`);
    expect(cached.headers.get('x-patchbay-refresh')).toBe('rate-limited');
    expect(cached.headers.get('x-patchbay-snapshot-age')).toBe('3');
    expect(cached.headers.get('retry-after')).toBe('2');
    expect(state.collections).toBe(2);
  });

  it('failing collections are not retried faster than the interval by requests either', async () => {
    const { base, state } = await start({ minRefreshMs: 5000, fail: () => true });
    for (let i = 0; i < 100 && state.collections === 0; i++) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 100)); // let the first (failing) collection finish
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`${base}/snapshot`);
      expect(r.status).toBe(503);
      expect(await r.text()).toMatch(/ip: not permitted/);
    }
    expect(state.collections).toBe(1);
  });
});

describe('issue 25: liveness is process health, readiness is having a snapshot', () => {
  it('/healthz stays 200 while every collection fails; /readyz is 503 until a snapshot exists', async () => {
    let failing = true;
    const { base, state } = await start({ minRefreshMs: 0, fail: () => failing });
    for (let i = 0; i < 100 && state.collections === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect((await fetch(`${base}/snapshot`)).status).toBe(503);
    const live = await fetch(`${base}/healthz`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ status: 'not ready', lastError: 'ip: not permitted' });
    failing = false;
    expect((await fetch(`${base}/snapshot?refresh=1`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    // A later failure leaves the last snapshot served: still ready, still live.
    failing = true;
    const stale = await fetch(`${base}/snapshot?refresh=1`);
    expect([stale.status, stale.headers.get('x-patchbay-refresh')]).toEqual([200, 'failed']);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('answers both probes without the token', async () => {
    const { base } = await start({ token: 'a-token-of-enough-length' });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/snapshot`)).status).toBe(401);
    await firstSnapshot(base, { authorization: 'Bearer a-token-of-enough-length' });
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });
});
