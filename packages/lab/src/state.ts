import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { FAULT_NAMES } from './faultNames.js';
import { PREFIX_RE } from './names.js';
import { Scenario } from './scenario.js';

// One small file per running lab, so `npm run lab -- down|probe` in another process can find a lab by prefix,
// and `down --all` can tell a crashed run's namespaces from a live process's lab.

export const STATE_DIR = process.env.PATCHBAY_LAB_STATE_DIR ?? '/run/patchbay-lab';

export const LabState = z.strictObject({
  prefix: z.string().regex(PREFIX_RE),
  scenario: Scenario,
  faults: z.array(z.enum(FAULT_NAMES)),
  /** The process that owns the lab; a detached lab (`up`) is owned by nobody once `up` exits. */
  pid: z.number().int(),
  detached: z.boolean(),
  createdAt: z.string(),
});
export type LabState = z.infer<typeof LabState>;

function file(prefix: string): string {
  return path.join(STATE_DIR, `${prefix}.json`);
}

export function writeState(state: LabState): void {
  mkdirSync(STATE_DIR, { recursive: true });
  writeFileSync(file(state.prefix), `${JSON.stringify(state, null, 1)}\n`);
}

/** Removes the state file and the lab's directory (per-node CNI files). */
export function removeState(prefix: string): void {
  rmSync(file(prefix), { force: true });
  if (PREFIX_RE.test(prefix)) rmSync(path.join(STATE_DIR, prefix), { recursive: true, force: true });
}

export function readState(prefix: string): LabState {
  if (!PREFIX_RE.test(prefix)) throw new Error(`"${prefix}" is not a lab prefix (pb + 4-6 hex digits)`);
  let text: string;
  try {
    text = readFileSync(file(prefix), 'utf8');
  } catch {
    throw new Error(`no running lab ${prefix} (no ${file(prefix)}); \`npm run lab -- list\` shows the running ones`);
  }
  const r = LabState.safeParse(JSON.parse(text));
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
