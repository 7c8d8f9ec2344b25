import { execFile } from 'node:child_process';

// Every command the agent runs goes through one Run function: execFile with an argument array, a timeout and a
// buffer large enough for a 16+ MB iptables-save. Collectors receive it, so tests drive them over recorded output.

export interface RunOptions {
  /** Written to the command's stdin (for `ip -b -`). */
  input?: string;
  timeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

export type Run = (cmd: string, args: readonly string[], opts?: RunOptions) => Promise<RunResult>;

export type RunFailure = 'missing' | 'timeout' | 'exit' | 'other';

/** A command that could not run or failed; stdout is kept because `ip -force -b` prints what it could. */
export class RunError extends Error {
  constructor(
    message: string,
    readonly failure: RunFailure,
    readonly stdout = '',
    readonly stderr = '',
    readonly exitCode: number | null = null,
  ) {
    super(message);
    this.name = 'RunError';
  }
}

export interface ExecRunOptions {
  timeoutMs: number;
  maxBuffer?: number;
}

export function execRun({ timeoutMs, maxBuffer = 512 * 1024 * 1024 }: ExecRunOptions): Run {
  return (cmd, args, opts = {}) =>
    new Promise<RunResult>((resolve, reject) => {
      const timeout = opts.timeoutMs ?? timeoutMs;
      const child = execFile(
        cmd,
        [...args],
        // LC_ALL=C: tools print the same words whatever the node's locale.
        { timeout, maxBuffer, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, killSignal: 'SIGKILL' },
        (err, stdout, stderr) => {
          if (!err) return resolve({ stdout, stderr });
          const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: string | number; signal?: string };
          const shown = `${cmd} ${args.join(' ')}`;
          if (e.code === 'ENOENT') return reject(new RunError(`${cmd}: command not found`, 'missing'));
          if (e.killed && e.signal) {
            return reject(new RunError(`${shown}: timed out after ${timeout} ms`, 'timeout', stdout, stderr));
          }
          if (typeof e.code === 'number') {
            const why = stderr.trim().split('\n').slice(0, 3).join('; ') || `exit status ${e.code}`;
            return reject(new RunError(`${shown}: ${why}`, 'exit', stdout, stderr, e.code));
          }
          reject(new RunError(`${shown}: ${e.message}`, 'other', stdout, stderr));
        },
      );
      if (opts.input !== undefined) {
        child.stdin?.on('error', () => undefined); // the tool may exit before reading all input
        child.stdin?.end(opts.input);
      }
    });
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
