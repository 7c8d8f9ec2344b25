import type { z } from 'zod';

/** One thing wrong with an input, located by file and JSON path, so a person can find and fix it. */
export interface Problem {
  file: string;
  /** JSON path inside the file, e.g. `$.items[3].spec.ports[0].port`; `$` for the whole file. */
  path: string;
  message: string;
}

export function jsonPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '$';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

export function zodProblems(file: string, error: z.ZodError, prefix: ReadonlyArray<PropertyKey> = []): Problem[] {
  return error.issues.map((issue) => ({
    file,
    path: jsonPath([...prefix, ...issue.path]),
    message: issue.message,
  }));
}

export function formatProblem(p: Problem): string {
  return `${p.file}: ${p.path}: ${p.message}`;
}
