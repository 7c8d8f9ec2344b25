import { statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Log } from '../source.js';
import { bundleFingerprint } from './bundleFingerprint.js';

// Notices changes to a bundle directory however they are made. Node's recursive fs.watch on Linux watches
// inodes, not names: once a file or directory is replaced by rename (mv, rsync, editors, a directory swap) or
// deleted and recreated, it keeps watching the old inode and never reports again. So this watches each
// directory by name, non-recursively (the bundle directory, nodes/, blobs/, and the parent for the bundle
// directory's own name), and re-arms a watcher whenever the directory under that name is another one. A
// periodic fingerprint (name, inode, size, mtime of every file a load reads) is the backstop for anything
// events miss (network filesystems, an inotify limit reached).

export interface BundleWatcherOptions {
  /** fs.watch on the directories. */
  events: boolean;
  /** Period of the fingerprint check in ms; 0 turns it off. */
  pollMs: number;
  /** Something a load reads may have changed. */
  onChange: () => void;
  /** Why changes may be missed now, or null once watching works again; called only when it changes. */
  onStatus: (problem: string | null) => void;
  log: Log;
}

type Role = 'parent' | 'root' | 'nodes' | 'blobs';

interface Spot {
  role: Role;
  path: string;
  watcher: FSWatcher | null;
  /** ino and birth time of the directory being watched: another directory under the name differs in one. */
  identity: string | null;
  problem: string | null;
}

const errCode = (err: unknown) => (err as NodeJS.ErrnoException).code ?? String(err);

export class BundleWatcher {
  private readonly spots: Spot[];
  private readonly base: string;
  private timer: NodeJS.Timeout | null = null;
  private lastPrint: string | null = null;
  /** Bumped whenever lastPrint is set, so a check that started before a load does not fire for it. */
  private printSeq = 0;
  private checking = false;
  private reported: string | null = null;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly opts: BundleWatcherOptions,
  ) {
    this.base = path.basename(dir);
    const parent = path.dirname(dir);
    const spot = (role: Role, p: string): Spot => ({ role, path: p, watcher: null, identity: null, problem: null });
    this.spots = [
      ...(parent !== dir ? [spot('parent', parent)] : []),
      spot('root', dir),
      spot('nodes', path.join(dir, 'nodes')),
      spot('blobs', path.join(dir, 'blobs')),
    ];
  }

  start(): void {
    this.rearm();
    if (this.opts.pollMs > 0) {
      this.timer = setInterval(() => void this.check(), this.opts.pollMs);
      // The check alone must not keep a process alive (a CLI that loaded a bundle and is done).
      this.timer.unref();
    }
  }

  /**
   * Call right before a load reads the directory: watchers are re-armed first (so a change from now on raises
   * an event or shows in the next check), then the fingerprint is taken as what this load is about to read.
   */
  async beforeLoad(): Promise<void> {
    this.rearm();
    if (this.opts.pollMs <= 0) return;
    const seq = ++this.printSeq;
    const print = await bundleFingerprint(this.dir);
    if (seq === this.printSeq) this.lastPrint = print;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const s of this.spots) {
      s.watcher?.close();
      s.watcher = null;
    }
  }

  private async check(): Promise<void> {
    if (this.checking || this.closed) return;
    this.checking = true;
    try {
      this.rearm();
      const seq = this.printSeq;
      const print = await bundleFingerprint(this.dir);
      if (this.closed || seq !== this.printSeq) return;
      if (this.lastPrint !== null && print !== this.lastPrint) {
        this.lastPrint = print;
        this.printSeq++;
        this.opts.onChange();
      }
      this.lastPrint ??= print;
    } catch (err) {
      this.opts.log.warn({ err: String(err), dir: this.dir }, 'bundle check failed');
    } finally {
      this.checking = false;
    }
  }

  /** Makes every watcher watch the directory now under its name; `force` re-arms those roles regardless. */
  private rearm(force: ReadonlySet<Role> = new Set()): void {
    if (this.closed) return;
    for (const s of this.spots) {
      const st = statSync(s.path, { throwIfNoEntry: false });
      const identity = st?.isDirectory() ? `${st.ino}:${st.birthtimeMs}` : null;
      if (s.role === 'root' && identity === null) {
        s.problem = `the bundle directory ${this.dir} is gone (or not a directory); still serving the last good state`;
      } else if (s.role === 'root' && s.problem !== null && !this.opts.events) {
        s.problem = null;
      }
      if (!this.opts.events) continue;
      const healthy = s.watcher !== null || identity === null;
      if (healthy && identity === s.identity && !force.has(s.role)) continue;
      s.watcher?.close();
      s.watcher = null;
      s.identity = identity;
      if (identity === null) {
        // nodes/ and blobs/ may be absent from a bundle; the bundle directory's absence is reported above.
        if (s.role !== 'root') s.problem = null;
        continue;
      }
      try {
        const w = watch(s.path, { persistent: false }, (type, name) => this.onEvent(s.role, type, name));
        w.on('error', (err) => this.onWatchError(s, w, err));
        s.watcher = w;
        s.problem = null;
      } catch (err) {
        s.problem = `cannot watch ${s.path}: ${errCode(err)}; changes are noticed by the periodic check only`;
      }
    }
    this.report();
  }

  private onEvent(role: Role, type: string, name: string | Buffer | null): void {
    const file = name === null ? null : String(name);
    if (role === 'parent' && file !== null && file !== this.base) return;
    // A rename in the parent may have swapped the whole bundle directory; one in the bundle directory may have
    // replaced nodes/ or blobs/. Re-arm those now, before anything is written into the new directory unseen.
    if (type === 'rename' && role === 'parent') this.rearm(new Set(['root', 'nodes', 'blobs']));
    else if (type === 'rename' && role === 'root' && (file === null || file === 'nodes' || file === 'blobs')) this.rearm(new Set(['nodes', 'blobs']));
    this.opts.onChange();
  }

  private onWatchError(s: Spot, w: FSWatcher, err: unknown): void {
    w.close();
    if (s.watcher === w) s.watcher = null;
    s.problem = `watching ${s.path} failed: ${errCode(err)}; re-arming on the next check`;
    this.opts.log.warn({ dir: s.path, err: errCode(err) }, 'bundle watcher failed');
    this.report();
    // Reload too: whatever happened while the watcher was failing is read, and the reload re-arms.
    this.opts.onChange();
  }

  private report(): void {
    const problems = this.spots.map((s) => s.problem).filter((p): p is string => p !== null);
    const now = problems.length > 0 ? problems.join('; ') : null;
    if (now === this.reported) return;
    this.reported = now;
    this.opts.onStatus(now);
  }
}
