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
}

export interface SourceError {
  at: string;
  message: string;
  problems: Problem[];
}

export type SourceEvent =
  | { type: 'loaded'; state: SourceState }
  | { type: 'rejected'; state: SourceState; error: SourceError };

export interface Source {
  /** For people: "bundle /path/to/dir". */
  readonly description: string;
  current(): SourceState;
  /** The last reload that was refused (the last good state is still served), or null. */
  lastError(): SourceError | null;
  /** Called on every accepted or refused reload; returns the unsubscribe function. */
  subscribe(listener: (event: SourceEvent) => void): () => void;
}

/** pino-compatible subset, so the package does not depend on a logger. */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLog: Log = { info() {}, warn() {}, error() {} };
