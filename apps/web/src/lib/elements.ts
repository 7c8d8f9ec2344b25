import type { ClusterMapData, NodeWiringData, TraceData } from './trpc';

// Pure builders from the API's graph data to cytoscape element definitions (STYLE.md 13). Positions come
// precomputed from @patchbay/topology; styles map from `kind`/classes in graphStyle.ts, never from here.

export interface GraphElement {
  group: 'nodes' | 'edges';
  data: Record<string, unknown> & { id: string };
  position?: { x: number; y: number };
  classes?: string;
}

export interface MapHighlight {
  selected?: string | null;
  /** Element ids on a traced path, with the verdict of the path. */
  onPath?: Map<string, string>;
}

function countLine(pods: number | undefined, ns: number | undefined): string {
  return `${pods ?? 0} pod${pods === 1 ? '' : 's'} · ${ns ?? 0} ns`;
}

export function mapElements(map: ClusterMapData, h: MapHighlight = {}): GraphElement[] {
  const out: GraphElement[] = [];
  for (const n of map.nodes) {
    const classes: string[] = [n.kind];
    if (n.kind === 'node') {
      classes.push(n.data.expanded ? 'expanded' : 'collapsed');
      if (n.data.observed === false) classes.push('unobserved');
    }
    if (h.selected === n.id) classes.push('selected');
    const v = h.onPath?.get(n.id);
    if (v) classes.push('on-path', `verdict-${v}`);
    const label =
      n.kind === 'node' && !n.data.expanded
        ? `${n.label}\n${countLine(n.data.pods, n.data.namespaces)}${n.data.observed === false ? '\nnot observed' : ''}`
        : n.kind === 'namespace'
          ? `${n.label} (${n.data.pods ?? 0})`
          : n.label;
    out.push({
      group: 'nodes',
      data: { id: n.id, kind: n.kind, label, w: n.width, h: n.height, ...(n.parent ? { parent: n.parent } : {}) },
      position: { x: n.x, y: n.y },
      classes: classes.join(' '),
    });
  }
  for (const e of map.edges) {
    out.push({ group: 'edges', data: { id: e.id, source: e.source, target: e.target, label: e.kind === 'underlay' ? '' : e.label, kind: e.kind }, classes: e.kind });
  }
  return out;
}

export function wiringElements(w: NodeWiringData, selected: string | null, onPath: Set<string> = new Set()): GraphElement[] {
  const out: GraphElement[] = [];
  // Compound parents first: cytoscape needs a parent before its children.
  const sorted = [...w.nodes].sort((a, b) => Number(a.kind !== 'netns') - Number(b.kind !== 'netns'));
  for (const n of sorted) {
    const classes: string[] = [n.kind, `role-${n.role}`];
    if (n.up === false) classes.push('down');
    if (selected === n.id) classes.push('selected');
    if (onPath.has(n.id)) classes.push('on-path');
    out.push({
      group: 'nodes',
      data: { id: n.id, kind: n.kind, label: n.kind === 'device' ? `${n.label}\n${n.role}` : n.label, ...(n.parent ? { parent: n.parent } : {}) },
      ...(n.kind === 'netns' ? {} : { position: { x: n.x, y: n.y } }),
      classes: classes.join(' '),
    });
  }
  for (const e of w.edges) out.push({ group: 'edges', data: { id: e.id, source: e.source, target: e.target, label: e.label, kind: e.kind }, classes: e.kind });
  return out;
}

/** The map element a hop happened in: its pod's box, else its node's box. */
export function hopAnchor(hop: { node: string | null; netns: string }): string | null {
  if (hop.netns.startsWith('pod/')) return hop.netns;
  return hop.node ? `node/${hop.node}` : null;
}

export interface TracePathSummary {
  index: number;
  verdict: string;
  weight: number;
  anchors: string[];
}

/** Each path of a trace as the sequence of map elements it passes, consecutive repeats folded. */
export function tracePaths(trace: TraceData): TracePathSummary[] {
  const start = trace.query.from.startsWith('pod/') ? trace.query.from : trace.query.from.startsWith('node/') ? trace.query.from : null;
  return trace.paths.map((p, index) => {
    const anchors: string[] = [];
    const push = (a: string | null) => {
      if (a && anchors[anchors.length - 1] !== a) anchors.push(a);
    };
    push(start);
    for (const hop of p.hops) push(hopAnchor(hop));
    if (p.endpoint?.pod) push(`pod/${p.endpoint.pod}`);
    return { index, verdict: p.verdict, weight: p.weight, anchors };
  });
}

/** The nodes a trace touches, to draw them expanded with the path on top. */
export function traceNodes(trace: TraceData): string[] {
  const names = new Set<string>();
  for (const p of trace.paths) {
    for (const h of p.hops) if (h.node) names.add(h.node);
    if (p.endpoint?.node) names.add(p.endpoint.node);
    for (const h of p.reply?.hops ?? []) if (h.node) names.add(h.node);
  }
  if (trace.query.from.startsWith('node/')) names.add(trace.query.from.slice(5));
  return [...names].sort();
}

/** Overlay edges for the traced paths: colour from the verdict class, width from the path's weight. */
export function traceElements(map: ClusterMapData, trace: TraceData): GraphElement[] {
  const paths = tracePaths(trace);
  const onPath = new Map<string, string>();
  const present = new Set(map.nodes.map((n) => n.id));
  for (const p of paths) for (const a of p.anchors) if (present.has(a) && !onPath.has(a)) onPath.set(a, p.verdict);
  const base = mapElements(map, { onPath });
  const nodeOfPod = new Map(map.nodes.filter((n) => n.kind === 'pod' && n.data.node).map((n) => [n.id, `node/${n.data.node}`]));
  for (const p of paths) {
    // An edge between a node box and a pod inside it draws as a loop; the pod alone says where the packet is.
    const drawn = p.anchors.filter((a) => present.has(a));
    const anchors = drawn
      .filter((a, i) => !(a.startsWith('node/') && [drawn[i - 1], drawn[i + 1]].some((n) => n !== undefined && nodeOfPod.get(n) === a)))
      .filter((a, i, all) => i === 0 || all[i - 1] !== a);
    for (let i = 0; i + 1 < anchors.length; i++) {
      base.push({
        group: 'edges',
        data: {
          id: `trace/${p.index}/${i}`,
          source: anchors[i] as string,
          target: anchors[i + 1] as string,
          label: i === 0 && paths.length > 1 ? `${Math.round(p.weight * 100)}%` : '',
          width: 2 + Math.round(6 * p.weight),
          kind: 'trace',
        },
        classes: `trace verdict-${p.verdict}`,
      });
    }
  }
  return base;
}
