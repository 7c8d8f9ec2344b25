// Time limits for the agent's file reads. Commands are killed by execFile's timeout; a file read cannot be
// cancelled (a hung /proc entry or network mount), so the agent stops waiting for it instead: the read
// rejects, the collector records an error and the snapshot goes on.

import type { SystemFs } from './system.js';

export class DeadlineError extends Error {
  readonly code = 'ETIMEDOUT';
}

/** `p`, or a DeadlineError naming `what` once `ms` have passed. The timer never keeps the process alive. */
export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`${what}: timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, expired]).finally(() => clearTimeout(timer));
}

/** The same file system, every call bounded by `ms`. */
export function boundedFs(fs: SystemFs, ms: number): SystemFs {
  return {
    readFile: (p) => withDeadline(fs.readFile(p), ms, `read ${p}`),
    readdir: (p) => withDeadline(fs.readdir(p), ms, `list ${p}`),
    inode: (p) => withDeadline(fs.inode(p), ms, `stat ${p}`),
    stat: (p) => withDeadline(fs.stat(p), ms, `stat ${p}`),
  };
}

/**
 * Runs a whole collector under a limit: its result, or `fallback(message)` when it fails or runs out of time,
 * so one collector never takes the snapshot down.
 */
export async function guarded<T>(what: string, ms: number, fn: () => Promise<T>, fallback: (message: string) => T): Promise<T> {
  try {
    return await withDeadline(fn(), ms, what);
  } catch (err) {
    return fallback((err as Error).message);
  }
}
