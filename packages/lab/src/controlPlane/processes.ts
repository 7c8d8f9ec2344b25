import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { addProcess, type LabProcess } from '../state.js';

// Long-running lab processes (etcd, kube-apiserver, the controller manager, later kube-proxy) are lab state:
// each is recorded with its pid and start time the moment it exists, and stopped only when both still match.

/** /proc/PID/stat: the state letter (field 3) and the start time in clock ticks since boot (field 22). */
export function procStat(pid: number): { state: string; startTime: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Field 2 (comm) is in parentheses and may hold spaces or ')': split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const startTime = Number(rest[19]);
  if (!rest[0] || !Number.isInteger(startTime)) return null;
  return { state: rest[0], startTime };
}

/** True while the recorded process runs: same pid, same start time, and not a zombie waiting to be reaped. */
export function isRunning(p: Pick<LabProcess, 'pid' | 'startTime'>): boolean {
  const st = procStat(p.pid);
  return st !== null && st.startTime === p.startTime && st.state !== 'Z' && st.state !== 'X';
}

function signal(p: LabProcess, sig: NodeJS.Signals): void {
  if (!isRunning(p)) return;
  try {
    process.kill(p.pid, sig);
  } catch {
    // exited between the check and the signal
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stops processes in reverse start order (dependents first: the API server's graceful shutdown takes ~1 s with
 * etcd up, but waits out any grace when etcd went first), each with SIGTERM, then SIGKILL if it still runs
 * after the grace period. Returns the processes that could not be stopped (none unless a SIGKILL is ignored
 * for 5 s, e.g. a process stuck in the kernel).
 */
export async function stopProcesses(procs: readonly LabProcess[], graceMs = 5_000): Promise<LabProcess[]> {
  for (const p of [...procs].reverse()) {
    signal(p, 'SIGTERM');
    const until = Date.now() + graceMs;
    while (isRunning(p) && Date.now() < until) await sleep(20);
    signal(p, 'SIGKILL');
  }
  const killUntil = Date.now() + 5_000;
  while (procs.some(isRunning) && Date.now() < killUntil) await sleep(20);
  return procs.filter(isRunning);
}

/** The same for an 'exit' handler, where nothing asynchronous runs: a short grace each, then SIGKILL. */
export function stopProcessesSync(procs: readonly LabProcess[], graceMs = 1_000): void {
  const nap = new Int32Array(new SharedArrayBuffer(4));
  for (const p of [...procs].reverse()) {
    signal(p, 'SIGTERM');
    const until = Date.now() + graceMs;
    while (isRunning(p) && Date.now() < until) Atomics.wait(nap, 0, 0, 20);
    signal(p, 'SIGKILL');
  }
}

export interface StartOptions {
  prefix: string;
  netns: string;
  name: string;
  exe: string;
  args: string[];
  log: string;
  onProcess?: (p: LabProcess) => void;
}

/**
 * Starts `ip netns exec NETNS EXE ARGS...` (an argument array, no shell) with stdout and stderr appended to a
 * log file, in its own process group (a terminal's Ctrl-C reaches the lab's owner, whose teardown stops it in
 * order), and records it in the lab state before returning. `ip netns exec` execs the binary in place, so the
 * recorded pid is the component's own.
 */
export async function startProcess(o: StartOptions): Promise<LabProcess> {
  const fd = openSync(o.log, 'a', 0o600);
  let child;
  try {
    child = spawn('ip', ['netns', 'exec', o.netns, o.exe, ...o.args], { stdio: ['ignore', fd, fd], detached: true });
  } finally {
    closeSync(fd);
  }
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start ${o.name} (${o.exe}): ${(await spawnError).message}`);
  const st = procStat(pid);
  // A process that already exited and was reaped has no stat: record nothing, report why through the log.
  if (!st) throw new Error(`${o.name} exited at once; see ${o.log}`);
  const rec: LabProcess = { name: o.name, pid, startTime: st.startTime, netns: o.netns, exe: o.exe, log: o.log };
  addProcess(o.prefix, rec);
  o.onProcess?.(rec);
  // Lab processes outlive nothing on their own account: the lab owns them through the state file, not the handle.
  child.unref();
  return rec;
}
