export { BlobRef, TextSection, isBlobRef } from './blob.js';
export { BridgeFdb, BridgeLink, IpAddr, IpLink, IpNeigh, IpRoute, IpRule, LinkInfo } from './iproute.js';
export {
  CniFile,
  CollectorError,
  DiscoveryMethod,
  IptablesDump,
  NamespaceFoundBy,
  NamespaceState,
  NftRuleset,
  NodeSnapshot,
  PodRef,
} from './snapshot.js';
export type { NodeSnapshotInput } from './snapshot.js';
export {
  ContainerPort,
  EndpointSlice,
  KnownKinds,
  KubeList,
  LabelSelector,
  Namespace,
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  Node,
  ObjectMeta,
  Pod,
  Service,
  ServicePort,
  emptyCluster,
} from './kube.js';
export type { ClusterObjects, KnownKind, RejectedObject } from './kube.js';
export { Hop, Packet, PathEndpoint, Proto, Stage, Trace, TracePath, TraceQuery, Verdict } from './trace.js';
export { BundleMeta } from './bundle.js';
export { EndpointError, formatEndpoint, isIPv4, parseEndpoint } from './endpoint.js';
export type { Endpoint } from './endpoint.js';
export { formatProblem, isError, jsonPath, quoteInput, zodProblems } from './problems.js';
export { DEFAULT_MAX_JSON_DEPTH, depthProblem, tooDeepAt } from './jsonDepth.js';
export type { Problem } from './problems.js';
export { parseClusterList } from './clusterList.js';
export type { ParseClusterListOptions } from './clusterList.js';
