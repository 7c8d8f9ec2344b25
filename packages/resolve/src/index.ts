// Public surface of @patchbay/resolve: resolveBundle, the model types, and the IPv4/routing helpers the tracer
// and topology share.
export type * from './model.js';
export { resolveBundle } from './resolveBundle.js';
export { buildRouting, formatRoute, formatRule, lookupRoute, lookupTable } from './routing.js';
export type { FlowKey, LookupResult, NextHop, RouteEntry, RouteTable, RouteType, RoutingModel, RuleAction, RuleEntry } from './routing.js';
export { cidrContains, formatCidr, inCidr, intToIp, ipToInt, maskOf, parseCidr } from './ipv4.js';
export type { Cidr } from './ipv4.js';
