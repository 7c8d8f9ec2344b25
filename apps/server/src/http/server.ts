import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { appRouter, type Source, type TraceFn } from '@patchbay/api';
import type { Logger } from 'pino';
import { loadNext, type NextHandle } from './next.js';

// One port for everything: /api/trpc/* goes to tRPC (queries over HTTP, subscriptions over SSE), /healthz and
// /readyz are answered here, and every other path goes to the Next.js request handler running in this same
// process. Production (the container) runs this same code.

export interface ServeOptions {
  source: Source;
  traceFlow: TraceFn;
  port: number;
  host: string;
  log: Logger;
  /** The built Next.js app; null serves the API alone with a page saying the UI is not built. */
  webDir: string | null;
}

export interface RunningServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** apps/web beside apps/server, in the repository and in the container alike. */
export function defaultWebDir(): string {
  const fromEnv = process.env.PATCHBAY_WEB_DIR;
  if (fromEnv) return path.resolve(fromEnv);
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web');
}

export function webIsBuilt(dir: string): boolean {
  return existsSync(path.join(dir, '.next', 'BUILD_ID'));
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const { log } = opts;
  let next: NextHandle | null = null;
  if (opts.webDir) next = await loadNext(opts.webDir, log);

  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: '/api/trpc/',
    createContext: () => ({ source: opts.source, traceFlow: opts.traceFlow }),
    onError: ({ error, path: proc }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') log.error({ proc, err: error.cause ?? error }, 'procedure failed');
      else log.debug({ proc, code: error.code, message: error.message }, 'procedure refused');
    },
  });

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const url = req.url ?? '/';
    res.on('finish', () => {
      if (url.startsWith('/_next/')) return;
      log.info({ method: req.method, url, status: res.statusCode, ms: Math.round(performance.now() - started) }, 'request');
    });
    if (url === '/healthz') return send(res, 200, 'ok\n');
    if (url === '/readyz') {
      try {
        const s = opts.source.current();
        return send(res, 200, JSON.stringify({ ready: true, generation: s.generation, loadedAt: s.loadedAt, ui: next !== null }), 'application/json');
      } catch (err) {
        return send(res, 503, JSON.stringify({ ready: false, reason: (err as Error).message }), 'application/json');
      }
    }
    if (url.startsWith('/api/trpc/')) return trpc(req, res);
    if (!next) return send(res, 503, 'The Patchbay web app is not built: run `npm run build` at the repository root, then start `patchbay serve` again.\nThe API is served under /api/trpc/.\n');
    next.handle(req, res).catch((err: unknown) => {
      log.error({ err, url }, 'next.js handler failed');
      if (!res.headersSent) send(res, 500, 'internal error\n');
    });
  };

  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? 'localhost' : opts.host;
  return {
    url: `http://${shownHost}:${port}/`,
    server,
    close: async () => {
      // Open SSE streams would keep close() waiting forever.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await next?.close();
    },
  };
}
