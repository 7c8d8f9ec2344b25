import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NodeSnapshot } from '@patchbay/schema';
import { externalise, type Blob } from './blobs.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';

// `patchbay-agent serve`: the snapshot over HTTP. Collections run on a timer (with jitter, so a DaemonSet's agents
// do not read in step) and on demand (?refresh=1), never more than maxConcurrent at once: an extra request joins
// the collection under way. The constructor stores; start() listens and starts the timer.

export interface ServeOptions {
  host: string;
  port: number;
  collect: () => Promise<NodeSnapshot>;
  metrics: Metrics;
  log: Logger;
  intervalMs: number;
  /** 0..1: each wait is intervalMs * (1 ± jitter). */
  jitter: number;
  maxConcurrent: number;
  /** Sections larger than this are served by reference on /blobs/SHA256. */
  blobThreshold: number;
  /** Required as `Authorization: Bearer TOKEN` on everything but /healthz, when set. */
  token?: string;
  /** How long stop() waits for collections under way. */
  shutdownGraceMs?: number;
}

interface Current {
  raw: NodeSnapshot;
  body: string;
  etag: string;
  blobs: Map<string, Blob>;
  at: number;
}

export class SnapshotServer {
  private server: http.Server | null = null;
  private timer: NodeJS.Timeout | null = null;
  private current: Current | null = null;
  private previousBlobs = new Map<string, Blob>();
  private inFlight: Promise<Current>[] = [];
  private lastError: string | null = null;
  private stopping = false;

  constructor(private readonly opts: ServeOptions) {}

  async start(): Promise<AddressInfo> {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        this.opts.log.error({ err }, 'request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error\n');
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.opts.port, this.opts.host, () => resolve());
    });
    this.schedule(0);
    const addr = this.server.address() as AddressInfo;
    this.opts.log.info({ address: addr.address, port: addr.port, auth: Boolean(this.opts.token) }, 'serving snapshots');
    return addr;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    const closed = new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeIdleConnections();
    const grace = new Promise<void>((resolve) => setTimeout(resolve, this.opts.shutdownGraceMs ?? 10_000).unref());
    await Promise.race([Promise.allSettled([closed, ...this.inFlight]).then(() => undefined), grace]);
    this.server?.closeAllConnections();
  }

  private schedule(delayMs: number) {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.refresh()
        .catch(() => undefined)
        .finally(() => {
          const j = this.opts.jitter;
          this.schedule(this.opts.intervalMs * (1 - j + Math.random() * 2 * j));
        });
    }, delayMs);
    this.timer.unref();
  }

  /** Starts a collection, or joins the latest one under way when maxConcurrent are running. */
  refresh(): Promise<Current> {
    if (this.inFlight.length >= this.opts.maxConcurrent) return this.inFlight[this.inFlight.length - 1]!;
    const { metrics, log } = this.opts;
    const t0 = performance.now();
    const p = this.opts
      .collect()
      .then((raw) => {
        const ext = externalise(raw, this.opts.blobThreshold);
        const body = JSON.stringify(ext.snapshot);
        // capturedAt changes every time; the ETag covers everything else, so unchanged state answers 304.
        const etag = `W/"${createHash('sha256').update(JSON.stringify({ ...ext.snapshot, capturedAt: '' })).digest('hex').slice(0, 32)}"`;
        const blobs = new Map(ext.blobs.map((b) => [b.ref.sha256, b]));
        const next: Current = { raw, body, etag, blobs, at: Date.now() };
        // Keep the previous snapshot's blobs one round longer: a client may hold its references.
        if (this.current) this.previousBlobs = this.current.blobs;
        this.current = next;
        this.lastError = null;
        metrics.collections.inc({ result: 'ok' });
        metrics.collectionDuration.observe((performance.now() - t0) / 1000);
        metrics.snapshotBytes.set({ part: 'snapshot' }, Buffer.byteLength(body));
        metrics.snapshotBytes.set({ part: 'blobs' }, ext.blobs.reduce((n, b) => n + b.ref.bytes, 0));
        metrics.snapshotErrors.set(raw.errors.length);
        log.debug({ seconds: (performance.now() - t0) / 1000, errors: raw.errors.length }, 'collected');
        return next;
      })
      .catch((err: unknown) => {
        this.lastError = err instanceof Error ? err.message : String(err);
        metrics.collections.inc({ result: 'failed' });
        log.error({ err: this.lastError }, 'collection failed');
        throw err;
      })
      .finally(() => {
        this.inFlight = this.inFlight.filter((x) => x !== p);
      });
    this.inFlight.push(p);
    return p;
  }

  private authorised(req: http.IncomingMessage): boolean {
    const token = this.opts.token;
    if (!token) return true;
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!m) return false;
    const a = Buffer.from(m[1]!);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://agent');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (url.pathname === '/healthz') {
      const ok = this.current !== null || this.lastError === null;
      const body = JSON.stringify({
        status: ok ? 'ok' : 'failing',
        lastCollection: this.current ? new Date(this.current.at).toISOString() : null,
        lastError: this.lastError,
      });
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(body + '\n');
      return;
    }
    if (!this.authorised(req)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer', 'content-type': 'text/plain' }).end('unauthorized\n');
      return;
    }
    if (url.pathname === '/metrics') {
      const reg = this.opts.metrics.registry;
      res.writeHead(200, { 'content-type': reg.contentType }).end(await reg.metrics());
      return;
    }
    if (url.pathname === '/snapshot') {
      let cur: Current;
      try {
        cur = url.searchParams.get('refresh') === '1' || !this.current ? await this.refresh() : this.current;
      } catch (err) {
        res.writeHead(503, { 'content-type': 'text/plain' }).end(`no snapshot: ${err instanceof Error ? err.message : String(err)}\n`);
        return;
      }
      const inline = url.searchParams.get('inline') === '1';
      const etag = inline ? cur.etag.replace(/"$/, '-inline"') : cur.etag;
      const headers = { etag, 'cache-control': 'no-cache', 'content-type': 'application/json' };
      if (matches(req.headers['if-none-match'], etag)) {
        res.writeHead(304, headers).end();
        return;
      }
      res.writeHead(200, headers).end(inline ? JSON.stringify(cur.raw) : cur.body);
      return;
    }
    const blob = /^\/blobs\/([0-9a-f]{64})$/.exec(url.pathname);
    if (blob) {
      const b = this.current?.blobs.get(blob[1]!) ?? this.previousBlobs.get(blob[1]!);
      if (!b) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no such blob\n');
        return;
      }
      const etag = `"${b.ref.sha256}"`;
      const headers = { etag, 'cache-control': 'public, max-age=31536000, immutable', 'content-type': b.contentType };
      if (matches(req.headers['if-none-match'], etag)) {
        res.writeHead(304, headers).end();
        return;
      }
      res.writeHead(200, { ...headers, 'content-length': b.content.length }).end(b.content);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /snapshot, /healthz, /metrics\n');
  }
}

function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const strip = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => t.trim() === '*' || strip(t) === strip(etag));
}
