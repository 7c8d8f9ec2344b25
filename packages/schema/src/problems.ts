import type { z } from 'zod';

/** One thing wrong with an input, located by file and JSON path, so a person can find and fix it. */
export interface Problem {
  file: string;
  /** JSON path inside the file, e.g. `$.items[3].spec.ports[0].port`; `$` for the whole file. */
  path: string;
  message: string;
  /**
   * Absent means 'error': the thing named was left out (or the file is unusable). A 'warning' is reported but
   * leaves the data usable as loaded (a duplicate object, two pods with one IP): a strict reader must not
   * refuse a bundle, nor a server a reload, for warnings alone.
   */
  severity?: 'error' | 'warning';
}

/** True unless the problem is only a warning (see Problem.severity). */
export function isError(p: Problem): boolean {
  return p.severity !== 'warning';
}

/** Longest piece of input text a message or path repeats; the rest is counted, not shown. */
const MAX_QUOTED = 64;

/**
 * A string from the input, quoted for a message: JSON-style quotes and escapes, every character outside
 * printable ASCII escaped (so no terminal control sequence, bidi override or invisible character reaches a
 * terminal or log), and cut to 64 characters so a megabyte-long key cannot flood one.
 */
export function quoteInput(s: string): string {
  const shown = s.length > MAX_QUOTED ? s.slice(0, MAX_QUOTED) : s;
  const escaped = shown.replace(/["\\]|[^\x20-\x7e]/g, (c) =>
    c === '"' || c === '\\' ? `\\${c}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return s.length > MAX_QUOTED ? `"${escaped}"… (${s.length} characters)` : `"${escaped}"`;
}

export function jsonPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '$';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && key.length <= MAX_QUOTED && /^[A-Za-z_$][\w$]*$/.test(key)) out += `.${key}`;
    else out += `[${quoteInput(String(key))}]`;
  }
  return out;
}

export function zodProblems(file: string, error: z.ZodError, prefix: ReadonlyArray<PropertyKey> = []): Problem[] {
  return error.issues.map((issue) => ({
    file,
    path: jsonPath([...prefix, ...issue.path]),
    // zod's own wording names the offending keys raw; every other message it writes repeats only the schema.
    message: issue.code === 'unrecognized_keys' ? `unknown key(s): ${issue.keys.slice(0, 5).map(quoteInput).join(', ')}${issue.keys.length > 5 ? ` and ${issue.keys.length - 5} more` : ''}` : issue.message,
  }));
}

export function formatProblem(p: Problem): string {
  return `${p.file}: ${p.path}: ${p.message}`;
}
