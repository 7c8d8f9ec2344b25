// kube-proxy rule writers: pure functions from Kubernetes API objects to the rules kube-proxy would program on
// one node (iptables-restore text, nft -f script), plus the naming and endpoint helpers they are built on.
export type { KubeProxyOptions } from './options.js';
export { KubeProxyOptionsSchema } from './options.js';
export { renderIptablesRules, renderIptablesFromPorts, statisticProbability } from './iptables.js';
export type { IptablesFragment, IptablesRenderOptions } from './iptables.js';
export { renderNftRules, renderNftFromPorts } from './nftables.js';
export { endpointsForNode, localizePorts } from './servicePorts.js';
export type { EndpointInfo, ServicePortInfo } from './servicePorts.js';
export {
  endpointChainName,
  nftAffinitySetName,
  nftEndpointBase,
  nftEndpointChainName,
  nftHashedName,
  nftServiceBase,
  nftServiceChainName,
  serviceChainHash,
  serviceChainName,
  servicePortName,
} from './names.js';
export type { L4Proto, NftServiceRole, ServiceChainRole } from './names.js';
export { TOLERATED_DIFFERENCES, canonicalIptables, canonicalNft, compareIptables, compareNft, parseIptablesSave, parseNftList, unifiedDiff } from './fidelity.js';
export type { FidelityMode, FidelityReport, FidelitySide, ToleratedDifference } from './fidelity.js';
