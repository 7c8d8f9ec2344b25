import type { Bundle } from '@patchbay/bundle';
import type { ClusterModel } from '@patchbay/resolve';
import type { Problem } from '@patchbay/schema';

// A source of cluster state: a bundle directory now, a live cluster later. The router reads only this.

export interface SourceState {
  bundle: Bundle;
  model: ClusterModel;
  /** What loading the bundle found wrong (a node's snapshot invalid, ...); the rest is still served. */
  problems: Problem[];
  /** ISO time this state was loaded. */
  loadedAt: string;
  /** Increments with every accepted load, so clients can tell states apart. */
  generation: number;
  /**
   * Nodes whose snapshot file went bad after it had been good: the last good snapshot is still served (in
   * `bundle.snapshots` and the model), flagged here so nobody mistakes it for fresh data.
   */
  staleNodes: StaleNode[];
}

export interface StaleNode {
  node: string;
  /** The snapshot file that is bad now, e.g. "nodes/n1.json". */
  file: string;
  /** ISO time the file was first found bad (kept across reloads while it stays bad). */
  since: string;
  /** capturedAt of the snapshot still served. */
  servedCapturedAt: string;
  /** What is wrong with the file now (or with the blobs it refers to). */
  problems: Problem[];
}

/** Why changes to the source may be missed right now (a watcher failed, the directory is gone). */
export interface WatchError {
  at: string;
  message: string;
}

export interface SourceError {
  at: string;
  message: string;
  problems: Problem[];
}

export type SourceEvent =
  | { type: 'loaded'; state: SourceState }
  | { type: 'rejected'; state: SourceState; error: SourceError }
  /** watchError() changed (set or cleared); the state is unchanged. */
  | { type: 'watch'; state: SourceState; watchError: WatchError | null };

export interface Source {
  /** For people: "bundle /path/to/dir". */
  readonly description: string;
  current(): SourceState;
  /** The last reload that was refused (the last good state is still served), or null. */
  lastError(): SourceError | null;
  /** Set while changes may go unnoticed (a watcher failed, the directory vanished); null when watching works. */
  watchError(): WatchError | null;
  /** Called on every accepted or refused reload and every change of watchError(); returns the unsubscribe function. */
  subscribe(listener: (event: SourceEvent) => void): () => void;
}

/** pino-compatible subset, so the package does not depend on a logger. */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLog: Log = { info() {}, warn() {}, error() {} };
