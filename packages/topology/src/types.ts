// The topology's output: plain, serialisable graph data with positions precomputed, so that the web app only
// draws (cytoscape with preset positions) and the same input always gives the same picture.

export interface Position {
  x: number;
  y: number;
}

export type MapNodeKind = 'node' | 'namespace' | 'pod' | 'segment';

export interface MapNode {
  /** Stable id: "node/NAME", "node/NAME/ns/NS", "pod/NS/NAME", "segment/NET/LEN". */
  id: string;
  kind: MapNodeKind;
  /** Compound parent id (an expanded node box or a namespace group), or null. */
  parent: string | null;
  label: string;
  /** Centre of the element. For compound parents cytoscape derives the box from the children. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** Kind-specific facts the view shows (counts, IPs). Always JSON. */
  data: MapNodeData;
}

export interface MapNodeData {
  node?: string;
  namespace?: string;
  pod?: string;
  ip?: string | null;
  observed?: boolean;
  expanded?: boolean;
  pods?: number;
  namespaces?: number;
  cni?: string;
  kubeProxy?: string;
  podCIDRs?: string[];
  internalIP?: string | null;
  subnet?: string;
  hostNetwork?: boolean;
}

export type MapEdgeKind = 'underlay' | 'tunnel' | 'route';

export interface MapEdge {
  /** Stable id: "underlay/NODE", "tunnel/A/B", "route/A/B" (A < B). */
  id: string;
  kind: MapEdgeKind;
  source: string;
  target: string;
  label: string;
  /** What in the snapshot shows this link (a route or FDB line). */
  evidence: string[];
}

export interface ClusterMap {
  nodes: MapNode[];
  edges: MapEdge[];
  /** Every pod namespace in the model, sorted, so the view can offer a filter. */
  allNamespaces: string[];
  /** Bounding box of the drawing. */
  bounds: { width: number; height: number };
  totals: { nodes: number; pods: number; shownPods: number; segments: number };
}

export interface ClusterMapOptions {
  /** Node names whose pods are drawn inside their box; other nodes are boxes with counts. */
  expandedNodes?: readonly string[];
  /** Only pods of these namespaces are counted and drawn; empty or absent means all. */
  namespaces?: readonly string[];
  /** Only these nodes are drawn; empty or absent means all. */
  nodes?: readonly string[];
  /** Nodes whose tunnels and direct routes to other nodes are drawn (a selection or a trace). */
  focusNodes?: readonly string[];
}

export type WiringNodeKind = 'netns' | 'device' | 'router';

export interface WiringNode {
  /** A device id, a netns id, or "NETNS/routing" for the host's routing decision. */
  id: string;
  kind: WiringNodeKind;
  parent: string | null;
  label: string;
  x: number;
  y: number;
  /** Device kind (veth, bridge, vxlan, device, ...) or netns kind (host, pod, other). */
  role: string;
  up: boolean | null;
}

export type WiringEdgeKind = 'veth' | 'master' | 'underlay' | 'route';

export interface WiringEdge {
  id: string;
  kind: WiringEdgeKind;
  source: string;
  target: string;
  label: string;
}

export interface DeviceRow {
  id: string;
  netns: string;
  name: string;
  kind: string;
  up: boolean;
  mtu: number;
  mac: string | null;
  addresses: string[];
  master: string | null;
  peer: string | null;
  vxlan: { vni: number | null; local: string | null; port: number | null; dev: string | null; fdb: { mac: string; dst: string | null; node: string | null }[] } | null;
}

export interface PodRow {
  pod: string;
  netns: string | null;
  ip: string | null;
  hostNetwork: boolean;
  eth0: string | null;
  hostVeth: string | null;
  hostVethName: string | null;
}

export interface RouteRow {
  netns: string;
  table: string;
  dst: string;
  gateway: string | null;
  dev: string | null;
  type: string;
  protocol: string | null;
  scope: string | null;
  text: string;
}

export interface RuleRow {
  netns: string;
  priority: number;
  text: string;
}

export interface NeighRow {
  netns: string;
  dst: string;
  dev: string;
  lladdr: string | null;
  state: string;
}

export interface NodeWiring {
  node: string;
  observed: boolean;
  internalIP: string | null;
  podCIDRs: string[];
  cni: string;
  kubeProxy: string;
  nodes: WiringNode[];
  edges: WiringEdge[];
  bounds: { width: number; height: number };
  pods: PodRow[];
  devices: DeviceRow[];
  routes: RouteRow[];
  rules: RuleRow[];
  neighbours: NeighRow[];
}
