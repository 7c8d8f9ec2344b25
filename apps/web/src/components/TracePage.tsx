'use client';

import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import type { Core } from 'cytoscape';
import { useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { traceElements, traceNodes, tracePaths } from '../lib/elements';
import { mapStyle } from '../lib/graphStyle';
import { endpointHref, nodeHref, parseTraceParams, podKeyHref, traceHref, type Proto, type TraceQuery } from '../lib/routes';
import { trpc, type TraceData } from '../lib/trpc';
import { CopyLinkButton } from './CopyButton';
import { DataTable } from './DataTable';
import { ErrorMessage, Loading } from './ErrorMessage';
import { download, exportPng, Graph } from './Graph';
import { MapLegend } from './Legend';
import { useDebounced } from './SearchBox';
import { useTheme } from './useTheme';

export function TracePage() {
  const params = useSearchParams();
  const parsed = useMemo(() => parseTraceParams(new URLSearchParams(params.toString())), [params]);
  const initial: Partial<TraceQuery> = parsed.ok ? (parsed.query ?? {}) : parsed.partial;
  const urlFrom = params.get('from') ?? '';
  const urlTo = params.get('to') ?? '';
  // A link with only one end (a pod page's "trace from here") fills the form; anything malformed is still named.
  const complete = params.get('from') !== null && params.get('to') !== null;
  const errors = parsed.ok ? [] : parsed.errors.filter((e) => complete || !/^(from|to): missing/.test(e));
  // The form starts afresh when the flow in the URL changes, not when only the chosen path tab does.
  const formKey = useMemo(() => {
    const p = new URLSearchParams(params.toString());
    p.delete('path');
    return p.toString();
  }, [params]);
  return (
    <>
      <h1>Trace a flow</h1>
      <TraceForm key={formKey} initial={{ ...initial, from: initial.from || urlFrom, to: initial.to || urlTo }} />
      {errors.length > 0 ? (
        <ErrorMessage title="This trace link is not valid" messages={errors} />
      ) : parsed.ok && parsed.query ? (
        <TraceResult query={parsed.query} />
      ) : (
        <p className="muted">Choose a source and a destination: pod/NS/NAME, svc/NS/NAME:PORT, node/NAME or an IP address (with :PORT for tcp and udp).</p>
      )}
    </>
  );
}

function EndpointInput({ name, label, value, onChange }: { name: 'from' | 'to'; label: string; value: string; onChange: (v: string) => void }) {
  const listId = useId();
  const q = useDebounced(value, 150);
  const hits = trpc.search.useQuery({ q: q.replace(/^(pod|svc|service|node)\//, ''), limit: 15 }, { enabled: q.trim().length > 0 });
  const options = [...new Set((hits.data ?? []).flatMap((h) => h.endpoints))];
  return (
    <label>
      {label}
      <input name={name} list={listId} value={value} onChange={(e) => onChange(e.target.value)} autoComplete="off" spellCheck={false} placeholder={name === 'from' ? 'pod/NS/NAME' : 'svc/NS/NAME:PORT'} data-testid={`trace-${name}`} />
      <datalist id={listId}>
        {options.map((o) => (
          <option key={o} value={o} />
        ))}
      </datalist>
    </label>
  );
}

function TraceForm({ initial }: { initial: Partial<TraceQuery> }) {
  const router = useRouter();
  const [from, setFrom] = useState(initial.from ?? '');
  const [to, setTo] = useState(initial.to ?? '');
  const [proto, setProto] = useState<Proto>(initial.proto ?? 'tcp');
  const [port, setPort] = useState(initial.port ? String(initial.port) : '');
  return (
    <form
      className="trace-form"
      aria-label="Trace query"
      onSubmit={(e) => {
        e.preventDefault();
        const p = port.trim() ? Number(port.trim()) : null;
        // Push even when malformed: the page then names what is wrong, and the link shows it too.
        router.push(traceHref({ from: from.trim(), to: to.trim(), proto, port: p !== null && Number.isFinite(p) ? p : null }) + (port.trim() && !/^\d+$/.test(port.trim()) ? `&port=${encodeURIComponent(port.trim())}` : ''));
      }}
    >
      <EndpointInput name="from" label="From" value={from} onChange={setFrom} />
      <EndpointInput name="to" label="To" value={to} onChange={setTo} />
      <label>
        Protocol
        <select name="proto" value={proto} onChange={(e) => setProto(e.target.value as Proto)} data-testid="trace-proto">
          <option value="tcp">tcp</option>
          <option value="udp">udp</option>
          <option value="icmp">icmp</option>
        </select>
      </label>
      <label>
        Port (optional)
        <input name="port" inputMode="numeric" value={port} onChange={(e) => setPort(e.target.value)} placeholder="from the endpoint" data-testid="trace-port" />
      </label>
      <button type="submit" data-testid="trace-submit">
        Trace
      </button>
    </form>
  );
}

function TraceResult({ query }: { query: TraceQuery }) {
  const q = trpc.trace.useQuery(query);
  if (q.error) return <ErrorMessage title="This flow cannot be traced" error={q.error} />;
  if (!q.data) return <Loading what="the trace" />;
  return <TraceView trace={q.data} />;
}

function TraceView({ trace }: { trace: TraceData }) {
  const nodes = useMemo(() => traceNodes(trace).slice(0, 50), [trace]);
  const map = trpc.clusterMap.useQuery({ nodes, expandedNodes: nodes, focusNodes: nodes }, { enabled: nodes.length > 0 });
  const { theme, palette } = useTheme();
  const stylesheet = useMemo(() => mapStyle(palette), [palette]);
  const elements = useMemo(() => (map.data ? traceElements(map.data, trace) : []), [map.data, trace]);
  const paths = useMemo(() => tracePaths(trace), [trace]);
  const cy = useRef<Core | null>(null);
  // The path shown is part of the link (`&path=N`, 1-based), so a runbook can point at one branch.
  const router = useRouter();
  const params = useSearchParams();
  const fromUrl = Number(params.get('path') ?? '1') - 1;
  const shown = Number.isInteger(fromUrl) && fromUrl >= 0 && fromUrl < trace.paths.length ? fromUrl : 0;
  const setShown = (i: number) => {
    const next = new URLSearchParams(params.toString());
    if (i === 0) next.delete('path');
    else next.set('path', String(i + 1));
    router.replace(`/trace?${next.toString()}`, { scroll: false });
  };
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);
  const onTabKey = (e: KeyboardEvent, i: number) => {
    const n = trace.paths.length;
    const to = e.key === 'ArrowRight' ? (i + 1) % n : e.key === 'ArrowLeft' ? (i + n - 1) % n : e.key === 'Home' ? 0 : e.key === 'End' ? n - 1 : null;
    if (to === null) return;
    e.preventDefault();
    setShown(to);
    tabs.current[to]?.focus();
  };
  const path = trace.paths[shown];
  const fname = `patchbay-trace-${trace.query.from}-${trace.query.to}`.replace(/[^a-zA-Z0-9.-]+/g, '_');
  return (
    <section aria-label="Trace result" data-testid="trace-result">
      <h2>
        <span className={`verdict verdict-${trace.verdict}`} data-testid="trace-verdict">
          {trace.verdict}
        </span>{' '}
        <span data-testid="trace-summary">{trace.summary}</span>
      </h2>
      <div className="toolbar">
        <CopyLinkButton />
        <button type="button" onClick={() => download(new Blob([`${JSON.stringify(trace, null, 2)}\n`], { type: 'application/json' }), `${fname}.json`)}>
          Download JSON
        </button>
        <button type="button" onClick={() => void exportPng(cy.current, fname, palette.bg)}>
          Export PNG
        </button>
        {[trace.query.from, trace.query.to].map((e) => {
          const h = endpointHref(e);
          return h ? (
            <Link key={e} href={h}>
              {e}
            </Link>
          ) : null;
        })}
      </div>
      {trace.warnings.length > 0 && (
        <div className="banner banner-warn" role="note" data-testid="trace-warnings">
          <strong>The tracer could not see everything:</strong>
          <ul>
            {trace.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </div>
      )}
      <ol data-testid="trace-paths">
        {paths.map((p) => (
          <li key={p.index} data-verdict={p.verdict} data-weight={p.weight} data-anchors={p.anchors.join(' ')}>
            <span className={`verdict verdict-${p.verdict}`}>{p.verdict}</span> {Math.round(p.weight * 100)}% of new flows
            {trace.paths[p.index]?.endpoint ? ` → ${trace.paths[p.index]?.endpoint?.pod ?? trace.paths[p.index]?.endpoint?.ip}` : ''}: {p.anchors.join(' → ')}
          </li>
        ))}
      </ol>
      <MapLegend p={palette} />
      {nodes.length === 0 ? (
        <p className="muted">No node is involved, so there is no graph to draw.</p>
      ) : map.error ? (
        <ErrorMessage title="The map for this trace cannot be shown" error={map.error} />
      ) : !map.data ? (
        <Loading what="the map" />
      ) : (
        <Graph
          elements={elements}
          stylesheet={stylesheet}
          background={palette.bg}
          fitKey={`${JSON.stringify(trace.query)}|${theme}`}
          label={`Trace from ${trace.query.from} to ${trace.query.to}: ${trace.verdict}. The hop table below lists every step.`}
          testId="trace-graph"
          height="55vh"
          onReady={(c) => {
            cy.current = c;
          }}
        />
      )}
      {trace.paths.length > 1 && (
        <div className="tabs" role="tablist" aria-label="Paths">
          {trace.paths.map((p, i) => (
            <button
              key={i}
              ref={(el) => {
                tabs.current[i] = el;
              }}
              type="button"
              role="tab"
              id={`path-tab-${i}`}
              aria-selected={shown === i}
              aria-controls="path-hops"
              tabIndex={shown === i ? 0 : -1}
              onClick={() => setShown(i)}
              onKeyDown={(e) => onTabKey(e, i)}
            >
              Path {i + 1}: {p.verdict} ({Math.round(p.weight * 100)}%)
            </button>
          ))}
        </div>
      )}
      {path ? (
        <div id="path-hops" role={trace.paths.length > 1 ? 'tabpanel' : undefined} aria-labelledby={trace.paths.length > 1 ? `path-tab-${shown}` : undefined}>
          <HopTable caption={`Hops of path ${shown + 1} (${path.verdict})`} hops={path.hops} testId="hop-table" />
          {path.reply && <HopTable caption={`Reply of path ${shown + 1} (${path.reply.verdict})`} hops={path.reply.hops} testId="reply-table" />}
        </div>
      ) : (
        <p className="muted">The tracer found no path.</p>
      )}
    </section>
  );
}

type HopData = TraceData['paths'][number]['hops'][number];

function HopTable({ caption, hops, testId }: { caption: string; hops: HopData[]; testId: string }) {
  const rows = hops.map((h, i) => ({ ...h, i }));
  return (
    <DataTable
      caption={caption}
      testId={testId}
      rows={rows}
      rowKey={(r) => String(r.i)}
      columns={[
        { header: '#', text: (r) => String(r.i + 1) },
        { header: 'Node', text: (r) => r.node ?? '', cell: (r) => (r.node ? <Link href={nodeHref(r.node)}>{r.node}</Link> : '') },
        { header: 'Namespace', text: (r) => r.netns, className: 'mono', cell: (r) => (r.netns.startsWith('pod/') ? <Link href={podKeyHref(r.netns.slice(4))}>{r.netns}</Link> : r.netns) },
        { header: 'Device', text: (r) => r.device ?? '', className: 'mono' },
        { header: 'Stage', text: (r) => r.stage },
        { header: 'Action', text: (r) => r.action },
        { header: 'Packet', text: (r) => `${r.packet.src}:${r.packet.sport} → ${r.packet.dst}:${r.packet.dport}`, className: 'mono' },
        { header: 'Evidence', text: (r) => r.evidence, className: 'mono' },
      ]}
    />
  );
}
