import { execFile } from 'node:child_process';

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs a command with an argument array (never a shell string); never throws for a non-zero exit. */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve({ stdout, stderr, code: 0 });
      // err.code is the exit status, or a string (ENOENT) when the command could not start at all.
      const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
      const code = typeof e.code === 'number' ? e.code : 127;
      const note = e.killed ? ` (killed after ${opts.timeoutMs ?? 30_000} ms)` : code === 127 && !stderr ? e.message : '';
      resolve({ stdout, stderr: stderr + note, code });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Like run, but throws an Error naming the command and its stderr when it fails. */
export async function must(cmd: string, args: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** Runs a command inside a named network namespace. */
export function runIn(netns: string, cmd: string, args: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<ExecResult> {
  return run('ip', ['netns', 'exec', netns, cmd, ...args], opts);
}

export function mustIn(netns: string, cmd: string, args: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<string> {
  return must('ip', ['netns', 'exec', netns, cmd, ...args], opts);
}

/** `ip -n NETNS ...`: iproute2 commands inside a namespace without an extra exec. */
export function ipIn(netns: string, ...args: string[]): Promise<string> {
  return must('ip', ['-n', netns, ...args]);
}

/** Runs `ip -batch -` in one process: bring-up issues hundreds of ip commands, one fork each would be slow. */
export async function ipBatch(netns: string | null, lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  const args = netns ? ['-n', netns, '-batch', '-'] : ['-batch', '-'];
  await must('ip', args, { input: `${lines.join('\n')}\n` });
}
