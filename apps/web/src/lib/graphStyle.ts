import type { Palette } from './theme';

// Cytoscape styles for every element kind, from the theme's palette. Kept apart from the graph data.
type Style = { selector: string; style: Record<string, unknown> };

function verdictStyles(p: Palette): Style[] {
  return Object.entries(p.verdict).flatMap(([v, colour]) => [
    { selector: `edge.trace.verdict-${v}`, style: { 'line-color': colour, 'target-arrow-color': colour } },
    { selector: `node.on-path.verdict-${v}`, style: { 'border-color': colour } },
  ]);
}

export function mapStyle(p: Palette): Style[] {
  return [
    { selector: 'node', style: { label: 'data(label)', color: p.fg, 'font-size': 11, 'font-family': 'system-ui, sans-serif', 'text-wrap': 'wrap', 'min-zoomed-font-size': 7, 'text-valign': 'center', 'text-halign': 'center' } },
    { selector: 'node.node', style: { shape: 'round-rectangle', width: 'data(w)', height: 'data(h)', 'background-color': p.box, 'border-width': 1.5, 'border-color': p.boxBorder } },
    { selector: 'node.node.expanded', style: { 'text-valign': 'top', 'text-margin-y': -4, 'font-weight': 'bold', padding: 14 } },
    { selector: 'node.node.unobserved', style: { 'border-style': 'dashed', 'background-color': p.unobserved } },
    { selector: 'node.namespace', style: { shape: 'round-rectangle', 'background-color': p.group, 'border-width': 1, 'border-color': p.edge, 'text-valign': 'top', 'text-margin-y': -2, color: p.muted, padding: 6, 'font-size': 10 } },
    { selector: 'node.pod', style: { shape: 'round-rectangle', width: 'data(w)', height: 'data(h)', 'background-color': p.pod, 'border-width': 1, 'border-color': p.podBorder, 'font-size': 10, 'text-max-width': 'data(w)', 'text-overflow-wrap': 'anywhere' } },
    { selector: 'node.segment', style: { shape: 'rectangle', width: 'data(w)', height: 'data(h)', 'background-color': p.segment, 'text-valign': 'top', 'text-margin-y': -4, color: p.segment, 'font-weight': 'bold' } },
    { selector: 'edge', style: { width: 1.5, 'line-color': p.edge, 'curve-style': 'bezier', label: 'data(label)', 'font-size': 10, color: p.muted, 'text-background-color': p.bg, 'text-background-opacity': 0.8, 'min-zoomed-font-size': 8 } },
    { selector: 'edge.underlay', style: { 'curve-style': 'taxi', 'taxi-direction': 'vertical', 'line-color': p.segment, opacity: 0.5, width: 1 } },
    { selector: 'edge.tunnel', style: { 'line-color': p.tunnel, 'line-style': 'dashed', width: 3, 'z-compound-depth': 'top' } },
    { selector: 'edge.route', style: { 'line-color': p.route, width: 3, 'z-compound-depth': 'top' } },
    { selector: 'edge.trace', style: { width: 'data(width)', 'target-arrow-shape': 'triangle', 'curve-style': 'bezier', 'z-index': 10, 'z-compound-depth': 'top', 'font-weight': 'bold', color: p.fg } },
    { selector: 'node.on-path', style: { 'border-width': 4 } },
    { selector: 'node.selected', style: { 'border-width': 4, 'border-color': p.accent } },
    ...verdictStyles(p),
  ];
}

export function wiringStyle(p: Palette): Style[] {
  return [
    { selector: 'node', style: { label: 'data(label)', color: p.fg, 'font-size': 11, 'font-family': 'system-ui, sans-serif', 'text-wrap': 'wrap', 'text-valign': 'center', 'text-halign': 'center' } },
    { selector: 'node.netns', style: { shape: 'round-rectangle', 'background-color': p.group, 'border-width': 1, 'border-color': p.boxBorder, 'text-valign': 'top', 'text-margin-y': -2, color: p.muted, padding: 10 } },
    { selector: 'node.netns.role-host', style: { 'background-color': p.box, 'font-weight': 'bold' } },
    { selector: 'node.device', style: { shape: 'round-rectangle', width: 110, height: 38, 'background-color': p.pod, 'border-width': 1, 'border-color': p.podBorder } },
    { selector: 'node.role-bridge', style: { width: 150, 'background-color': p.group, 'border-color': p.segment, 'border-width': 2 } },
    { selector: 'node.role-vxlan, node.role-ipip, node.role-wireguard, node.role-geneve', style: { 'border-color': p.tunnel, 'border-width': 2 } },
    { selector: 'node.router', style: { shape: 'diamond', width: 60, height: 60, 'background-color': p.route, color: p.fg, 'text-valign': 'bottom', 'text-margin-y': 6 } },
    { selector: 'node.down', style: { 'border-color': p.down, 'border-style': 'dashed', 'border-width': 2 } },
    { selector: 'edge', style: { width: 1.5, 'line-color': p.edge, 'curve-style': 'bezier', label: 'data(label)', 'font-size': 9, color: p.muted, 'text-background-color': p.bg, 'text-background-opacity': 0.8 } },
    { selector: 'edge.veth', style: { width: 3, 'line-color': p.podBorder } },
    { selector: 'edge.master', style: { 'line-style': 'dotted', 'line-color': p.segment } },
    { selector: 'edge.underlay', style: { 'line-style': 'dashed', 'line-color': p.tunnel, width: 2 } },
    { selector: 'edge.route', style: { 'line-color': p.route } },
    { selector: 'node.on-path', style: { 'border-width': 4, 'border-color': p.verdict.delivered ?? p.accent } },
    { selector: 'node.selected', style: { 'border-width': 4, 'border-color': p.accent } },
  ];
}
