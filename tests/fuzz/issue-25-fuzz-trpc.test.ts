// Issue 25, "Done when": mutated tRPC inputs against the real appRouter over the demo bundle (createCaller),
// and over real HTTP against the real one-port server. Every answer must be a result or a 4xx refusal with a
// message, within the case bound; the server must still answer /healthz afterwards.
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleSource, createCaller } from '@patchbay/api';
import { resolveBundle } from '@patchbay/resolve';
import { traceFlow } from '@patchbay/trace';
import { defaultWebDir, startServer, webIsBuilt, type RunningServer } from '../../apps/server/src/http/server.js';
import { CASE_BOUND_MS, HTTP_CASES, MAX_HANGS, SEED, TRPC_CASES, budgetMs, caseIndexes } from './config.js';
import { count, describeError, failureReport, newTally, tallyLine, type CaseResult, type Judged, type Tally } from './judge.js';
import { Rng } from './prng.js';
import { DEMO_DIR } from './seeds.js';
import { httpCase, send } from './httpCases.js';
import { trpcCase } from './trpcInputs.js';
import { judgeCallerError, judgeHttpAnswer } from './trpcJudge.js';

const source = new BundleSource(path.resolve(DEMO_DIR), { resolve: resolveBundle });
const caller = createCaller({ source, traceFlow: (s, q) => traceFlow(s.model, q) });
let server: RunningServer | null = null;
const tallies: Tally[] = [];

beforeAll(async () => {
  await source.start({ watch: false });
});
afterAll(async () => {
  await server?.close();
  source.close();
  console.log(`fuzz tRPC (seed ${SEED}): ${tallies.map(tallyLine).join('; ')}`);
});

/** Races a call against the bound; a synchronous stall cannot be cut short, so its duration is checked too. */
async function bounded(run: () => Promise<Judged>): Promise<Judged & { ms: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<Judged>((resolve) => (timer = setTimeout(() => resolve({ verdict: 'crash', detail: 'hang' }), CASE_BOUND_MS)));
  const judged = await Promise.race([run(), hang]);
  clearTimeout(timer);
  const ms = Math.round(performance.now() - started);
  if (judged.detail === 'hang' || ms > CASE_BOUND_MS) return { verdict: 'crash', detail: `no answer within ${CASE_BOUND_MS / 1000} s (${ms} ms)`, ms };
  return { ...judged, ms };
}

async function runLayer(layer: 'caller' | 'http', cases: number, one: (rng: Rng) => Promise<{ judged: Judged; what: string }>) {
  const tally = newTally(layer);
  tallies.push(tally);
  const failures: CaseResult[] = [];
  const indexes = caseIndexes(layer, cases);
  const started = performance.now();
  const deadline = started + budgetMs(layer, indexes.length);
  for (const index of indexes) {
    if (performance.now() > deadline || tally.hang >= MAX_HANGS) {
      tally.notRun = indexes.length - tally.run;
      break;
    }
    let what = '';
    const judged = await bounded(async () => {
      const r = await one(Rng.forCase(SEED, layer, index));
      what = r.what;
      return r.judged;
    });
    const hang = judged.detail.startsWith('no answer within');
    const r: CaseResult = { layer, index, seed: 'demo', what: [what], verdict: hang ? 'hang' : judged.verdict, detail: judged.detail, ms: judged.ms };
    count(tally, r);
    if (r.verdict === 'crash' || r.verdict === 'leak' || r.verdict === 'hang') failures.push(r);
  }
  tally.seconds = (performance.now() - started) / 1000;
  console.log(tallyLine(tally));
  if (failures.length > 0) console.log(failureReport(failures, SEED));
  return { tally, failures };
}

describe('issue 25: fuzz over tRPC inputs', () => {
  it('the appRouter (createCaller over the demo bundle) answers every mutated input or refuses it with a 4xx', async () => {
    const model = source.current().model;
    const { tally, failures } = await runLayer('caller', TRPC_CASES, async (rng) => {
      const c = trpcCase(rng, model);
      try {
        await (caller[c.proc] as (input: unknown) => Promise<unknown>)(c.input);
        return { judged: { verdict: 'ok', detail: '' }, what: c.what };
      } catch (err) {
        return { judged: judgeCallerError(err), what: c.what };
      }
    });
    expect(failureReport(failures, SEED)).toBe('');
    expect(tally.notRun).toBe(0);
  });

  it('the one-port server answers every mutated request over real HTTP with a result or a 4xx, and stays healthy', async () => {
    const webDir = defaultWebDir();
    server = await startServer({ source, traceFlow: (s, q) => traceFlow(s.model, q), port: 0, host: '127.0.0.1', log: pino({ level: 'silent' }), webDir: webIsBuilt(webDir) ? webDir : null });
    const base = new URL(server.url);
    const model = source.current().model;
    const { tally, failures } = await runLayer('http', HTTP_CASES, async (rng) => {
      const c = httpCase(rng, model);
      try {
        const { status, body } = await send(base, c, CASE_BOUND_MS);
        return { judged: judgeHttpAnswer(status, body, c.isApi), what: c.what };
      } catch (err) {
        const hang = err instanceof Error && err.message.startsWith('no answer within');
        return { judged: { verdict: 'crash', detail: hang ? 'hang' : `the request failed: ${describeError(err)}` }, what: c.what };
      }
    });
    const health = await send(base, { method: 'GET', target: '/healthz', headers: {}, body: null, isApi: false, what: '' }, CASE_BOUND_MS);
    expect(health).toEqual({ status: 200, body: 'ok\n' });
    expect(failureReport(failures, SEED)).toBe('');
    expect(tally.notRun).toBe(0);
  });
});
