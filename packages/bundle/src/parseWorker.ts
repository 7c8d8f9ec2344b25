import { parentPort } from 'node:worker_threads';
import type { Problem } from '@patchbay/schema';
import { chunksOf, type Chunk } from './chunkedTransfer.js';
import { runFileJob, type FileJob } from './checkFile.js';

// A parse worker: reads and checks one file at a time (read, decode, JSON.parse, depth check, zod), then
// sends the value back in chunks, at most WINDOW ahead of what the loader has taken, so that neither thread
// holds the whole file twice in messages.

export type ToWorker = { type: 'job'; job: FileJob; budget: number } | { type: 'ack' };
export type FromWorker = { type: 'chunk'; chunk: Chunk } | { type: 'done'; problems: Problem[]; hasValue: boolean };

const WINDOW = 2;
const port = parentPort!;
let pending: Generator<Chunk> | null = null;
let inFlight = 0;
let finish: FromWorker | null = null;

function pump(): void {
  while (pending && inFlight < WINDOW) {
    const next = pending.next();
    if (next.done) {
      pending = null;
      break;
    }
    inFlight++;
    port.postMessage({ type: 'chunk', chunk: next.value } satisfies FromWorker);
  }
  if (!pending && inFlight === 0 && finish) {
    const done = finish;
    finish = null;
    port.postMessage(done);
  }
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'ack') {
    inFlight--;
    pump();
    return;
  }
  const outcome = runFileJob(msg.job);
  finish = { type: 'done', problems: outcome.problems, hasValue: outcome.value !== undefined };
  pending = outcome.value !== undefined ? chunksOf(outcome.value, msg.budget) : null;
  inFlight = 0;
  pump();
});
