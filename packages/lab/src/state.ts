import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { FAULT_NAMES } from './faultNames.js';
import { PREFIX_RE } from './names.js';
import { Scenario } from './scenario.js';

// One small file per running lab, so `npm run lab -- down|probe` in another process can find a lab by prefix,
// and `down --all` can tell a crashed run's namespaces from a live process's lab.

export const STATE_DIR = process.env.PATCHBAY_LAB_STATE_DIR ?? '/run/patchbay-lab';

/** Where a lab keeps data that must live on tmpfs (etcd's data dir): /run is not tmpfs on every machine. */
export const SHM_DIR = process.env.PATCHBAY_LAB_SHM_DIR ?? '/dev/shm/patchbay-lab';

/**
 * A process the lab started (etcd, kube-apiserver, ...). The start time (/proc/PID/stat field 22, clock ticks
 * since boot) is recorded with the pid so teardown never signals a process that merely reused the pid.
 */
export const LabProcess = z.strictObject({
  name: z.string().regex(/^[a-z0-9][-a-z0-9.]*$/),
  pid: z.number().int().min(2),
  startTime: z.number().int().nonnegative(),
  netns: z.string(),
  exe: z.string(),
  log: z.string(),
});
export type LabProcess = z.infer<typeof LabProcess>;

export const LabState = z.strictObject({
  prefix: z.string().regex(PREFIX_RE),
  scenario: Scenario,
  faults: z.array(z.enum(FAULT_NAMES)),
  /** The process that owns the lab; a detached lab (`up`) is owned by nobody once `up` exits. */
  pid: z.number().int(),
  detached: z.boolean(),
  createdAt: z.string(),
  /** Absent in state files written before the lab ran processes of its own: read as none. */
  processes: z.array(LabProcess).default([]),
});
export type LabState = z.infer<typeof LabState>;
export type LabStateInput = z.input<typeof LabState>;

function file(prefix: string): string {
  return path.join(STATE_DIR, `${prefix}.json`);
}

export function writeState(state: LabStateInput): void {
  mkdirSync(STATE_DIR, { recursive: true });
  // Write then rename: a crash mid-write must not lose the record of processes already running.
  const tmp = `${file(state.prefix)}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 1)}\n`);
  renameSync(tmp, file(state.prefix));
}

/** The lab's own directory for files (CNI files, the control plane's certificates, kubeconfigs and logs). */
export function labDir(prefix: string): string {
  if (!PREFIX_RE.test(prefix)) throw new Error(`"${prefix}" is not a lab prefix (pb + 4-6 hex digits)`);
  return path.join(STATE_DIR, prefix);
}

/** The lab's directory on tmpfs (etcd's data). */
export function labShmDir(prefix: string): string {
  if (!PREFIX_RE.test(prefix)) throw new Error(`"${prefix}" is not a lab prefix (pb + 4-6 hex digits)`);
  return path.join(SHM_DIR, prefix);
}

/** Records a process the moment it is started, so teardown finds it even if this process dies right after. */
export function addProcess(prefix: string, proc: LabProcess): void {
  const st = readState(prefix);
  writeState({ ...st, processes: [...st.processes, LabProcess.parse(proc)] });
}

/** Forgets processes that were stopped (by pid and start time). A missing state file means nothing to forget. */
export function forgetProcesses(prefix: string, gone: readonly LabProcess[]): void {
  let st: LabState;
  try {
    st = readState(prefix);
  } catch {
    return;
  }
  const key = (p: LabProcess) => `${p.pid}/${p.startTime}`;
  const drop = new Set(gone.map(key));
  writeState({ ...st, processes: st.processes.filter((p) => !drop.has(key(p))) });
}

/** The processes a lab recorded; none when it has no readable state file (teardown must still go on). */
export function recordedProcesses(prefix: string): LabProcess[] {
  try {
    return readState(prefix).processes;
  } catch {
    return [];
  }
}

/** Removes the state file and the lab's directories (per-node CNI files, control plane files, etcd's data). */
export function removeState(prefix: string): void {
  rmSync(file(prefix), { force: true });
  if (PREFIX_RE.test(prefix)) {
    rmSync(labDir(prefix), { recursive: true, force: true });
    rmSync(labShmDir(prefix), { recursive: true, force: true });
  }
}

export function readState(prefix: string): LabState {
  if (!PREFIX_RE.test(prefix)) throw new Error(`"${prefix}" is not a lab prefix (pb + 4-6 hex digits)`);
  let text: string;
  try {
    text = readFileSync(file(prefix), 'utf8');
  } catch {
    throw new Error(`no running lab ${prefix} (no ${file(prefix)}); \`npm run lab -- list\` shows the running ones`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file(prefix)} is not JSON: ${(e as Error).message}`, { cause: e });
  }
  const r = LabState.safeParse(json);
  if (!r.success) throw new Error(`${file(prefix)} is not a lab state file: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

export function listStates(): LabState[] {
  let names: string[];
  try {
    names = readdirSync(STATE_DIR);
  } catch {
    return [];
  }
  const out: LabState[] = [];
  for (const n of names.filter((x) => x.endsWith('.json'))) {
    try {
      out.push(readState(n.slice(0, -5)));
    } catch {
      // a half-written or foreign file: ignore
    }
  }
  return out;
}

export function ownerAlive(state: LabState): boolean {
  if (state.detached) return false;
  try {
    process.kill(state.pid, 0);
    return true;
  } catch {
    return false;
  }
}
