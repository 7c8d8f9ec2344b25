import type { IncomingMessage, ServerResponse } from 'node:http';
import nextModule from 'next';
import type { RequestHandler } from 'next/dist/server/next.js';
import type { Logger } from 'pino';

// next is CommonJS whose module.exports is the factory; its types describe an ES default export instead.
interface NextApp {
  prepare(): Promise<void>;
  getRequestHandler(): RequestHandler;
  close(): Promise<void>;
}
type CreateNext = (options: { dev: boolean; dir: string; quiet?: boolean }) => NextApp;
const next = ((nextModule as unknown as { default?: CreateNext }).default ?? nextModule) as unknown as CreateNext;

export interface NextHandle {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  close(): Promise<void>;
}

/** The production Next.js server for the built app in `dir`, as a request handler we route to. */
export async function loadNext(dir: string, log: Logger): Promise<NextHandle> {
  const started = performance.now();
  const app = next({ dev: false, dir, quiet: true });
  await app.prepare();
  log.info({ dir, ms: Math.round(performance.now() - started) }, 'web app ready');
  const handle = app.getRequestHandler();
  return { handle: (req, res) => handle(req, res), close: () => app.close() };
}
