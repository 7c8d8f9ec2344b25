import type { SystemFs } from '../system.js';

// Whether a kernel subsystem is there already, judged without asking it. Asking nf_tables (nft, iptables-nft-save)
// over netlink when the module is not loaded makes the kernel load it: a change to the machine the agent must not
// make. A module that was never loaded holds no rules, so skipping it loses nothing.

export interface ModulePaths {
  proc: string;
  sysModule: string;
  libModules: string;
}

export const defaultModulePaths: ModulePaths = { proc: '/proc', sysModule: '/sys/module', libModules: '/lib/modules' };

export type ModuleState =
  | { present: true; how: 'loaded' | 'built-in' | 'no module loading' }
  | { present: false; how: 'not loaded' };

export async function moduleState(fs: SystemFs, name: string, release: string, paths: ModulePaths = defaultModulePaths): Promise<ModuleState> {
  if ((await fs.readdir(`${paths.sysModule}/${name}`)).length > 0) return { present: true, how: 'loaded' };
  let modules: string;
  try {
    modules = await fs.readFile(`${paths.proc}/modules`);
  } catch (err) {
    // A kernel without loadable modules has no /proc/modules: nothing can be loaded on demand. Any other failure
    // (a time limit, a permission) leaves the question open, and the caller must not ask the subsystem.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return { present: true, how: 'no module loading' };
  }
  if (modules.split('\n').some((l) => l.startsWith(`${name} `))) return { present: true, how: 'loaded' };
  // Built-in code without parameters has no /sys/module entry; modules.builtin names it.
  try {
    const builtin = await fs.readFile(`${paths.libModules}/${release}/modules.builtin`);
    if (builtin.split('\n').some((l) => l.endsWith(`/${name}.ko`))) return { present: true, how: 'built-in' };
  } catch {
    // Not readable (a container without /lib/modules): not known to be built in.
  }
  return { present: false, how: 'not loaded' };
}
