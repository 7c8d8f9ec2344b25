import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { appRouter, type Source, type TraceFn } from '@patchbay/api';
import type { Logger } from 'pino';
import { checkHost, type HostName } from './hostPolicy.js';
import { loadNext, type NextHandle } from './next.js';
import { checkRequestTarget } from './requestTarget.js';

// One port for everything: /api/trpc/* goes to tRPC (queries over HTTP, subscriptions over SSE), /healthz and
// /readyz are answered here, and every other path goes to the Next.js request handler running in this same
// process. Production (the container) runs this same code.

/**
 * The most procedures one tRPC batch may call. Without a cap one 14 KB GET ran 300 procedures and twenty such
 * requests held /healthz for 5 s. The dashboard batches at most a handful (apps/web/src/lib/trpc.ts keeps
 * its client at or below this number).
 */
export const MAX_BATCH_SIZE = 10;
/** Every procedure is a query or a subscription (GET); a POST body is never needed, so keep it small. */
const MAX_BODY_BYTES = 64 * 1024;

export interface ServeOptions {
  source: Source;
  traceFlow: TraceFn;
  port: number;
  host: string;
  log: Logger;
  /** Names (normalized, see hostPolicy.ts) accepted in the Host header besides IP literals and localhost. */
  allowedHosts?: readonly HostName[];
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
    // tRPC counts the batch before it parses any input or runs any procedure, and answers 400 over the cap.
    maxBatchSize: MAX_BATCH_SIZE,
    maxBodySize: MAX_BODY_BYTES,
    // The API's error formatter logs an internal error (with the id the client is shown) through this log.
    createContext: () => ({ source: opts.source, traceFlow: opts.traceFlow, log }),
    onError: ({ error, path: proc }) => {
      if (error.code !== 'INTERNAL_SERVER_ERROR') log.debug({ proc, code: error.code, message: error.message }, 'procedure refused');
    },
  });

  const allowedHosts = new Set(opts.allowedHosts ?? []);
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const url = req.url ?? '/';
    res.on('finish', () => {
      if (url.startsWith('/_next/')) return;
      // A refused Host is logged (cut short) so that an operator can see which name to allow.
      const refusedHost = res.statusCode === 421 ? { host: req.headers.host?.slice(0, 255) } : {};
      log.info({ method: req.method, url, status: res.statusCode, ms: Math.round(performance.now() - started), ...refusedHost }, 'request');
    });
    // Every request, health checks included: a rebinding page must not read even those.
    const host = checkHost(req.headers.host, req.socket.localAddress, allowedHosts);
    if (!host.ok) return send(res, host.status, host.message);
    const target = checkRequestTarget(req.url);
    if (!target.ok) return send(res, 400, target.message);
    if (url === '/healthz') return send(res, 200, 'ok\n');
    if (url === '/readyz') {
      try {
        const s = opts.source.current();
        // Still ready (the last good state is served), but never looking fine while changes are being missed or
        // nodes are shown from an older snapshot: a probe or a person reading this sees why.
        const body = {
          ready: true,
          generation: s.generation,
          loadedAt: s.loadedAt,
          ui: next !== null,
          lastReloadError: opts.source.lastError()?.message ?? null,
          watchError: opts.source.watchError()?.message ?? null,
          staleNodes: s.staleNodes.map((n) => n.node),
        };
        return send(res, 200, JSON.stringify(body), 'application/json');
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
  // A wildcard listen is shown as localhost (accepted by the Host check); an IPv6 literal needs brackets.
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? 'localhost' : isIPv6(opts.host) ? `[${opts.host}]` : opts.host;
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
