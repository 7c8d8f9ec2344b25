import { readFileSync } from 'node:fs';
import { RunError, type Run, type RunOptions } from '../run.js';
import type { SystemFs } from '../system.js';

// Test doubles: a Run that answers from recorded output, and a SystemFs over an in-memory tree.

export type Answer = string | RunError | ((opts: RunOptions | undefined) => string | RunError);

export interface FakeRun extends Run {
  calls: { cmd: string; args: readonly string[]; input?: string }[];
}

/** Answers `cmd args...` (joined by spaces) from the table; unknown commands are "not found". */
export function fakeRun(table: Record<string, Answer>): FakeRun {
  const calls: FakeRun['calls'] = [];
  const run = (async (cmd: string, args: readonly string[], opts?: RunOptions) => {
    calls.push({ cmd, args, input: opts?.input });
    const key = [cmd, ...args].join(' ');
    const a = table[key];
    if (a === undefined) throw new RunError(`${cmd}: command not found`, 'missing');
    const v = typeof a === 'function' ? a(opts) : a;
    if (v instanceof RunError) throw v;
    return { stdout: v, stderr: '' };
  }) as FakeRun;
  run.calls = calls;
  return run;
}

export interface FakeFsSpec {
  files?: Record<string, string>;
  /** Paths whose stat gives an inode (namespaces, /proc/PID/ns/net). */
  inodes?: Record<string, number>;
  /** Permission bits of files; 0o644 when not given. */
  modes?: Record<string, number>;
}

export function fakeFs({ files = {}, inodes = {}, modes = {} }: FakeFsSpec): SystemFs {
  const all = [...Object.keys(files), ...Object.keys(inodes)];
  const enoent = (p: string) => Object.assign(new Error(`ENOENT: no such file or directory, '${p}'`), { code: 'ENOENT' });
  return {
    readFile: async (p) => {
      if (p in files) return files[p]!;
      throw enoent(p);
    },
    readdir: async (p) => {
      const prefix = p.endsWith('/') ? p : `${p}/`;
      return [...new Set(all.filter((f) => f.startsWith(prefix)).map((f) => f.slice(prefix.length).split('/')[0]!))];
    },
    inode: async (p) => {
      if (p in inodes) return inodes[p]!;
      throw enoent(p);
    },
    stat: async (p) => {
      if (p in files) return { kind: 'file', mode: modes[p] ?? 0o644, size: Buffer.byteLength(files[p]!) };
      const prefix = p.endsWith('/') ? p : `${p}/`;
      if (all.some((f) => f.startsWith(prefix))) return { kind: 'directory', mode: 0o755, size: 4096 };
      if (p in inodes) return { kind: 'other', mode: 0o444, size: 0 };
      throw enoent(p);
    },
  };
}

/** `fs` with faults at exact paths, for every call: 'hang' never settles; an errno code rejects with it. */
export function faultyFs(fs: SystemFs, faults: Record<string, 'hang' | 'EACCES' | 'EIO'>): SystemFs {
  const wrap =
    <T>(f: (p: string) => Promise<T>) =>
    (p: string): Promise<T> => {
      const fault = faults[p];
      if (fault === 'hang') return new Promise<T>(() => undefined);
      if (fault) return Promise.reject(Object.assign(new Error(`${fault}: simulated fault, '${p}'`), { code: fault }));
      return f(p);
    };
  return { readFile: wrap(fs.readFile), readdir: wrap(fs.readdir), inode: wrap(fs.inode), stat: wrap(fs.stat) };
}

export function testdata(name: string): string {
  return readFileSync(new URL(`../testdata/${name}`, import.meta.url), 'utf8');
}

export const IP_MAIN = ['-j', '-force', '-b', '-'];
export const IP_DETAIL = ['-d', '-6', '-j', '-force', '-b', '-'];
