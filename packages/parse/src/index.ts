// Public surface of @patchbay/parse. Everything not named here is internal and may change.

// Errors and warnings shared by all parsers.
export { ParseError } from './errors.js';
export type { ParseWarning } from './errors.js';

// iptables-save -> IptablesRuleset
export { chainWarnings, parseIptablesSave } from './iptables/parse.js';
export { checkJumps } from './iptables/checkJumps.js';
export { IptablesParseCache } from './iptables/parseCache.js';
export type {
  AddrMatch,
  Counters,
  DanglingJump,
  IfaceMatch,
  IptablesChain,
  IptablesMatch,
  IptablesMatchKind,
  IptablesRule,
  IptablesRuleset,
  IptablesTable,
  IptablesTableName,
  IptablesTarget,
  IptablesTargetKind,
  L4Match,
  ListMatch,
  MarkMatch,
  NatRange,
  Negatable,
  ParseIptablesOptions,
  PortListMatch,
  PortMatch,
  UnknownOption,
  ValueMatch,
} from './iptables/types.js';

// Address, port and mark helpers every evaluator shares.
export {
  cidrContains,
  formatHex,
  formatIPv4,
  ifaceMatches,
  ipFamily,
  longestPrefixMatch,
  markMatches,
  normaliseProto,
  parseCidr,
  parseIPv4,
  parseIPv6,
  parseMarkMask,
  parsePortRange,
  parseUint32,
  portInRange,
  protoNumber,
} from './net.js';
export type { Cidr, IpFamily, MarkMask, PortRange } from './net.js';

// nft -j list ruleset -> NftModel
export { nftBaseChains, nftRulesFromIptablesNft, parseNftRuleset } from './nft/parse.js';
export { renderExpr, renderRule, renderStatement } from './nft/render.js';
export type {
  NftBaseChain,
  NftChain,
  NftElement,
  NftEvidence,
  NftExpr,
  NftFamily,
  NftMatchOp,
  NftModel,
  NftRule,
  NftSet,
  NftStatement,
  NftStatementKind,
  NftTable,
  ParseNftOptions,
} from './nft/types.js';

// ipvsadm -Ln / /proc/net/ip_vs -> IpvsService[]
export { parseIpvsadm, parseIpvsadmWithWarnings } from './ipvs/parse.js';
export type { IpvsForward, IpvsParseResult, IpvsRealServer, IpvsService } from './ipvs/parse.js';

// ipset save -> Map<name, IpsetSet>
export { ipsetContains, parseIpsetSave, parseIpsetSaveWithWarnings } from './ipset/parse.js';
export type { IpsetDimension, IpsetKeyPart, IpsetMember, IpsetParseResult, IpsetPart, IpsetSet } from './ipset/parse.js';

// One interface for all of the above, and the registry that names them.
export { ipsetReader, iptablesReader, ipvsReader, nftReader, readers } from './readers.js';
export type { DataplaneReader, ReadOptions, ReaderName } from './readers.js';
