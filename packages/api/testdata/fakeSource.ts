// A Source over a hand-made model, for router tests that do not need files.
import type { Bundle } from '@patchbay/bundle';
import type { ClusterModel } from '@patchbay/resolve';
import { emptyCluster } from '@patchbay/schema';
import type { Source, SourceEvent, SourceState } from '../src/source.js';

export class FakeSource implements Source {
  readonly description = 'test model';
  readonly listeners = new Set<(e: SourceEvent) => void>();
  state: SourceState;
  constructor(model: ClusterModel) {
    const bundle: Bundle = { dir: '/test', meta: null, cluster: emptyCluster(), snapshots: [], blobs: new Map() };
    this.state = { bundle, model, problems: [], loadedAt: '2026-11-21T14:00:00.000Z', generation: 1, staleNodes: [] };
  }
  current(): SourceState {
    return this.state;
  }
  lastError() {
    return null;
  }
  watchError() {
    return null;
  }
  subscribe(l: (e: SourceEvent) => void) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  emit(e: SourceEvent) {
    for (const l of this.listeners) l(e);
  }
}
