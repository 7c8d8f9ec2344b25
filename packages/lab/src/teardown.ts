import { spawnSync } from 'node:child_process';
import { stopProcesses, stopProcessesSync } from './controlPlane/processes.js';
import { run } from './exec.js';
import { forgetProcesses, recordedProcesses } from './state.js';

// Teardown must work for a lab this process built, for one a crashed process left (`down`), and synchronously
// from an 'exit' handler. So it works from the lab's records and names alone: first the processes the lab
// recorded in its state file (by pid and start time, never by name), then every netns under the prefix and
// every pid still inside them.

export async function listNetns(): Promise<string[]> {
  const r = await run('ip', ['netns', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
}

export function listNetnsSync(): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return String(r.stdout ?? '')
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
}

export function belongsTo(netns: string, prefix: string): boolean {
  return netns === prefix || netns.startsWith(`${prefix}-`);
}

function killPids(text: string, signal: NodeJS.Signals): void {
  for (const pid of text.split('\n').map((l) => Number(l.trim())).filter((n) => Number.isInteger(n) && n > 1 && n !== process.pid)) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Stops the lab's recorded processes (SIGTERM, SIGKILL after a grace: etcd and the API server shut down
 * cleanly), then kills every process left inside the lab's namespaces and deletes the namespaces. Idempotent.
 * Returns what it could not remove.
 */
export async function destroyPrefix(prefix: string): Promise<string[]> {
  const procs = recordedProcesses(prefix);
  const stuck = await stopProcesses(procs);
  forgetProcesses(
    prefix,
    procs.filter((p) => !stuck.includes(p)),
  );
  const mine = (await listNetns()).filter((n) => belongsTo(n, prefix));
  await Promise.all(mine.map(async (ns) => killPids((await run('ip', ['netns', 'pids', ns])).stdout, 'SIGKILL')));
  const failed: string[] = stuck.map((p) => `process ${p.name} (pid ${p.pid}) still runs after SIGKILL`);
  // Pods first, then nodes, then the switch: deleting a node drops its veths, and their pod ends with them.
  const order = [...mine.filter((n) => n.includes('-p-')), ...mine.filter((n) => !n.includes('-p-') && !n.endsWith('-sw')), ...mine.filter((n) => n.endsWith('-sw'))];
  for (const ns of order) {
    const r = await run('ip', ['netns', 'del', ns]);
    if (r.code !== 0 && !/No such file/.test(r.stderr)) failed.push(`${ns}: ${r.stderr.trim()}`);
  }
  return failed;
}

export function destroyPrefixSync(prefix: string): void {
  stopProcessesSync(recordedProcesses(prefix));
  for (const ns of listNetnsSync().filter((n) => belongsTo(n, prefix))) {
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
    killPids(String(pids.stdout ?? ''), 'SIGKILL');
    spawnSync('ip', ['netns', 'del', ns]);
  }
}
