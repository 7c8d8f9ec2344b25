import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Trace } from '@patchbay/schema';
import { testModel } from '../../../../packages/topology/testdata/model.js';
import { FakeSource } from '../../../../packages/api/testdata/fakeSource.js';
import { startServer, type RunningServer } from './server.js';

// The one-port server without the web app: health endpoints, tRPC under /api/trpc, and a clear answer elsewhere.
let running: RunningServer | null = null;
afterEach(async () => {
  await running?.close();
  running = null;
});

async function start(): Promise<string> {
  const trace: Trace = { query: { from: 'pod/shop/web-1', to: '10.244.1.5:8080', proto: 'tcp', port: 8080 }, verdict: 'delivered', summary: 'ok', paths: [], warnings: [] };
  running = await startServer({
    source: new FakeSource(testModel()),
    traceFlow: () => trace,
    port: 0,
    host: '127.0.0.1',
    log: pino({ level: 'silent' }),
    webDir: null,
  });
  return running.url;
}

describe('patchbay serve (HTTP)', () => {
  it('answers health and readiness', async () => {
    const url = await start();
    expect(await (await fetch(`${url}healthz`)).text()).toBe('ok\n');
    const ready = await fetch(`${url}readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      ready: true,
      generation: 1,
      loadedAt: '2026-11-21T14:00:00.000Z',
      ui: false,
      lastReloadError: null,
      watchError: null,
      staleNodes: [],
    });
  });

  it('serves the tRPC API under /api/trpc with zod-checked inputs', async () => {
    const url = await start();
    const summary = (await (await fetch(`${url}api/trpc/summary`)).json()) as { result: { data: { counts: { nodes: number } } } };
    expect(summary.result.data.counts.nodes).toBe(3);
    const input = encodeURIComponent(JSON.stringify({ namespace: 'shop', name: 'nope' }));
    const missing = await fetch(`${url}api/trpc/pod?input=${input}`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toBe('no pod shop/nope in this cluster');
    const bad = await fetch(`${url}api/trpc/trace?input=${encodeURIComponent(JSON.stringify({ from: 'pod/x', to: 'y' }))}`);
    expect(bad.status).toBe(400);
  });

  it('streams updates over server-sent events', async () => {
    const url = await start();
    const ac = new AbortController();
    const res = await fetch(`${url}api/trpc/updates`, { signal: ac.signal, headers: { accept: 'text/event-stream' } });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body?.getReader();
    let text = '';
    while (!text.includes('"hello"')) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    expect(text).toContain('"type":"hello"');
    ac.abort();
  });

  it('says the web app is not built instead of a blank page', async () => {
    const url = await start();
    const res = await fetch(`${url}nodes/n1`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('The Patchbay web app is not built: run `npm run build`');
  });
});
