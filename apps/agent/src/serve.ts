import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NodeSnapshot } from '@patchbay/schema';
import { externalise, type Blob } from './blobs.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { TokenSource } from './tokenFile.js';

// `patchbay-agent serve`: the snapshot over HTTP. Collections run on a timer (with jitter, so a DaemonSet's agents
// do not read in step) and on demand (?refresh=1), never more than maxConcurrent at once. On-demand collections
// are rate-limited (issue 25: a loop of ?refresh=1 drove 26 collections a second): a request joins the collection
// under way, and within minRefreshMs of the last one it gets the cached snapshot, with its age in a header.
// The constructor stores; start() listens and starts the timer.

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
  /** Required as `Authorization: Bearer TOKEN` on everything but /healthz and /readyz, when set. */
  token?: string | TokenSource;
  /** An on-demand collection starts only this long after the last collection started. Default 5 s. */
  minRefreshMs?: number;
  /** Clock for the rate limit and ages (tests). */
  now?: () => number;
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
  /** When the last collection (timer or on demand) started; -Infinity before the first. */
  private lastStart = -Infinity;
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
    this.lastStart = this.now();
    const p = this.opts
      .collect()
      .then((raw) => {
        const ext = externalise(raw, this.opts.blobThreshold);
        const body = JSON.stringify(ext.snapshot);
        // capturedAt changes every time; the ETag covers everything else, so unchanged state answers 304.
        const etag = `W/"${createHash('sha256').update(JSON.stringify({ ...ext.snapshot, capturedAt: '' })).digest('hex').slice(0, 32)}"`;
        const blobs = new Map(ext.blobs.map((b) => [b.ref.sha256, b]));
        const next: Current = { raw, body, etag, blobs, at: this.now() };
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

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /**
   * An on-demand collection: the one under way, else a new one unless the last started less than minRefreshMs
   * ago (null: serve what is cached). The timer's collections are not limited; they are what keeps data fresh.
   */
  private onDemand(): { how: 'joined' | 'collected'; snapshot: Promise<Current> } | null {
    const last = this.inFlight[this.inFlight.length - 1];
    if (last) return { how: 'joined', snapshot: last };
    if (this.now() - this.lastStart < this.minRefreshMs()) return null;
    return { how: 'collected', snapshot: this.refresh() };
  }

  private minRefreshMs(): number {
    return this.opts.minRefreshMs ?? 5000;
  }

  private async authorised(req: http.IncomingMessage): Promise<boolean> {
    const source = this.opts.token;
    if (!source) return true;
    const token = typeof source === 'string' ? source : await source.current();
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
    // Liveness: the process answers. A failing collection is not a reason to restart the agent (a restart
    // would not fix a missing tool or permission, and the kubelet would restart it forever).
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok' }) + '\n');
      return;
    }
    // Readiness: there is a snapshot to serve (possibly an old one, when later collections failed).
    if (url.pathname === '/readyz') {
      const ready = this.current !== null;
      const body = JSON.stringify({
        status: ready ? 'ready' : 'not ready',
        lastCollection: this.current ? new Date(this.current.at).toISOString() : null,
        lastError: this.lastError,
      });
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(body + '\n');
      return;
    }
    if (!(await this.authorised(req))) {
      res.writeHead(401, { 'www-authenticate': 'Bearer', 'content-type': 'text/plain' }).end('unauthorized\n');
      return;
    }
    if (url.pathname === '/metrics') {
      const reg = this.opts.metrics.registry;
      res.writeHead(200, { 'content-type': reg.contentType }).end(await reg.metrics());
      return;
    }
    if (url.pathname === '/snapshot') {
      const wanted = url.searchParams.get('refresh') === '1' || !this.current;
      const collection = wanted ? this.onDemand() : null;
      const refreshHeaders: Record<string, string> = {};
      if (wanted) {
        refreshHeaders['x-patchbay-refresh'] = collection ? collection.how : 'rate-limited';
        if (!collection) refreshHeaders['retry-after'] = String(Math.max(1, Math.ceil((this.lastStart + this.minRefreshMs() - this.now()) / 1000)));
      }
      let cur: Current;
      try {
        if (collection) cur = await collection.snapshot;
        else if (this.current) cur = this.current;
        else throw new Error(`the last collection failed (${this.lastError ?? 'unknown error'}); on-demand collections start at most every ${this.minRefreshMs() / 1000} s`);
      } catch (err) {
        if (!this.current) {
          res.writeHead(503, { 'content-type': 'text/plain', ...refreshHeaders }).end(`no snapshot: ${err instanceof Error ? err.message : String(err)}\n`);
          return;
        }
        // The refresh failed, but the last good snapshot is still worth more than an error.
        refreshHeaders['x-patchbay-refresh'] = 'failed';
        cur = this.current;
      }
      const inline = url.searchParams.get('inline') === '1';
      const etag = inline ? cur.etag.replace(/"$/, '-inline"') : cur.etag;
      const headers = {
        etag,
        'cache-control': 'no-cache',
        'content-type': 'application/json',
        // Whole seconds since this snapshot was collected: a rate-limited refresh says how old what it got is.
        'x-patchbay-snapshot-age': String(Math.max(0, Math.floor((this.now() - cur.at) / 1000))),
        ...refreshHeaders,
      };
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
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /snapshot, /healthz, /readyz, /metrics\n');
  }
}

function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const strip = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => t.trim() === '*' || strip(t) === strip(etag));
}
