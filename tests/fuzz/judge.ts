// How each case is judged. A case passes when it returns a result or fails with a named problem (a Problem with
// file and JSON path, a BundleError listing them, a TraceInputError, a TRPCError with a 4xx code and a message).
// Anything else is a crash (an exception that names nothing, a RangeError or TypeError escaping, a Trace that
// does not match its schema), a leak (a message that carries the secret planted outside the bundle, or raw
// control characters from the input), or a hang (no answer within the case bound; decided by the runner).

export type Verdict = 'ok' | 'named' | 'crash' | 'leak' | 'hang';

export interface CaseResult {
  layer: string;
  index: number;
  seed: string;
  /** One line per mutation or input change: file, JSON path, kind; never the content. */
  what: string[];
  verdict: Verdict;
  detail: string;
  ms: number;
}

/** Written into the file that symlinks outside the bundle point to; no message may ever contain it. */
export const SECRET_MARKER = 'PBFUZZ-SECRET-c0ffee-9d41';

/**
 * Characters a message must not carry raw: C0 controls (except none: a problem is one line), DEL, C1 controls,
 * the BOM, bidi overrides and lone surrogates. A terminal or a log would act on them, or show nothing.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what this looks for
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\ufeff\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function unsafeCharacter(text: string): string | null {
  const m = UNSAFE.exec(text);
  return m ? `U+${m[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${m.index}` : null;
}

/** Short, escaped, one-line form of an error for the report: its name, the start of its message, where it was thrown. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return `non-Error thrown: ${typeof err}`;
  const frames = (err.stack ?? '')
    .split('\n')
    .filter((l) => /\/(packages|apps)\//.test(l))
    .slice(0, 3)
    .map((l) => l.trim().replace(/^at /, '').replace(/\(?file:\/\/\/?[^)]*\/(packages|apps)\//, '$1/').replace(/\)$/, ''));
  return `${err.name}: ${JSON.stringify(err.message.slice(0, 160))}${frames.length > 0 ? ` at ${frames.join(' <- ')}` : ''}`;
}

export interface Judged {
  verdict: Exclude<Verdict, 'hang'>;
  detail: string;
}

/** Problems must each name a file and a JSON path, and no message may leak the secret or raw control characters. */
export function judgeProblems(problems: readonly unknown[]): Judged | null {
  for (const p of problems) {
    const { file, path, message } = (p ?? {}) as { file?: unknown; path?: unknown; message?: unknown };
    if (typeof file !== 'string' || file === '' || typeof path !== 'string' || !path.startsWith('$') || typeof message !== 'string' || message === '')
      return { verdict: 'crash', detail: `a problem without file, JSON path or message: ${JSON.stringify(p).slice(0, 160)}` };
    const text = `${file} ${path} ${message}`;
    if (text.includes(SECRET_MARKER)) return { verdict: 'leak', detail: `${file}: ${path}: the message carries content of a file outside the bundle` };
    const bad = unsafeCharacter(text);
    if (bad) return { verdict: 'leak', detail: `${file}: ${path}: raw ${bad} in the problem` };
  }
  return null;
}

/** The worst of several judgements: crash > leak > named > ok. */
export function worst(a: Judged, b: Judged): Judged {
  const rank = { ok: 0, named: 1, leak: 2, crash: 3 } as const;
  return rank[b.verdict] > rank[a.verdict] ? b : a;
}

export interface Tally {
  layer: string;
  run: number;
  ok: number;
  named: number;
  crash: number;
  leak: number;
  hang: number;
  notRun: number;
  seconds: number;
}

export function newTally(layer: string): Tally {
  return { layer, run: 0, ok: 0, named: 0, crash: 0, leak: 0, hang: 0, notRun: 0, seconds: 0 };
}

export function count(t: Tally, r: CaseResult): void {
  t.run++;
  t[r.verdict]++;
}

export function tallyLine(t: Tally): string {
  return `${t.layer}: ${t.run} run, ${t.ok} ok, ${t.named} named, ${t.crash} crashes, ${t.leak} leaks, ${t.hang} hangs${t.notRun ? `, ${t.notRun} not run` : ''} (${t.seconds.toFixed(1)} s)`;
}

/** The failing cases, grouped by what happened, each group with the first few cases to replay. */
export function failureReport(results: readonly CaseResult[], seed: number): string {
  const groups = new Map<string, CaseResult[]>();
  for (const r of results) {
    // Numbers in messages vary per case; the group key keeps the words.
    const key = `${r.layer} ${r.verdict}: ${r.detail.replace(/\d+/g, 'N').slice(0, 220)}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: string[] = [];
  for (const [key, rs] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
    out.push(`${rs.length}x ${key}`);
    for (const r of rs.slice(0, 3)) out.push(`    replay: FUZZ_SEED=${seed} FUZZ_LAYER=${r.layer} FUZZ_CASE=${r.index}  (${r.seed}; ${r.what.join('; ').slice(0, 300)}) -> ${r.detail.slice(0, 200)}`);
  }
  return out.join('\n');
}
