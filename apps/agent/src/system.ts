import { promises as fs } from 'node:fs';

// File-system reads the collectors need, behind an interface so tests can hand in a fake /proc and /var/run.

export interface SystemFs {
  readFile(path: string): Promise<string>;
  /** Entry names; [] when the directory does not exist. */
  readdir(path: string): Promise<string[]>;
  /** Inode of the file a path leads to (stat follows links, as `stat -L` does). */
  inode(path: string): Promise<number>;
  /** What a path leads to (stat follows links); rejects as fs.stat does (ENOENT, EACCES). */
  stat(path: string): Promise<FileInfo>;
}

export interface FileInfo {
  kind: 'file' | 'directory' | 'other';
  /** Permission bits (mode & 0o7777). */
  mode: number;
  size: number;
}

export const realFs: SystemFs = {
  readFile: (p) => fs.readFile(p, 'utf8'),
  readdir: async (p) => {
    try {
      return await fs.readdir(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  },
  inode: async (p) => (await fs.stat(p)).ino,
  stat: async (p) => {
    const st = await fs.stat(p);
    return { kind: st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other', mode: st.mode & 0o7777, size: st.size };
  },
};

export interface Paths {
  /** Where `ip netns` keeps named namespaces. */
  netnsDir: string;
  proc: string;
  cniConfDir: string;
  cniResultsDir: string;
}

export const defaultPaths: Paths = {
  netnsDir: '/var/run/netns',
  proc: '/proc',
  cniConfDir: '/etc/cni/net.d',
  cniResultsDir: '/var/lib/cni/results',
};
