import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import { pino } from 'pino';
import type { AppRouter } from '@patchbay/api';
import type { Trace } from '@patchbay/schema';
import { testModel } from '../../../../packages/topology/testdata/model.js';
import { FakeSource } from '../../../../packages/api/testdata/fakeSource.js';
import { batchLinkOptions } from '../../../web/src/lib/trpc.js';
import { defaultWebDir, MAX_BATCH_SIZE, startServer, webIsBuilt, type RunningServer } from './server.js';

// Issue 25: the server's HTTP edge, through real HTTP against the real one-port server (with the built web
// app, as `npm test` builds it first): tRPC batches are capped (defect 6), a malformed percent-escape in a path
// is the client's 400 rather than our 500 (10), and a Host header naming someone else's host is refused (10,
// DNS rebinding).

const trace: Trace = { query: { from: 'pod/shop/web-1', to: '10.244.1.5:8080', proto: 'tcp', port: 8080 }, verdict: 'delivered', summary: 'ok', paths: [], warnings: [] };
let traces = 0;

/** The model as served, counting how often a procedure (or /readyz) asks for it. */
class CountingSource extends FakeSource {
  reads = 0;
  override current() {
    this.reads += 1;
    return super.current();
  }
}
const source = new CountingSource(testModel());
let running: RunningServer;
let port = 0;

const webDir = defaultWebDir();
beforeAll(async () => {
  if (!webIsBuilt(webDir)) throw new Error(`the web app is not built in ${webDir}: run \`npm run build\` first`);
  running = await startServer({
    source,
    traceFlow: () => {
      traces += 1;
      return trace;
    },
    port: 0,
    host: '127.0.0.1',
    allowedHosts: ['patchbay.patchbay.svc', 'dash.example.org'],
    log: pino({ level: 'silent' }),
    webDir,
  });
  port = Number(new URL(running.url).port);
}, 60_000);
afterAll(() => running.close());

interface Reply {
  status: number;
  body: string;
}

/** One GET with exactly this Host header (fetch would write its own). */
function get(path: string, host = `127.0.0.1:${port}`): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A request written byte for byte, for what no HTTP client sends (no Host, absolute-form). */
function raw(text: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (data += d));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0), body });
    });
  });
}

const traceInput = JSON.stringify({ from: 'pod/shop/web-1', to: '10.244.1.5:8080', proto: 'tcp' });
/** 300 calls fit in 2.4 KB when they need no input (the 14 KB GET had inputs). */
function summaryBatch(n: number): string {
  return `/api/trpc/${Array.from({ length: n }, () => 'summary').join(',')}?batch=1`;
}

function traceBatch(n: number): string {
  const paths = Array.from({ length: n }, () => 'trace').join(',');
  const input: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) input[i] = JSON.parse(traceInput);
  return `/api/trpc/${paths}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`;
}

describe('issue 25: a tRPC batch is capped (defect 6)', () => {
  it('refuses a batch of 300 procedures with a 400 before running any of them', async () => {
    source.reads = 0;
    const r = await get(summaryBatch(300));
    expect(r.status).toBe(400);
    expect(r.body).toContain('Batch call exceeds maximum size');
    expect(source.reads).toBe(0);
  });

  it('refuses one procedure over the cap and runs a batch at the cap', async () => {
    traces = 0;
    expect((await get(traceBatch(MAX_BATCH_SIZE + 1))).status).toBe(400);
    expect(traces).toBe(0);
    const ok = await get(traceBatch(MAX_BATCH_SIZE));
    expect(ok.status).toBe(200);
    const results = JSON.parse(ok.body) as { result: { data: Trace } }[];
    expect(results.map((x) => x.result.data.verdict)).toEqual(Array.from({ length: MAX_BATCH_SIZE }, () => 'delivered'));
    expect(traces).toBe(MAX_BATCH_SIZE);
  });
});

describe("issue 25: the dashboard's tRPC client splits its batches to fit the cap (defect 6)", () => {
  it('sends 25 queries issued at once as batches the server accepts', async () => {
    expect(batchLinkOptions.maxItems).toBeLessThanOrEqual(MAX_BATCH_SIZE);
    let requests = 0;
    const client = createTRPCClient<AppRouter>({
      links: [
        httpBatchLink({
          url: `${running.url}api/trpc`,
          ...batchLinkOptions,
          fetch: (url, init) => {
            requests += 1;
            return fetch(url, init);
          },
        }),
      ],
    });
    const nodes = await Promise.all(Array.from({ length: 25 }, () => client.summary.query().then((r) => r.counts.nodes)));
    expect(nodes).toEqual(Array.from({ length: 25 }, () => 3));
    // Issued in one tick, so one batch without a cap; with it, ceil(25 / 10).
    expect(requests).toBe(3);
  });
});

describe('issue 25: a malformed percent-escape in a path is a 400, not a 500 (defect 10)', () => {
  it.each([
    ['/pods/%E0%A4%A/x', 6],
    ['/nodes/%', 7],
    ['/nodes/%zz', 7],
    ['/nodes/%C0%80', 7],
    ['/api/trpc/%', 10],
    ['/api/trpc/%E0%A4%A', 10],
  ])('GET %s', async (path, at) => {
    const r = await get(path);
    expect(r.status).toBe(400);
    expect(r.body).toBe(`The path has a malformed percent-escape (at character ${at + 1}); "%" must be followed by two hex digits that encode UTF-8.\n`);
  });

  it.each([
    ['/api/trpc/%00', 11],
    ['/api/trpc/summary%1B%5B31m', 18],
    ['/nodes/n1%E2%80%AE', 10],
    ['/pods/shop/%C2%9B', 12],
  ])('GET %s: a control or formatting character in the path is a 400 that does not repeat it (found by the fuzz suite)', async (path, at) => {
    const r = await get(path);
    expect(r.status).toBe(400);
    expect(r.body).toBe(`The path holds a control or formatting character (at character ${at} once decoded).\n`);
  });

  it('still serves pages and API paths whose escapes are well formed', async () => {
    expect((await get('/nodes/n1')).status).toBe(200);
    expect((await get('/pods/shop/web%2D1')).status).toBe(200);
    expect((await get('/api/trpc/summary')).status).toBe(200);
    // Query strings are parsed leniently by both (a lone % stays a %), so they stay the handlers' business.
    expect((await get('/trace?from=%')).status).toBe(200);
  });

  it('refuses a request target that is not a path (absolute-form would carry a second host name)', async () => {
    const r = await raw(`GET http://evil.example/nodes/n1 HTTP/1.0\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    expect(r.status).toBe(400);
    expect(r.body).toBe('The request target must be a path starting with "/".\n');
  });
});

describe('issue 25: only requests naming this server are answered (DNS rebinding, defect 10)', () => {
  const refused = 'This Patchbay server does not answer for the host name in this request (a guard against DNS rebinding).\nIf you reach it through a name of your own, start it with --allowed-host NAME.\n';

  it.each(['evil.example', 'evil.example:80', 'rebind.attacker.test:3000', '10.0.0.1', '[::1]', 'patchbay.patchbay.svc.cluster.local', 'localhost.evil.example'])(
    'refuses Host: %s on every path',
    async (host) => {
      for (const path of ['/', '/nodes/n1', '/healthz', '/readyz', '/api/trpc/summary']) {
        const r = await get(path, host);
        expect(r.status, path).toBe(421);
        expect(r.body, path).toBe(refused);
      }
    },
  );

  // The port is not compared: port-forwards and published ports change it on the way.
  it.each(['127.0.0.1', '127.0.0.1:3000', 'localhost:8080', 'LOCALHOST', 'localhost.', 'app.localhost', 'patchbay.patchbay.svc', 'Dash.Example.Org.:443'])('accepts Host: %s', async (host) => {
    expect((await get('/healthz', host)).body).toBe('ok\n');
    expect((await get('/nodes/n1', host)).status).toBe(200);
  });

  it.each(['evil.example:http', 'a b', '[::1', '::1', 'evil.example/x', 'a..b', '[zz]:80'])('answers a malformed Host: %s with 400', async (host) => {
    const r = await get('/healthz', host);
    expect(r.status).toBe(400);
    expect(r.body).toBe('This request has a malformed Host header.\n');
  });

  it('answers a request without a Host header with 400', async () => {
    const r = await raw('GET /healthz HTTP/1.0\r\n\r\n');
    expect(r.status).toBe(400);
    expect(r.body).toBe('This request has no Host header; Patchbay needs one.\n');
  });
});
