// Requests for the real server over real HTTP: tRPC queries with mutated inputs (GET and POST), batches of
// every size around the cap, malformed targets and percent-escapes, odd Host headers and methods, huge
// headers, and page paths for the Next.js handler. Sent with node:http, which lets a test write any target
// and any Host (fetch normalises both).
import { request } from 'node:http';
import type { ClusterModel } from '@patchbay/resolve';
import type { Rng } from './prng.js';
import { ODD_ENDPOINTS, trpcCase } from './trpcInputs.js';

export interface HttpCase {
  method: string;
  target: string;
  headers: Record<string, string>;
  body: string | null;
  /** Answered by /api/trpc/ (a JSON body is expected) rather than by pages. */
  isApi: boolean;
  what: string;
}

/** JSON of an input; one nested past what JSON.stringify can write is sent as 20k levels of text instead. */
function jsonText(input: unknown): string {
  try {
    return JSON.stringify(input) ?? 'null';
  } catch {
    return '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000);
  }
}

const inputParam = (input: unknown) => encodeURIComponent(jsonText(input));

export function httpCase(rng: Rng, model: ClusterModel): HttpCase {
  const kind = rng.weighted({ get: 40, batch: 12, post: 5, rawInput: 8, path: 6, page: 8, host: 8, method: 5, bigHeader: 2 });
  const c = trpcCase(rng, model);
  const api = (target: string, what: string, extra: Partial<HttpCase> = {}): HttpCase => ({ method: 'GET', target, headers: {}, body: null, isApi: true, what, ...extra });
  switch (kind) {
    case 'get':
      return api(`/api/trpc/${c.proc}${c.input === undefined ? '' : `?input=${inputParam(c.input)}`}`, `GET ${c.what}`);
    case 'batch': {
      const n = rng.pick([2, 5, 9, 10, 11, 50, 300]);
      const cases = Array.from({ length: n }, () => trpcCase(rng, model));
      const input: Record<string, unknown> = {};
      cases.forEach((x, i) => (input[i] = x.input));
      return api(`/api/trpc/${cases.map((x) => x.proc).join(',')}?batch=1&input=${inputParam(input)}`, `GET batch of ${n}`);
    }
    case 'post':
      return api(`/api/trpc/${c.proc}`, `POST ${c.what}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: jsonText(c.input ?? null) });
    case 'rawInput': {
      const raw = rng.pick(['not-json', '%E0%A4%A', '%ZZ', '%00', '%', '{"from":', `"${'a'.repeat(100_000)}"`, '%7B%22from%22%3A%22pod%2F..%2Fx%22%7D', encodeURIComponent(JSON.stringify({ from: rng.pick(ODD_ENDPOINTS), to: rng.pick(ODD_ENDPOINTS) }))]);
      return api(`/api/trpc/trace?input=${raw}`, `GET trace with a raw input (${raw.length} chars)`);
    }
    case 'path': {
      const target = rng.pick(['/api/trpc/nosuchproc', '/api/trpc/%00', '/api/trpc/..%2f..%2fetc%2fpasswd', `/api/trpc/${'x'.repeat(10_000)}`, '/api/trpc//summary', '/api/trpc/summary%', '/api/trpc/', '/api/trpc/summary?%ZZ=1', '/api/trpc/summary,,summary?batch=1']);
      return api(target, `odd API path (${target.length} chars)`);
    }
    case 'page': {
      const target = rng.pick(['/nodes/%E0%A4%A', '/pods/%', '/trace?from=%ZZ&to=svc', '/nodes/n1', '/', '/%', '/services/shop/web', '//evil.example/', 'http://evil.example/', '*', `/pods/shop/${'b'.repeat(5000)}`, '/trace?from=pod%2F..%2Fx&to=%00', '/healthz', '/readyz']);
      return { method: 'GET', target, headers: {}, body: null, isApi: false, what: `page target #${target.length}` };
    }
    case 'host': {
      const host = rng.pick(['evil.example', 'evil.example:80', '', 'localhost:1', '127.0.0.1', 'LOCALHOST', 'a'.repeat(300), '[::1]', '127.0.0.1.nip.io', 'localhost.', '%6cocalhost']);
      return api(`/api/trpc/${c.proc}${c.input === undefined ? '' : `?input=${inputParam(c.input)}`}`, `Host header variant (${host.length} chars)`, { headers: { host } });
    }
    case 'method': {
      const method = rng.pick(['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'POST']);
      return api('/api/trpc/summary', `${method} /api/trpc/summary`, { method, body: method === 'POST' ? '{' : null });
    }
    default:
      return api('/api/trpc/summary', 'a 20 kB header', { headers: { 'x-big': 'a'.repeat(20_000) } });
  }
}

/** Sends one request; resolves with the status and body, or rejects after boundMs. */
export function send(base: URL, c: HttpCase, boundMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, method: c.method, path: c.target, headers: { connection: 'close', ...c.headers }, timeout: boundMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${boundMs} ms`)));
    req.on('error', reject);
    req.end(c.body ?? undefined);
  });
}
