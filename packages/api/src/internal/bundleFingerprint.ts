import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

// A cheap summary of every file a bundle load reads: name, inode, size and modification time, without opening
// any file (a FIFO or a huge file costs nothing here). Two equal fingerprints mean nothing a load would read
// has changed. It is the backstop behind the directory watchers: whatever replaced a file (rename, directory
// swap, a network filesystem that sends no events), the inode, size or time changes and the fingerprint with it.

const ROOT_FILES = ['bundle.json', 'cluster.json'];

async function line(file: string, name: string): Promise<string> {
  // bigint: nanosecond times, so two writes of the same size within one millisecond still differ.
  const st = await stat(file, { bigint: true }).catch((err: NodeJS.ErrnoException) => err.code ?? 'error');
  if (typeof st === 'string') return `${name} ${st}`;
  return `${name} ${st.ino} ${st.size} ${st.mtimeNs} ${st.ctimeNs}`;
}

async function dirLines(dir: string, name: string, keep: (f: string) => boolean): Promise<string[]> {
  const head = await line(dir, `${name}/`);
  const entries = await readdir(dir).catch(() => null);
  if (!entries) return [head];
  const files = entries.filter(keep).sort();
  return [head, ...(await Promise.all(files.map((f) => line(path.join(dir, f), `${name}/${f}`))))];
}

/** One string per state of the bundle directory's files (compare with ===). */
export async function bundleFingerprint(dir: string): Promise<string> {
  const parts = await Promise.all([
    line(dir, '.'),
    ...ROOT_FILES.map((f) => line(path.join(dir, f), f)),
    dirLines(path.join(dir, 'nodes'), 'nodes', (f) => f.endsWith('.json')),
    dirLines(path.join(dir, 'blobs'), 'blobs', () => true),
  ]);
  return parts.flat().join('\n');
}
