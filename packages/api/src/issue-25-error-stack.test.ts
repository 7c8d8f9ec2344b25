import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { testModel } from '../../topology/testdata/model.js';
import { FakeSource } from '../testdata/fakeSource.js';
import type { ApiContext } from './router.js';

// Issue 25, defect 10 (one item): API errors carried the stack trace to the client unless NODE_ENV was
// "production", and an internal error's message (a file path, a library's wording) went out as is. Through
// real HTTP with NODE_ENV unset: no stack ever, an internal error answers with a generic message and an error id,
// and the id, the real message and the stack are in the server's log.

delete process.env.NODE_ENV;
// Imported after NODE_ENV is gone: tRPC decides at router creation whether it is "development".
const { appRouter } = await import('./router.js');

interface Entry { level: string; obj: Record<string, unknown>; msg?: string }
const logged: Entry[] = [];
const log = {
  info: (obj: object, msg?: string) => logged.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
  warn: (obj: object, msg?: string) => logged.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
  error: (obj: object, msg?: string) => logged.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
};

const SECRET = 'ENOENT: /var/lib/patchbay/private/thing.json at Object.readFileSync';
const source = new FakeSource(testModel());
const ctx: ApiContext = {
  source,
  traceFlow: () => {
    throw new Error(SECRET);
  },
  log,
};
const server = createHTTPServer({ router: appRouter, basePath: '/api/trpc/', createContext: () => ctx });
let base = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/trpc`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

interface ErrorBody { error: { message: string; code: number; data: Record<string, unknown> } }
async function get(proc: string, input: string): Promise<{ status: number; body: ErrorBody; text: string }> {
  const res = await fetch(`${base}/${proc}?input=${encodeURIComponent(input)}`);
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as ErrorBody, text };
}

describe('issue 25: API errors carry no stack trace and no internals', { timeout: 60_000 }, () => {
  it('runs with NODE_ENV unset', () => {
    expect(process.env.NODE_ENV).toBeUndefined();
  });

  it('an internal error answers with a generic message and an id that is in the log with the stack', async () => {
    logged.length = 0;
    const { status, body, text } = await get('trace', JSON.stringify({ from: 'pod/shop/web-1', to: '10.96.0.10:80' }));
    expect(status).toBe(500);
    expect(body.error.data.code).toBe('INTERNAL_SERVER_ERROR');
    expect(body.error.data).not.toHaveProperty('stack');
    expect(text).not.toContain('at Object');
    expect(text).not.toContain('/var/lib/patchbay');
    const id = /^internal error ([0-9a-f]{12}): the server log has the details$/.exec(body.error.message)?.[1];
    expect(id, body.error.message).toBeDefined();
    const entry = logged.find((e) => e.obj.errorId === id);
    expect(entry).toMatchObject({ level: 'error', obj: { errorId: id, path: 'trace', code: 'INTERNAL_SERVER_ERROR' } });
    expect(JSON.stringify(entry?.obj)).toContain(SECRET);
    expect(String((entry?.obj.err as { stack?: string } | undefined)?.stack)).toMatch(/\n\s+at /);
  });

  it('a refused request keeps its message (it names what was wrong) but not the stack', async () => {
    const { status, body } = await get('pod', JSON.stringify({ namespace: 'shop', name: 'nope' }));
    expect(status).toBe(404);
    expect(body.error.message).toBe('no pod shop/nope in this cluster');
    expect(body.error.data).not.toHaveProperty('stack');

    const bad = await get('pod', JSON.stringify({ namespace: '', name: 'x' }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.data).not.toHaveProperty('stack');
  });

  it('input that is not JSON is refused without echoing it back', async () => {
    // Node's JSON.parse quotes the text around an unexpected token in its message.
    const { status, body, text } = await get('pod', '{"namespace": EVIL\u001b[31m}');
    expect(status).toBe(400);
    expect(body.error.data.code).toBe('BAD_REQUEST');
    // (Node 20 gives no position for an unexpected token, only for some other errors.)
    expect(body.error.message).toMatch(/^the request's input is not valid JSON( \(at position \d+\))?$/);
    expect(body.error.data).not.toHaveProperty('stack');
    expect(text).not.toContain('EVIL');
  });
});
