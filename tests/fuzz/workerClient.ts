// The test's side of the fuzz worker: starts it (tsx, with the workspace packages resolved to their src as in
// vitest.config.ts), sends one case at a time, and kills and restarts it when a case passes its bound.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { CaseResult } from './judge.js';
import { REPO } from './seeds.js';
import type { WorkerMessage, WorkerRequest } from './worker.js';

const WORKER = path.join(REPO, 'tests/fuzz/worker.ts');
/** Its own heap limit, so a case that eats memory ends the worker (a crash) long before it hurts the machine. */
const HEAP_MB = 1536;

export class FuzzWorker {
  private child: ChildProcess | null = null;
  private stderr = '';
  private nextId = 1;
  restarts = 0;

  private async start(): Promise<ChildProcess> {
    this.stderr = '';
    const child = fork(WORKER, [], {
      cwd: REPO,
      execArgv: ['--import', 'tsx', `--max-old-space-size=${HEAP_MB}`],
      env: { ...process.env, TSX_TSCONFIG_PATH: path.join(REPO, 'tests/fuzz/tsconfig.json') },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString('utf8')).slice(-2000);
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fuzz worker did not start within 60 s: ${this.stderr}`)), 60_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`fuzz worker exited (${code}) before it was ready: ${this.stderr}`));
      });
      child.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          child.removeAllListeners('exit');
          resolve();
        }
      });
    });
    this.child = child;
    return child;
  }

  /** Runs one case; a case with no answer within boundMs is a hang, and the worker is replaced. */
  async run(req: Omit<WorkerRequest, 'id'>, boundMs: number): Promise<CaseResult> {
    const child = this.child ?? (await this.start());
    const id = this.nextId++;
    const base = { layer: req.layer, index: req.index, seed: '?', what: [] as string[] };
    return new Promise<CaseResult>((resolve) => {
      const done = (r: CaseResult) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(r);
      };
      const onMessage = (m: WorkerMessage) => {
        if (m.type === 'started' && m.id === id) {
          Object.assign(base, { seed: m.seed, what: m.what });
          // The mutation is built (the harness's own time, bounded by the first timer): the code under test
          // now gets the whole bound.
          clearTimeout(timer);
          timer = setTimeout(onTimeout, boundMs);
        }
        else if (m.type === 'result' && m.id === id) done(m.result);
        else if (m.type === 'fatal') done({ ...base, verdict: 'crash', detail: m.detail, ms: 0 });
      };
      const onExit = (code: number | null, signal: string | null) => {
        this.child = null;
        this.restarts++;
        const oom = /heap out of memory|Allocation failed/i.test(this.stderr);
        done({ ...base, verdict: 'crash', detail: oom ? `the worker ran out of memory (heap limit ${HEAP_MB} MB)` : `the worker died (exit ${code}, signal ${signal})`, ms: 0 });
      };
      const onTimeout = () => {
        child.off('exit', onExit);
        child.kill('SIGKILL');
        this.child = null;
        this.restarts++;
        done({ ...base, verdict: 'hang', detail: `no answer within ${boundMs / 1000} s`, ms: boundMs });
      };
      let timer = setTimeout(onTimeout, boundMs);
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send({ ...req, id });
    });
  }

  close(): void {
    this.child?.kill('SIGKILL');
    this.child = null;
  }
}
