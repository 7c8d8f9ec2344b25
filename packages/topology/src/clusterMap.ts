import type { ClusterModel, PodModel } from '@patchbay/resolve';
import { nodeLinks } from './nodeLinks.js';
import type { ClusterMap, ClusterMapOptions, MapEdge, MapNode } from './types.js';
import { underlaySubnets } from './underlay.js';

// Sizes in model units (cytoscape pixels at zoom 1). The layout is a grid per underlay subnet, nodes sorted by
// name: the same model and options always give the same positions, and a reload that changes pods does not
// move the node boxes of a collapsed map.
export const NODE_W = 180;
export const NODE_H = 64;
const GAP = 40;
const POD_W = 130;
const POD_H = 30;
const NS_HEADER = 26;
const NS_GAP = 16;
const NODE_HEADER = 34;
const NODE_PAD = 14;
const SEGMENT_H = 14;
const SEGMENT_GAP = 70;
const BLOCK_GAP = 120;

interface Box {
  name: string;
  width: number;
  height: number;
  groups: { namespace: string; pods: PodModel[]; cols: number; rows: number }[];
  expanded: boolean;
  podCount: number;
  namespaceCount: number;
}

function podGrid(count: number): { cols: number; rows: number } {
  const cols = Math.max(1, Math.min(12, Math.ceil(Math.sqrt(count * 2))));
  return { cols, rows: Math.max(1, Math.ceil(count / cols)) };
}

function boxFor(name: string, pods: PodModel[], expanded: boolean): Box {
  const byNs = new Map<string, PodModel[]>();
  for (const p of pods) byNs.set(p.namespace, [...(byNs.get(p.namespace) ?? []), p]);
  const namespaces = [...byNs.keys()].sort();
  const groups = namespaces.map((ns) => {
    const list = (byNs.get(ns) ?? []).sort((a, b) => a.name.localeCompare(b.name));
    return { namespace: ns, pods: list, ...podGrid(list.length) };
  });
  if (!expanded || groups.length === 0) {
    return { name, width: NODE_W, height: NODE_H, groups, expanded: expanded && groups.length > 0, podCount: pods.length, namespaceCount: groups.length };
  }
  const innerW = Math.max(...groups.map((g) => g.cols * POD_W));
  const innerH = groups.reduce((h, g) => h + NS_HEADER + g.rows * POD_H + NS_GAP, 0) - NS_GAP;
  return {
    name,
    width: Math.max(NODE_W, innerW + 2 * NODE_PAD),
    height: NODE_HEADER + innerH + NODE_PAD,
    groups,
    expanded: true,
    podCount: pods.length,
    namespaceCount: groups.length,
  };
}

export function buildClusterMap(model: ClusterModel, opts: ClusterMapOptions = {}): ClusterMap {
  const expanded = new Set(opts.expandedNodes ?? []);
  const nsFilter = opts.namespaces && opts.namespaces.length > 0 ? new Set(opts.namespaces) : null;
  const nodeFilter = opts.nodes && opts.nodes.length > 0 ? new Set(opts.nodes) : null;

  const allNamespaces = [...new Set([...model.pods.values()].map((p) => p.namespace))].sort();
  const podsByNode = new Map<string, PodModel[]>();
  for (const pod of model.pods.values()) {
    if (!pod.node || (nsFilter && !nsFilter.has(pod.namespace))) continue;
    const list = podsByNode.get(pod.node);
    if (list) list.push(pod);
    else podsByNode.set(pod.node, [pod]);
  }

  const subnets = underlaySubnets(model);
  const bySubnet = new Map<string, string[]>();
  for (const name of [...model.nodes.keys()].sort()) {
    if (nodeFilter && !nodeFilter.has(name)) continue;
    const s = subnets.get(name) ?? 'unknown';
    bySubnet.set(s, [...(bySubnet.get(s) ?? []), name]);
  }
  const subnetOrder = [...bySubnet.keys()].sort((a, b) => (a === 'unknown' ? 1 : b === 'unknown' ? -1 : a.localeCompare(b, 'en', { numeric: true })));

  const nodes: MapNode[] = [];
  const edges: MapEdge[] = [];
  let top = 0;
  let maxWidth = 0;
  let shownPods = 0;

  for (const subnet of subnetOrder) {
    const names = bySubnet.get(subnet) ?? [];
    const boxes = names.map((n) => boxFor(n, podsByNode.get(n) ?? [], expanded.has(n)));
    const cols = Math.max(1, Math.ceil(Math.sqrt(boxes.length * 1.6)));
    const colW: number[] = [];
    const rowH: number[] = [];
    boxes.forEach((b, i) => {
      const c = i % cols;
      const r = Math.floor(i / cols);
      colW[c] = Math.max(colW[c] ?? 0, b.width);
      rowH[r] = Math.max(rowH[r] ?? 0, b.height);
    });
    const colX: number[] = [];
    let x = 0;
    for (const w of colW) {
      colX.push(x);
      x += w + GAP;
    }
    const blockW = Math.max(x - GAP, NODE_W);
    const segId = `segment/${subnet}`;
    nodes.push({
      id: segId,
      kind: 'segment',
      parent: null,
      label: subnet === 'unknown' ? 'underlay unknown' : `underlay ${subnet}`,
      x: blockW / 2,
      y: top + SEGMENT_H / 2,
      width: blockW,
      height: SEGMENT_H,
      data: { subnet },
    });
    const gridTop = top + SEGMENT_H + SEGMENT_GAP;
    const rowY: number[] = [];
    let y = gridTop;
    for (const h of rowH) {
      rowY.push(y);
      y += h + GAP;
    }

    boxes.forEach((b, i) => {
      const left = colX[i % cols] ?? 0;
      const boxTop = rowY[Math.floor(i / cols)] ?? gridTop;
      const model_ = model.nodes.get(b.name);
      const id = `node/${b.name}`;
      nodes.push({
        id,
        kind: 'node',
        parent: null,
        label: b.name,
        x: left + b.width / 2,
        y: boxTop + b.height / 2,
        width: b.width,
        height: b.height,
        data: {
          node: b.name,
          observed: model_?.observed ?? false,
          expanded: b.expanded,
          pods: b.podCount,
          namespaces: b.namespaceCount,
          cni: model_?.cni.kind ?? 'unknown',
          kubeProxy: model_?.kubeProxy.mode ?? 'unknown',
          podCIDRs: model_?.podCIDRs ?? [],
          internalIP: model_?.internalIP ?? null,
          subnet,
        },
      });
      edges.push({ id: `underlay/${b.name}`, kind: 'underlay', source: id, target: segId, label: model_?.internalIP ?? '', evidence: [] });
      if (!b.expanded) return;
      let gy = boxTop + NODE_HEADER;
      for (const g of b.groups) {
        const gid = `${id}/ns/${g.namespace}`;
        const gh = NS_HEADER + g.rows * POD_H;
        nodes.push({
          id: gid,
          kind: 'namespace',
          parent: id,
          label: g.namespace,
          x: left + NODE_PAD + (g.cols * POD_W) / 2,
          y: gy + gh / 2,
          width: g.cols * POD_W,
          height: gh,
          data: { node: b.name, namespace: g.namespace, pods: g.pods.length },
        });
        g.pods.forEach((p, j) => {
          shownPods += 1;
          nodes.push({
            id: `pod/${p.key}`,
            kind: 'pod',
            parent: gid,
            label: p.name,
            x: left + NODE_PAD + (j % g.cols) * POD_W + POD_W / 2,
            y: gy + NS_HEADER + Math.floor(j / g.cols) * POD_H + POD_H / 2,
            width: POD_W - 10,
            height: POD_H - 8,
            data: { node: b.name, namespace: p.namespace, pod: p.key, ip: p.ip, hostNetwork: p.hostNetwork },
          });
        });
        gy += gh + NS_GAP;
      }
    });
    maxWidth = Math.max(maxWidth, blockW);
    top = y - GAP + BLOCK_GAP;
  }

  const shown = new Set(nodes.filter((n) => n.kind === 'node').map((n) => n.data.node));
  const links = opts.focusNodes?.length ? nodeLinks(model, opts.focusNodes).filter((e) => shown.has(e.source.slice(5)) && shown.has(e.target.slice(5))) : [];

  return {
    nodes,
    edges: [...edges, ...links],
    allNamespaces,
    bounds: { width: maxWidth, height: Math.max(0, top - BLOCK_GAP) },
    totals: { nodes: model.nodes.size, pods: model.pods.size, shownPods, segments: subnetOrder.length },
  };
}
