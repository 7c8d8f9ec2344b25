// The fuzz worker: a child process that runs bundle cases one at a time on request. It is a separate process
// so that a case that never returns (a read blocked on a FIFO, a trace looping synchronously, a parse eating
// memory) can be ended by killing it, and counted as a hang, without taking the test runner with it.
import { runFileCase, runMemoryCase, type BundleLayer } from './bundleCases.js';
import { describeError, type CaseResult } from './judge.js';

export interface WorkerRequest {
  id: number;
  layer: BundleLayer;
  seed: number;
  index: number;
  root: string;
  outsideFile: string;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'started'; id: number; seed: string; what: string[] }
  | { type: 'result'; id: number; result: CaseResult }
  | { type: 'fatal'; id: number | null; detail: string };

let current: WorkerRequest | null = null;
const send = (m: WorkerMessage) => process.send?.(m);

// An exception nobody awaited is a crash of the code under test (the case that was running), not of the harness.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (err: unknown) => {
    send({ type: 'fatal', id: current?.id ?? null, detail: `${event}: ${describeError(err)}` });
    process.exit(1);
  });
}

process.on('message', (req: WorkerRequest) => {
  current = req;
  void (async () => {
    let result: CaseResult;
    try {
      const onStart = (seed: string, what: string[]) => send({ type: 'started', id: req.id, seed, what });
      result = req.layer === 'file' ? await runFileCase(req.seed, req.index, req.root, req.outsideFile, onStart) : runMemoryCase(req.seed, req.index, onStart);
    } catch (err) {
      result = { layer: req.layer, index: req.index, seed: '?', what: [], verdict: 'crash', detail: `case threw outside the judged code: ${describeError(err)}`, ms: 0 };
    }
    current = null;
    send({ type: 'result', id: req.id, result });
  })();
});

send({ type: 'ready' });
