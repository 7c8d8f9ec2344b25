'use client';

import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { keepPreviousData } from '@tanstack/react-query';
import type { Core } from 'cytoscape';
import { useCallback, useMemo, useRef, useState } from 'react';
import { mapElements } from '../lib/elements';
import { mapStyle } from '../lib/graphStyle';
import { mapHref, nodeHref, parseMapState, podKeyHref, serviceKeyHref, traceHref, type MapState } from '../lib/routes';
import { trpc, type ClusterMapData, type SearchHitData } from '../lib/trpc';
import { SearchBox } from './SearchBox';
import { CopyLinkButton } from './CopyButton';
import { ErrorMessage, Loading } from './ErrorMessage';
import { exportPng, Graph } from './Graph';
import { MapLegend } from './Legend';
import { useTheme } from './useTheme';

export function MapPage() {
  const params = useSearchParams();
  const state = useMemo(() => parseMapState(new URLSearchParams(params.toString())), [params]);
  const setState = useCallback(
    (next: Partial<MapState>) => {
      // View state lives in the URL; replaceState keeps Next's router in sync without a server round trip.
      window.history.replaceState(null, '', mapHref({ ...state, ...next }));
    },
    [state],
  );
  const selectedNode = state.select?.startsWith('node/') ? state.select.slice(5) : null;
  const summary = trpc.summary.useQuery();
  const map = trpc.clusterMap.useQuery(
    { expandedNodes: state.expand, namespaces: state.ns, nodes: state.nodes, focusNodes: selectedNode ? [selectedNode] : [] },
    { placeholderData: keepPreviousData },
  );
  const { theme, palette } = useTheme();
  const stylesheet = useMemo(() => mapStyle(palette), [palette]);
  const cy = useRef<Core | null>(null);
  const elements = useMemo(() => (map.data ? mapElements(map.data, { selected: state.select }) : []), [map.data, state.select]);
  const router = useRouter();
  const [centerOn, setCenterOn] = useState<{ id: string; n: number } | null>(null);
  // Finding on the map selects the element (expanding a pod's node) and centres the view on it.
  const find = (hit: SearchHitData) => {
    const target = hit.kind === 'ip' && hit.owner ? { kind: hit.owner.kind, key: hit.owner.key } : { kind: hit.kind, key: hit.key };
    if (target.kind === 'node') {
      setState({ select: `node/${target.key}` });
      setCenterOn({ id: `node/${target.key}`, n: Date.now() });
    } else if (target.kind === 'pod' && hit.node) {
      setState({ select: `pod/${target.key}`, expand: state.expand.includes(hit.node) ? state.expand : [...state.expand, hit.node] });
      setCenterOn({ id: `pod/${target.key}`, n: Date.now() });
    } else if (target.kind === 'service') {
      router.push(serviceKeyHref(target.key));
    }
  };

  if (map.error) return <ErrorMessage title="The cluster map cannot be shown" error={map.error} />;
  const toggleExpand = (node: string) => setState({ expand: state.expand.includes(node) ? state.expand.filter((n) => n !== node) : [...state.expand, node] });

  return (
    <>
      <h1>Cluster map</h1>
      {summary.data && (
        <p className="muted" data-testid="summary">
          {summary.data.source} · {summary.data.counts.nodes} nodes ({summary.data.counts.observedNodes} observed) · {summary.data.counts.pods} pods · {summary.data.counts.services} services · CNI{' '}
          {summary.data.cni.map((c) => `${c.kind} (${c.nodes})`).join(', ')} · kube-proxy {summary.data.kubeProxy.map((k) => `${k.mode} (${k.nodes})`).join(', ')}
          {summary.data.capturedAt ? ` · captured ${summary.data.capturedAt}` : ''}
          {summary.data.problemCount > 0 ? ` · ${summary.data.problemCount} problem(s) reading the bundle` : ''}
        </p>
      )}
      {summary.data && (summary.data.problemCount > 0 || summary.data.warnings.length > 0) && (
        <details className="banner banner-warn" data-testid="bundle-problems">
          <summary>
            {summary.data.problemCount} problem(s) reading the bundle, {summary.data.warnings.length} warning(s) linking it: what is affected is shown as not observed or unknown
          </summary>
          <ul>
            {summary.data.problems.map((p) => (
              <li key={`${p.file}|${p.path}|${p.message}`} className="mono">
                {p.file}: {p.path}: {p.message}
              </li>
            ))}
            {summary.data.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </details>
      )}
      <div className="toolbar">
        <SearchBox onChoose={find} label="Find a node, pod or address on the map" placeholder="Find on the map" shortcut={false} testId="map-find" />
        <NamespaceFilter all={map.data?.allNamespaces ?? []} chosen={state.ns} onChange={(ns) => setState({ ns })} />
        <label>
          Nodes{' '}
          <input
            type="text"
            defaultValue={state.nodes.join(',')}
            placeholder="all (or n1,n2)"
            aria-label="Show only these nodes (comma separated)"
            onKeyDown={(e) => {
              if (e.key === 'Enter') setState({ nodes: e.currentTarget.value.split(',').map((s) => s.trim()).filter(Boolean) });
            }}
          />
        </label>
        {state.expand.length > 0 && (
          <button type="button" onClick={() => setState({ expand: [] })}>
            Collapse all
          </button>
        )}
        <button type="button" onClick={() => void exportPng(cy.current, 'patchbay-cluster-map', palette.bg)}>
          Export PNG
        </button>
        <CopyLinkButton />
      </div>
      <MapLegend p={palette} />
      {!map.data ? (
        <Loading what="the cluster map" />
      ) : (
        <div className="layout-split">
          <Graph
            elements={elements}
            stylesheet={stylesheet}
            background={palette.bg}
            fitKey={`${theme}|${state.nodes.join(',')}|${state.ns.join(',')}`}
            label={`Cluster map: ${map.data.totals.nodes} nodes, ${map.data.totals.shownPods} pods drawn. The node table below lists the same.`}
            testId="cluster-map"
            large={elements.length > 1500}
            centerOn={centerOn}
            onReady={(c) => {
              cy.current = c;
            }}
            onSelect={(id) => {
              if (id && (id.startsWith('node/') || id.startsWith('pod/'))) setState({ select: id });
              else setState({ select: null });
            }}
          />
          <Selection data={map.data} select={state.select} expanded={state.expand} onToggle={toggleExpand} />
        </div>
      )}
      {map.data && <NodeList data={map.data} expanded={state.expand} onToggle={toggleExpand} onSelect={(n) => setState({ select: `node/${n}` })} />}
    </>
  );
}

function NamespaceFilter({ all, chosen, onChange }: { all: string[]; chosen: string[]; onChange: (ns: string[]) => void }) {
  return (
    <details className="ns-filter">
      <summary>Namespaces: {chosen.length ? chosen.join(', ') : 'all'}</summary>
      <fieldset>
        <legend className="sr-only">Show pods of these namespaces</legend>
        {all.map((ns) => (
          <label key={ns} style={{ display: 'block' }}>
            <input type="checkbox" checked={chosen.includes(ns)} onChange={(e) => onChange(e.target.checked ? [...chosen, ns] : chosen.filter((n) => n !== ns))} /> {ns}
          </label>
        ))}
        {chosen.length > 0 && (
          <button type="button" onClick={() => onChange([])}>
            All namespaces
          </button>
        )}
      </fieldset>
    </details>
  );
}

function Selection({ data, select, expanded, onToggle }: { data: ClusterMapData; select: string | null; expanded: string[]; onToggle: (n: string) => void }) {
  const el = select ? data.nodes.find((n) => n.id === select) : undefined;
  if (!el) {
    return (
      <aside className="panel" aria-label="Selection">
        <p className="muted">Click a node box or a pod for details, or use the table below. A selected node shows its tunnels and direct routes to other nodes.</p>
      </aside>
    );
  }
  if (el.kind === 'pod' && el.data.pod) {
    return (
      <aside className="panel" aria-label="Selection" data-testid="selection">
        <h2>Pod {el.data.pod}</h2>
        <dl>
          <dt>IP</dt>
          <dd>{el.data.ip ?? 'none'}</dd>
          <dt>Node</dt>
          <dd>{el.data.node}</dd>
        </dl>
        <p>
          <Link href={podKeyHref(el.data.pod)}>Pod details</Link> · <Link href={traceHref({ from: `pod/${el.data.pod}` })}>Trace from this pod</Link>
        </p>
      </aside>
    );
  }
  const name = el.data.node ?? el.label;
  const links = data.edges.filter((e) => (e.kind === 'tunnel' || e.kind === 'route') && (e.source === el.id || e.target === el.id));
  return (
    <aside className="panel" aria-label="Selection" data-testid="selection">
      <h2>Node {name}</h2>
      <dl>
        <dt>Observed</dt>
        <dd>{el.data.observed ? 'yes' : 'no (no snapshot in the bundle)'}</dd>
        <dt>InternalIP</dt>
        <dd>{el.data.internalIP ?? '?'}</dd>
        <dt>Underlay</dt>
        <dd>{el.data.subnet}</dd>
        <dt>Pod CIDRs</dt>
        <dd>{el.data.podCIDRs?.join(', ') || 'none'}</dd>
        <dt>CNI</dt>
        <dd>{el.data.cni}</dd>
        <dt>kube-proxy</dt>
        <dd>{el.data.kubeProxy}</dd>
        <dt>Pods</dt>
        <dd>
          {el.data.pods} in {el.data.namespaces} namespaces
        </dd>
      </dl>
      <p>
        <Link href={nodeHref(name)}>Wiring of {name}</Link>{' '}
        <button type="button" onClick={() => onToggle(name)}>
          {expanded.includes(name) ? 'Collapse pods' : 'Show pods'}
        </button>
      </p>
      {links.length > 0 && (
        <>
          <h2>Links to other nodes</h2>
          <ul>
            {links.map((l) => (
              <li key={l.id}>
                {l.kind} to {(l.source === el.id ? l.target : l.source).slice(5)} ({l.label})
                <br />
                <span className="mono muted">{l.evidence.join('; ')}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </aside>
  );
}

const NODE_PAGE = 200;

function NodeList({ data, expanded, onToggle, onSelect }: { data: ClusterMapData; expanded: string[]; onToggle: (n: string) => void; onSelect: (n: string) => void }) {
  const boxes = data.nodes.filter((n) => n.kind === 'node');
  // Thousands of rows would slow every page; the map and the search reach the rest.
  const shown = boxes.slice(0, NODE_PAGE);
  return (
    <div className="table-scroll" style={{ marginTop: 12 }}>
      <table data-testid="node-table">
        <caption>
          Nodes ({boxes.length}
          {boxes.length > NODE_PAGE ? `, first ${NODE_PAGE} listed; search finds the rest` : ''})
        </caption>
        <thead>
          <tr>
            <th scope="col">Node</th>
            <th scope="col">InternalIP</th>
            <th scope="col">Underlay</th>
            <th scope="col">Pods</th>
            <th scope="col">CNI</th>
            <th scope="col">Observed</th>
            <th scope="col">Map</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((b) => {
            const name = b.data.node ?? b.label;
            return (
              <tr key={b.id}>
                <td>
                  <Link href={nodeHref(name)}>{name}</Link>
                </td>
                <td className="mono">{b.data.internalIP ?? ''}</td>
                <td className="mono">{b.data.subnet}</td>
                <td>{b.data.pods}</td>
                <td>{b.data.cni}</td>
                <td>{b.data.observed ? 'yes' : 'no'}</td>
                <td>
                  <button type="button" onClick={() => onToggle(name)} aria-pressed={expanded.includes(name)}>
                    {expanded.includes(name) ? 'Collapse' : 'Expand'}
                  </button>{' '}
                  <button type="button" onClick={() => onSelect(name)}>
                    Select
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
