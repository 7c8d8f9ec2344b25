import { initTRPC, TRPCError } from '@trpc/server';
import type { z } from 'zod';
import type { ClusterModel, DeviceModel } from '@patchbay/resolve';
import { buildClusterMap, buildNodeWiring, type DeviceRow } from '@patchbay/topology';
import { EndpointError, parseEndpoint, quoteInput, type Trace, type TraceQuery } from '@patchbay/schema';
import { selectorMatches } from './internal/labels.js';
import { search } from './internal/search.js';
import { formatError } from './internal/errorFormatter.js';
import { serviceRulesOnNode } from './internal/serviceRules.js';
import {
  ClusterMapInput,
  ClusterMapOutput,
  NameInput,
  NamespacedInput,
  NodeWiringOutput,
  PodOutput,
  SearchInput,
  SearchOutput,
  ServiceOutput,
  SummaryOutput,
  TraceInput,
  TraceOutput,
  UpdateEvent,
} from './schemas.js';
import type { Log, Source, SourceEvent, SourceState } from './source.js';

/**
 * A requested name as an error message repeats it: as is when it is plain printable ASCII (every valid
 * Kubernetes name), else quoted with escapes, so no control, bidi or invisible character reaches a terminal or a
 * page from someone else's input.
 */
function shownKey(key: string): string {
  return key.length <= 253 && /^[\x21-\x7e]*$/.test(key) ? key : quoteInput(key);
}

/** Computes a trace on the current state; the server passes @patchbay/trace's traceFlow in (STYLE.md 12). */
export type TraceFn = (state: SourceState, query: TraceQuery) => Trace | Promise<Trace>;

export interface ApiContext {
  source: Source;
  traceFlow: TraceFn;
  /** Where internal errors are logged with their id and stack (clients get only the id); stderr when absent. */
  log?: Log;
}

const t = initTRPC.context<ApiContext>().create({ errorFormatter: formatError });

function notFound(message: string): TRPCError {
  return new TRPCError({ code: 'NOT_FOUND', message });
}

function deviceRow(d: DeviceModel): DeviceRow {
  return { id: d.id, netns: d.netns, name: d.name, kind: d.kind, up: d.up, mtu: d.mtu, mac: d.mac, addresses: d.addresses, master: d.master, peer: d.peer, vxlan: d.vxlan };
}

function tally<T extends string>(values: T[]): { value: T; count: number }[] {
  const m = new Map<T, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m].map(([value, count]) => ({ value, count })).sort((a, b) => a.value.localeCompare(b.value));
}

function routesOf(model: ClusterModel, netnsId: string | null) {
  const ns = netnsId ? model.namespaces.get(netnsId) : undefined;
  if (!ns) return [];
  const wiring = buildNodeWiring(model, ns.node);
  return wiring.routes.filter((r) => r.netns === ns.label);
}

export const appRouter = t.router({
  summary: t.procedure.output(SummaryOutput).query(({ ctx }) => {
    const { model, problems, loadedAt, generation, staleNodes } = ctx.source.current();
    const nodes = [...model.nodes.values()];
    return {
      source: ctx.source.description,
      capturedAt: model.capturedAt,
      loadedAt,
      generation,
      counts: {
        nodes: nodes.length,
        observedNodes: nodes.filter((n) => n.observed).length,
        pods: model.pods.size,
        services: model.services.size,
        namespaces: new Set([...model.pods.values()].map((p) => p.namespace)).size,
        devices: model.devices.size,
        networkPolicies: model.networkPolicies.length,
      },
      cni: tally(nodes.map((n) => n.cni.kind)).map(({ value, count }) => ({ kind: value, nodes: count })),
      kubeProxy: tally(nodes.map((n) => n.kubeProxy.mode)).map(({ value, count }) => ({ mode: value, nodes: count })),
      problemCount: problems.length,
      problems: problems.slice(0, 50),
      warnings: model.warnings.slice(0, 50),
      lastReloadError: ctx.source.lastError(),
      staleNodes,
      watchError: ctx.source.watchError(),
    };
  }),

  clusterMap: t.procedure
    .input(ClusterMapInput)
    .output(ClusterMapOutput)
    .query(({ ctx, input }) => buildClusterMap(ctx.source.current().model, input)),

  search: t.procedure
    .input(SearchInput)
    .output(SearchOutput)
    .query(({ ctx, input }) => search(ctx.source.current().model, input.q, input.limit)),

  node: t.procedure
    .input(NameInput)
    .output(NodeWiringOutput)
    .query(({ ctx, input }) => {
      const { model, bundle } = ctx.source.current();
      const node = model.nodes.get(input.name);
      if (!node) throw notFound(`no node named ${quoteInput(input.name)} in this cluster`);
      const wiring = buildNodeWiring(model, input.name);
      const serviceRules = [...model.services.values()]
        .sort((a, b) => a.key.localeCompare(b.key))
        .map((svc) => {
          const r = serviceRulesOnNode(node, svc, bundle.blobs);
          return { service: svc.key, clusterIP: svc.clusterIP, chains: r.chains, endpoints: r.endpoints, note: r.note };
        });
      return { ...wiring, serviceRules, errors: node.snapshot?.errors ?? [] };
    }),

  pod: t.procedure
    .input(NamespacedInput)
    .output(PodOutput)
    .query(({ ctx, input }) => {
      const { model } = ctx.source.current();
      const key = `${input.namespace}/${input.name}`;
      const pod = model.pods.get(key);
      if (!pod) throw notFound(`no pod ${shownKey(key)} in this cluster`);
      const ns = pod.netns ? model.namespaces.get(pod.netns) : undefined;
      const host = pod.hostDevice ? model.devices.get(pod.hostDevice) : undefined;
      return {
        key,
        namespace: pod.namespace,
        name: pod.name,
        node: pod.node,
        nodeObserved: pod.node ? (model.nodes.get(pod.node)?.observed ?? false) : false,
        ip: pod.ip,
        hostNetwork: pod.hostNetwork,
        phase: pod.object.status.phase ?? null,
        labels: pod.labels,
        netns: ns?.label ?? null,
        devices: (ns?.devices ?? []).map((id) => model.devices.get(id)).filter((d): d is DeviceModel => d !== undefined).map(deviceRow),
        hostVeth: host ? deviceRow(host) : null,
        routes: routesOf(model, pod.netns),
        services: [...model.services.values()].filter((s) => s.endpoints.some((e) => e.pod === key)).map((s) => ({ key: s.key, ports: s.ports })),
        policies: model.networkPolicies
          .filter((p) => p.metadata.namespace === pod.namespace && selectorMatches(p.spec.podSelector, pod.labels))
          .map((p) => ({ key: `${p.metadata.namespace}/${p.metadata.name}`, policyTypes: p.spec.policyTypes ?? ['Ingress'] })),
      };
    }),

  service: t.procedure
    .input(NamespacedInput)
    .output(ServiceOutput)
    .query(({ ctx, input }) => {
      const { model, bundle } = ctx.source.current();
      const key = `${input.namespace}/${input.name}`;
      const svc = model.services.get(key);
      if (!svc) throw notFound(`no service ${shownKey(key)} in this cluster`);
      const expected = new Set(svc.endpoints.filter((e) => e.ready).flatMap((e) => Object.values(e.ports).map((p) => `${e.ip}:${p}`)));
      const nodes = [...model.nodes.values()]
        .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))
        .map((n) => {
          const rules = serviceRulesOnNode(n, svc, bundle.blobs);
          const seen = new Set(rules.endpoints.map((e) => `${e.ip}:${e.port}`));
          const readable = n.observed && rules.note === null;
          return {
            ...rules,
            missing: readable ? [...expected].filter((e) => !seen.has(e)).sort() : [],
            extra: readable ? [...seen].filter((e) => !expected.has(e)).sort() : [],
          };
        });
      return {
        key,
        namespace: svc.namespace,
        name: svc.name,
        type: svc.type,
        clusterIP: svc.clusterIP,
        selector: svc.object.spec.selector ?? null,
        ports: svc.ports,
        endpoints: svc.endpoints,
        nodes,
      };
    }),

  trace: t.procedure
    .input(TraceInput)
    .output(TraceOutput)
    .query(async ({ ctx, input }) => {
      for (const [field, value] of [['from', input.from], ['to', input.to]] as const) {
        try {
          parseEndpoint(value);
        } catch (err) {
          if (err instanceof EndpointError) throw new TRPCError({ code: 'BAD_REQUEST', message: `${field}: ${err.message}` });
          throw err;
        }
      }
      try {
        return await ctx.traceFlow(ctx.source.current(), input);
      } catch (err) {
        // The tracer's TraceInputError names what is wrong with the query (an unknown pod, a missing port).
        if (err instanceof Error && (err.name === 'TraceInputError' || err.name === 'EndpointError')) {
          throw new TRPCError({ code: 'BAD_REQUEST', message: err.message });
        }
        throw err;
      }
    }),

  /** Server-sent events: one "hello" with the current generation, then every accepted or refused reload. */
  updates: t.procedure.subscription(async function* ({ ctx, signal }): AsyncGenerator<z.infer<typeof UpdateEvent>> {
    const queue: SourceEvent[] = [];
    let wake: (() => void) | null = null;
    const off = ctx.source.subscribe((e) => {
      queue.push(e);
      wake?.();
    });
    const stop = new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
    try {
      const s = ctx.source.current();
      yield UpdateEvent.parse({ type: 'hello', generation: s.generation, loadedAt: s.loadedAt, error: ctx.source.lastError(), staleNodes: s.staleNodes, watchError: ctx.source.watchError() });
      while (!signal?.aborted) {
        const next = queue.shift();
        if (next) {
          yield UpdateEvent.parse({
            type: next.type,
            generation: next.state.generation,
            loadedAt: next.state.loadedAt,
            error: next.type === 'rejected' ? next.error : null,
            staleNodes: next.state.staleNodes,
            watchError: next.type === 'watch' ? next.watchError : ctx.source.watchError(),
          });
          continue;
        }
        await Promise.race([new Promise<void>((resolve) => (wake = resolve)), stop]);
        wake = null;
      }
    } finally {
      off();
    }
  }),
});

export type AppRouter = typeof appRouter;
export const createCaller = t.createCallerFactory(appRouter);
