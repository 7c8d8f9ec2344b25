import { formatProblem, type Problem } from '@patchbay/schema';
import { BundleError, loadBundle, type Bundle } from '@patchbay/bundle';
import type { ClusterModel } from '@patchbay/resolve';
import { BundleWatcher } from './internal/bundleWatcher.js';
import { keepLastGood } from './internal/keepLastGood.js';
import { silentLog, type Log, type Source, type SourceError, type SourceEvent, type SourceState, type StaleNode, type WatchError } from './source.js';

export interface BundleSourceOptions {
  /** resolveBundle from @patchbay/resolve; passed in so the server composes the stages (STYLE.md 12). */
  resolve: (bundle: Bundle) => ClusterModel;
  log?: Log;
  /** Quiet time after the last file event before reloading (a recording writes many files). Default 300. */
  debounceMs?: number;
  /** Period of the fingerprint check that catches what watch events miss, in ms; 0 turns it off. Default 2000. */
  pollMs?: number;
  /** Watch the directories with fs.watch (default true); false leaves the periodic check alone. */
  watchEvents?: boolean;
  /** Injected clock for tests. */
  now?: () => Date;
}

const key = (p: Problem) => formatProblem(p);

/**
 * Serves a bundle directory and reloads it when files change (watched by name, re-armed after renames, with a
 * periodic fingerprint as backstop: see internal/bundleWatcher.ts). A reload applies everything that is good; a
 * node whose snapshot file went bad keeps its last good snapshot, flagged in `staleNodes`. Only a failure of the
 * whole (the directory or cluster.json unusable, the resolver throwing) refuses a reload: the last good state
 * stays served and the refusal is reported to subscribers and by lastError().
 *
 * The constructor only stores; start() reads and watches (STYLE.md 4).
 */
export class BundleSource implements Source {
  readonly description: string;
  private state: SourceState | null = null;
  private error: SourceError | null = null;
  private watchProblem: WatchError | null = null;
  private readonly listeners = new Set<(e: SourceEvent) => void>();
  private watcher: BundleWatcher | null = null;
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
    if (shouldWatch) {
      this.watcher = new BundleWatcher(this.dir, {
        events: this.opts.watchEvents ?? true,
        pollMs: this.opts.pollMs ?? 2000,
        onChange: () => this.schedule(),
        onStatus: (problem) => this.setWatchProblem(problem),
        log: this.log,
      });
    }
    try {
      await this.watcher?.beforeLoad();
      const { bundle, problems } = await loadBundle(this.dir);
      const state = this.resolved(bundle, problems, [], 1);
      this.state = state;
      this.log.info({ dir: this.dir, generation: 1, problems: state.problems.length, nodes: state.model.nodes.size, pods: state.model.pods.size }, 'bundle loaded');
    } catch (err) {
      this.close();
      throw err;
    }
    this.watcher?.start();
    return this.state;
  }

  current(): SourceState {
    if (!this.state) throw new Error('BundleSource.current() before start()');
    return this.state;
  }

  lastError(): SourceError | null {
    return this.error;
  }

  watchError(): WatchError | null {
    return this.watchProblem;
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

  private schedule(): void {
    if (!this.watcher) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      // A change during the first load: wait for it to finish, then read again.
      if (!this.state) return this.schedule();
      void this.reload();
    }, this.opts.debounceMs ?? 300);
  }

  private setWatchProblem(problem: string | null): void {
    if (problem === null) {
      if (this.watchProblem) this.log.info({ dir: this.dir }, 'bundle watching works again');
      this.watchProblem = null;
    } else {
      this.watchProblem = { at: this.now().toISOString(), message: problem };
      this.log.warn({ dir: this.dir, problem }, 'bundle changes may be missed');
    }
    if (this.state) this.emit({ type: 'watch', state: this.state, watchError: this.watchProblem });
  }

  private async reloadOnce(): Promise<SourceEvent> {
    const previous = this.current();
    let event: SourceEvent;
    try {
      await this.watcher?.beforeLoad();
      const loaded = await loadBundle(this.dir);
      const { bundle, staleNodes } = keepLastGood(previous, loaded.bundle, loaded.problems, this.now().toISOString());
      const next = this.resolved(bundle, loaded.problems, staleNodes, previous.generation + 1);
      this.logStaleChanges(previous.staleNodes, staleNodes);
      this.state = next;
      this.error = null;
      event = { type: 'loaded', state: next };
      this.log.info({ dir: this.dir, generation: next.generation, problems: next.problems.length, staleNodes: staleNodes.length }, 'bundle reloaded');
    } catch (err) {
      const problems = err instanceof BundleError ? err.problems : [];
      event = this.refuse(previous, `reload failed: ${err instanceof BundleError ? problems.map(key).join('; ') : (err as Error).message}`, problems);
    }
    this.emit(event);
    return event;
  }

  private emit(event: SourceEvent): void {
    for (const l of this.listeners) l(event);
  }

  private logStaleChanges(before: StaleNode[], after: StaleNode[]): void {
    const was = new Set(before.map((s) => s.node));
    const is = new Set(after.map((s) => s.node));
    for (const s of after) {
      if (!was.has(s.node)) this.log.warn({ dir: this.dir, node: s.node, problems: s.problems.slice(0, 20).map(key) }, 'node snapshot went bad; serving its last good snapshot');
    }
    for (const node of was) if (!is.has(node)) this.log.info({ dir: this.dir, node }, 'node snapshot no longer stale');
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

  private resolved(bundle: Bundle, problems: Problem[], staleNodes: StaleNode[], generation: number): SourceState {
    const model = this.opts.resolve(bundle);
    return { bundle, model, problems, loadedAt: this.now().toISOString(), generation, staleNodes };
  }
}
