import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import path from 'node:path';

// Reads one file of a bundle as an untrusted input: only a regular file, only inside the bundle, only up to a
// size limit, and never blocking. Before this, a FIFO in nodes/ blocked the reader for good (open waits for a
// writer, and took a thread of libuv's pool with it, so even SIGTERM could not end the server), and a
// symbolic link to /etc/shadow was read and its first bytes quoted in the parse error.
//
// Synchronous on purpose: it runs in a parse worker (or a caller that chose to block), where nothing else
// waits on the thread, and a synchronous open with O_NONBLOCK cannot wait for anything.

export type ReadOutcome = { bytes: Buffer } | { problem: string };

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

const inside = (root: string, p: string) => p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);

/**
 * The bytes of `file`, or why it is not read. `root` is the bundle directory's real path (realpath): the
 * file, after every symbolic link is followed, must be under it.
 */
export function readBundleFile(root: string, file: string, maxBytes: number): ReadOutcome {
  let real: string;
  try {
    // Every link on the way is followed (a symlinked nodes/ directory too), then the place is checked.
    real = realpathSync(file);
  } catch (err) {
    return { problem: `cannot read: ${(err as NodeJS.ErrnoException).code ?? 'error'}` };
  }
  if (!inside(root, real)) return { problem: 'leads outside the bundle directory (a symbolic link); only files inside the bundle are read' };
  let st = lstatSync(real, { throwIfNoEntry: false });
  if (!st) return { problem: 'cannot read: ENOENT' };
  if (!st.isFile()) return { problem: `is ${kindOf(st)}, not a regular file; only regular files are read` };
  if (st.size > maxBytes) return { problem: tooLarge(st.size, maxBytes) };

  let fd: number;
  try {
    // O_NOFOLLOW: a symbolic link swapped in since the check is refused (ELOOP) instead of followed;
    // O_NONBLOCK: a FIFO swapped in opens at once instead of waiting for a writer (then fstat refuses it).
    fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { problem: code === 'ELOOP' ? 'was replaced by a symbolic link while being read; read it again' : `cannot read: ${code ?? 'error'}` };
  }
  try {
    st = fstatSync(fd);
    if (!st.isFile()) return { problem: `is ${kindOf(st)}, not a regular file; only regular files are read` };
    if (st.size > maxBytes) return { problem: tooLarge(st.size, maxBytes) };
    // What was opened, whatever happened to the names since: a directory on the way swapped for a link
    // between the check and the open would show here (Linux; elsewhere the check before the open stands).
    const opened = openedPath(fd);
    if (opened !== null && !inside(root, opened)) return { problem: 'leads outside the bundle directory (it was moved while being read); only files inside the bundle are read' };
    // One byte more than fstat said, to notice a file that grows while it is read.
    const bytes = Buffer.allocUnsafe(st.size + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, bytes, n, bytes.length - n, null);
      if (got === 0) break;
      n += got;
      if (n === bytes.length) return { problem: 'grew while being read; read it again when the writer is done' };
    }
    return { bytes: bytes.subarray(0, n) };
  } catch (err) {
    return { problem: `cannot read: ${(err as NodeJS.ErrnoException).code ?? 'error'}` };
  } finally {
    closeSync(fd);
  }
}

function openedPath(fd: number): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

export function tooLarge(size: number, maxBytes: number): string {
  return `is ${size} bytes, over the reader's limit of ${maxBytes} bytes for this file (raise it with the maxFileBytes / maxBlobBytes option if the file is genuine)`;
}
