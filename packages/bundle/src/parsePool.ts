import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Problem } from '@patchbay/schema';
import { Assembler } from './chunkedTransfer.js';
import type { FileJob, FileOutcome } from './checkFile.js';
import type { FromWorker, ToWorker } from './parseWorker.js';

// A few worker threads that read and parse bundle files, so that the thread that asked (the server's) keeps
// answering while a bundle loads: only rebuilding the value from slices runs there, one slice per turn of its
// event loop. Started per load and ended after it, so an idle server holds no threads or parse heaps.

/** Weight of one slice (about this many JSON values): a few milliseconds of JSON.parse on the receiving side. */
const SLICE_BUDGET = 20_000;

export interface ParsePoolOptions {
  size: number;
  /** Heap limit of each worker (MB): a file that needs more is reported, not allowed to grow the process. */
  maxHeapMb: number;
}

/** What a worker's value is turned into on arrival (the loader interns each slice's strings). */
export type OnPart = (part: unknown) => void;

interface Task {
  job: FileJob;
  onPart: OnPart;
  resolve: (outcome: FileOutcome) => void;
}

/**
 * True when this module runs from its TypeScript source (vitest, tsx) rather than from dist: a worker then has
 * to load TypeScript through tsx, which costs a second or more per worker on a busy machine.
 */
export const runningFromSource = import.meta.url.endsWith('.ts');

/** Starts a worker on this module's sibling parseWorker, compiled (dist) or from source (tests, tsx). */
function startWorker(opts: ParsePoolOptions): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: opts.maxHeapMb };
  const here = import.meta.url;
  if (!runningFromSource) return new Worker(new URL('./parseWorker.js', here), { resourceLimits });
  // From source, the worker is TypeScript importing workspace packages: load it through tsx, with those
  // packages mapped to their src as vitest.config.ts and tests/tsconfig.json do (their dist may be stale).
  const tsx = import.meta.resolve('tsx/esm/api');
  const tsconfig = fileURLToPath(new URL('../tsconfig.source-worker.json', here));
  const worker = new URL('./parseWorker.ts', here).href;
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register({ tsconfig: ${JSON.stringify(tsconfig)} }); return import(${JSON.stringify(worker)}); });`;
  return new Worker(code, { eval: true, resourceLimits });
}

class PoolWorker {
  private readonly worker: Worker;
  private task: Task | null = null;
  private assembler: Assembler | null = null;
  dead = false;
  /** Files finished: a worker that dies before its first (not of memory) cannot start at all. */
  finished = 0;

  constructor(
    opts: ParsePoolOptions,
    private readonly next: () => Task | null,
  ) {
    this.worker = startWorker(opts);
    this.worker.on('message', (msg: FromWorker) => this.onMessage(msg));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`parse worker exited (${code})`)));
  }

  /** Takes the next task, if any. */
  pull(): void {
    if (this.task || this.dead) return;
    const task = this.next();
    if (!task) return;
    this.task = task;
    this.assembler = new Assembler();
    this.worker.postMessage({ type: 'job', job: task.job, budget: SLICE_BUDGET } satisfies ToWorker);
  }

  private onMessage(msg: FromWorker): void {
    const task = this.task;
    if (!task) return;
    if (msg.type === 'chunk') {
      // One slice per turn of the event loop: messages that arrive together would otherwise be handled in
      // one go, and the point is that timers and sockets get their turn between slices.
      setImmediate(() => {
        if (this.task !== task) return;
        try {
          task.onPart(this.assembler!.accept(msg.chunk));
        } catch (err) {
          return this.finish({ problems: [{ file: task.job.rel, path: '$', message: `could not be rebuilt from its parse worker: ${(err as Error).name}` }] });
        }
        this.worker.postMessage({ type: 'ack' } satisfies ToWorker);
      });
      return;
    }
    // 'done' comes after the last chunk's ack, so every slice is in.
    const value = msg.hasValue ? (this.assembler!.value as FileOutcome['value']) : undefined;
    this.finish(value === undefined ? { problems: msg.problems } : { problems: msg.problems, value });
  }

  private finish(outcome: FileOutcome): void {
    const task = this.task!;
    this.task = null;
    this.assembler = null;
    this.finished++;
    task.resolve(outcome);
    this.pull();
  }

  private fail(err: Error): void {
    if (this.dead) return;
    this.dead = true;
    const task = this.task;
    this.task = null;
    if (task) {
      const oom = (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
      const problem: Problem = {
        file: task.job.rel,
        path: '$',
        message: oom ? 'needs more memory to parse than a parse worker may use (maxWorkerHeapMb)' : `could not be parsed: the parse worker failed (${err.name})`,
      };
      task.resolve({ problems: [problem] });
    }
    this.onDead((err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY' || this.finished > 0, err);
  }

  /** Told when the worker is gone; `replace` is false when a new one would fail the same way. */
  onDead: (replace: boolean, err: Error) => void = () => {};

  terminate(): Promise<number> {
    this.dead = true;
    return this.worker.terminate();
  }
}

/** Runs file jobs on `size` workers; a worker that dies (out of memory) is replaced for the jobs after. */
export class ParsePool {
  private readonly queue: Task[] = [];
  private readonly workers: PoolWorker[] = [];
  private closed = false;

  constructor(private readonly opts: ParsePoolOptions) {}

  run(job: FileJob, onPart: OnPart): Promise<FileOutcome> {
    if (this.closed) throw new Error('ParsePool.run after close');
    return new Promise((resolve) => {
      this.queue.push({ job, onPart, resolve });
      this.fill();
      for (const w of this.workers) w.pull();
    });
  }

  private fill(): void {
    while (!this.closed && this.workers.length < Math.min(this.opts.size, this.queue.length + this.workers.length)) {
      const w = new PoolWorker(this.opts, () => this.queue.shift() ?? null);
      w.onDead = (replace, err) => {
        this.workers.splice(this.workers.indexOf(w), 1);
        if (!replace && this.workers.length === 0) {
          // Workers cannot start here (not a failure of any one file): say so for every file still waiting.
          for (const t of this.queue.splice(0)) t.resolve({ problems: [{ file: t.job.rel, path: '$', message: `could not be parsed: no parse worker could start (${err.name})` }] });
          return;
        }
        if (this.queue.length > 0) {
          this.fill();
          for (const x of this.workers) x.pull();
        }
      };
      this.workers.push(w);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.splice(0).map((w) => w.terminate()));
  }
}
