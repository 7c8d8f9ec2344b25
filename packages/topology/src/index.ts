// Public surface of @patchbay/topology: pure builders from a ClusterModel to graph data with positions.
export { buildClusterMap, NODE_H, NODE_W } from './clusterMap.js';
export { buildNodeWiring, UnknownNodeError } from './nodeWiring.js';
export { nodeLinks } from './nodeLinks.js';
export { underlaySubnets } from './underlay.js';
export type {
  ClusterMap,
  ClusterMapOptions,
  DeviceRow,
  MapEdge,
  MapEdgeKind,
  MapNode,
  MapNodeData,
  MapNodeKind,
  NeighRow,
  NodeWiring,
  PodRow,
  Position,
  RouteRow,
  RuleRow,
  WiringEdge,
  WiringEdgeKind,
  WiringNode,
  WiringNodeKind,
} from './types.js';
