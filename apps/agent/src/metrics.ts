import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// The agent's own metrics, in a registry of its own (not prom-client's global one), served on /metrics.
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'patchbay_agent_' });
  const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
  return {
    registry,
    collectorDuration: new Histogram({
      name: 'patchbay_agent_collector_duration_seconds',
      help: 'Wall time of each collector in one collection',
      labelNames: ['collector'],
      buckets,
      registers: [registry],
    }),
    collectorErrors: new Counter({
      name: 'patchbay_agent_collector_errors_total',
      help: 'Collector runs that recorded at least one error in the snapshot',
      labelNames: ['collector'],
      registers: [registry],
    }),
    collectionDuration: new Histogram({
      name: 'patchbay_agent_collection_duration_seconds',
      help: 'Wall time of a whole snapshot collection',
      buckets,
      registers: [registry],
    }),
    collections: new Counter({
      name: 'patchbay_agent_collections_total',
      help: 'Snapshot collections by result',
      labelNames: ['result'],
      registers: [registry],
    }),
    snapshotBytes: new Gauge({
      name: 'patchbay_agent_snapshot_bytes',
      help: 'Size of the last snapshot: the JSON served on /snapshot, and the blobs it refers to',
      labelNames: ['part'],
      registers: [registry],
    }),
    snapshotErrors: new Gauge({
      name: 'patchbay_agent_snapshot_errors',
      help: 'Entries in the last snapshot errors list',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** An `observe` callback for collectSnapshot that feeds the metrics. */
export function observer(m: Metrics) {
  return (collector: string, seconds: number, failed: boolean) => {
    m.collectorDuration.observe({ collector }, seconds);
    if (failed) m.collectorErrors.inc({ collector });
  };
}
