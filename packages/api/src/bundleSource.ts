import { watch, type FSWatcher } from 'node:fs';
import { formatProblem, type Problem } from '@patchbay/schema';
import { BundleError, loadBundle, type Bundle } from '@patchbay/bundle';
import type { ClusterModel } from '@patchbay/resolve';
import { silentLog, type Log, type Source, type SourceError, type SourceEvent, type SourceState } from './source.js';

export interface BundleSourceOptions {
  /** resolveBundle from @patchbay/resolve; passed in so the server composes the stages (STYLE.md 12). */
  resolve: (bundle: Bundle) => ClusterModel;
  log?: Log;
  /** Quiet time after the last file event before reloading (a recording writes many files). */
  debounceMs?: number;
  /** Injected clock for tests. */
  now?: () => Date;
}

const key = (p: Problem) => formatProblem(p);

/**
 * Serves a bundle directory and reloads it when files change. A reload that fails (the directory or
 * cluster.json unreadable, the resolver throwing) or that brings problems the served state did not have (a
 * half-written snapshot while a bundle is being re-recorded) is refused: the last good state stays served and
 * the refusal is reported to subscribers and by lastError().
 *
 * The constructor only stores; start() reads and watches (STYLE.md 4).
 */
export class BundleSource implements Source {
  readonly description: string;
  private state: SourceState | null = null;
  private error: SourceError | null = null;
  private readonly listeners = new Set<(e: SourceEvent) => void>();
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<SourceEvent> | null = null;
  private again = false;
  private readonly log: Log;

  constructor(
    readonly dir: string,
    private readonly opts: BundleSourceOptions,
  ) {
    this.description = `bundle ${dir}`;
    this.log = opts.log ?? silentLog;
  }

  /** Loads the bundle; throws (BundleError or the resolver's error) when even the first load fails. */
  async start({ watch: shouldWatch = true }: { watch?: boolean } = {}): Promise<SourceState> {
    const state = await this.load(1);
    this.state = state;
    this.log.info({ dir: this.dir, generation: 1, problems: state.problems.length, nodes: state.model.nodes.size, pods: state.model.pods.size }, 'bundle loaded');
    if (shouldWatch) this.watch();
    return state;
  }

  current(): SourceState {
    if (!this.state) throw new Error('BundleSource.current() before start()');
    return this.state;
  }

  lastError(): SourceError | null {
    return this.error;
  }

  subscribe(listener: (event: SourceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reloads now (reloads requested while one runs are coalesced into one more). */
  reload(): Promise<SourceEvent> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.reloadOnce().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        void this.reload();
      }
    });
    return this.running;
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.listeners.clear();
  }

  private watch(): void {
    try {
      this.watcher = watch(this.dir, { recursive: true }, () => this.schedule());
      this.watcher.on('error', (err) => this.log.warn({ err: String(err), dir: this.dir }, 'bundle watch failed; reloads stop'));
    } catch (err) {
      this.log.warn({ err: String(err), dir: this.dir }, 'cannot watch the bundle directory; it will not reload');
    }
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.reload();
    }, this.opts.debounceMs ?? 300);
  }

  private async reloadOnce(): Promise<SourceEvent> {
    const previous = this.current();
    let event: SourceEvent;
    try {
      const next = await this.load(previous.generation + 1);
      const known = new Set(previous.problems.map(key));
      const fresh = next.problems.filter((p) => !known.has(key(p)));
      if (fresh.length > 0) {
        event = this.refuse(previous, `the new bundle has ${fresh.length} new problem(s); still serving generation ${previous.generation}`, fresh);
      } else {
        this.state = next;
        this.error = null;
        event = { type: 'loaded', state: next };
        this.log.info({ dir: this.dir, generation: next.generation, problems: next.problems.length }, 'bundle reloaded');
      }
    } catch (err) {
      const problems = err instanceof BundleError ? err.problems : [];
      event = this.refuse(previous, `reload failed: ${err instanceof BundleError ? problems.map(key).join('; ') : (err as Error).message}`, problems);
    }
    for (const l of this.listeners) l(event);
    return event;
  }

  private refuse(state: SourceState, message: string, problems: Problem[]): SourceEvent {
    const error = { at: this.now().toISOString(), message, problems };
    this.error = error;
    this.log.warn({ dir: this.dir, message, problems: problems.slice(0, 20).map(key) }, 'bundle reload refused; keeping the last good state');
    return { type: 'rejected', state, error };
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  private async load(generation: number): Promise<SourceState> {
    const { bundle, problems } = await loadBundle(this.dir);
    const model = this.opts.resolve(bundle);
    return { bundle, model, problems, loadedAt: this.now().toISOString(), generation };
  }
}
