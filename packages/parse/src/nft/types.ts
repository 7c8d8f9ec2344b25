// The nftables model read from `nft -j list ruleset`. Contract: the tracer evaluates statements in rule order
// and quotes `evidence`. Expressions keep their structure (payload/meta/ct/fib/numgen, concatenations, set
// references) so one evaluator can handle kube-proxy's vmaps and any hand-written ruleset alike.

import type { ParseWarning } from '../errors.js';

export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

export interface NftModel {
  /** From the metainfo object; null when absent. */
  metainfo: { version: string | null; releaseName: string | null; jsonSchemaVersion: number | null } | null;
  /** Tables in input order. */
  tables: NftTable[];
  warnings: ParseWarning[];
  /** Jumps/gotos/vmap verdicts naming a chain that the table does not have. */
  danglingJumps: Array<{ family: string; table: string; chain: string; handle: number | null; target: string }>;
}

export interface NftTable {
  family: NftFamily | string;
  name: string;
  handle: number | null;
  comment?: string;
  flags: string[];
  /**
   * "iptables-nft" when iptables-nft (or ebtables/arptables-nft) writes this table: its rules carry `xt`
   * expressions or it is one of iptables' tables with iptables' built-in chain names. The tracer reads
   * such tables through the iptables-save view instead, so they are not counted twice.
   */
  managedBy: 'iptables-nft' | null;
  /** Chains in input order, keyed by name (null-prototype record). */
  chains: Record<string, NftChain>;
  /** Named sets and maps, keyed by name (null-prototype record). */
  sets: Record<string, NftSet>;
}

export interface NftBaseChain {
  /** filter / nat / route. */
  type: string;
  /** prerouting / input / forward / output / postrouting / ingress / egress. */
  hook: string;
  /** Numeric priority (dstnat = -100, filter = 0, srcnat = 100 for ip families). */
  prio: number;
  policy: 'accept' | 'drop';
  device?: string | string[];
}

export interface NftChain {
  family: string;
  table: string;
  name: string;
  handle: number | null;
  /** Set for base chains (attached to a hook); null for regular chains reached by jump/goto. */
  base: NftBaseChain | null;
  comment?: string;
  rules: NftRule[];
}

export interface NftSet {
  kind: 'set' | 'map';
  family: string;
  table: string;
  name: string;
  handle: number | null;
  /** Key type, one entry per concatenated part: ["ipv4_addr", "inet_proto", "inet_service"]. */
  keyType: string[];
  /** For maps: the data type ("verdict", "ipv4_addr", ...); null for sets. */
  dataType: string | null;
  flags: string[];
  /** Default element timeout in seconds. */
  timeout?: number;
  comment?: string;
  elements: NftElement[];
}

/** One set/map element. Keys and values are normalised (protocol numbers -> names where the type says so). */
export interface NftElement {
  key: NftExpr;
  /** Map data: a verdict for verdict maps, else a value/concat. */
  value?: NftExpr;
  comment?: string;
  timeout?: number;
  expires?: number;
  counter?: { packets: number; bytes: number };
}

/** Expressions, left or right of a match, keys of vmaps, values of mangle/nat. */
export type NftExpr =
  | { kind: 'value'; value: string | number | boolean }
  | { kind: 'prefix'; addr: string; len: number }
  | { kind: 'range'; from: NftExpr; to: NftExpr }
  | { kind: 'concat'; parts: NftExpr[] }
  /** Anonymous set or map `{ a, b }` / `{ 0 : goto x }`. */
  | { kind: 'set'; elements: NftElement[] }
  /** `@name`: a named set or map of the same table. */
  | { kind: 'setref'; name: string }
  | { kind: 'verdict'; verdict: 'accept' | 'drop' | 'return' | 'continue' | 'jump' | 'goto'; target?: string }
  | { kind: 'payload'; protocol: string; field: string }
  /** Raw payload `@th,16,16`. */
  | { kind: 'rawpayload'; base: string; offset: number; len: number }
  | { kind: 'meta'; key: string }
  | { kind: 'ct'; key: string; dir?: string; family?: string }
  | { kind: 'fib'; result: string; flags: string[] }
  | { kind: 'numgen'; mode: string; mod: number; offset: number }
  | { kind: 'binop'; op: '&' | '|' | '^' | '<<' | '>>'; left: NftExpr; right: NftExpr }
  /** A map lookup used as a value (`numgen random mod 2 map { 0 : 10.244.1.5 . 8080 }`). */
  | { kind: 'map'; key: NftExpr; data: NftExpr }
  /** Anything else, verbatim (a warning says so). */
  | { kind: 'unknown'; raw: unknown };

export type NftMatchOp = '==' | '!=' | '<' | '>' | '<=' | '>=' | 'in';

export type NftStatement =
  | { kind: 'match'; op: NftMatchOp; left: NftExpr; right: NftExpr }
  | { kind: 'accept' }
  | { kind: 'drop' }
  | { kind: 'return' }
  | { kind: 'continue' }
  | { kind: 'jump'; target: string }
  | { kind: 'goto'; target: string }
  | { kind: 'reject'; type: string | null; expr: string | null }
  /** Verdict map: look `key` up in `data` (setref or anonymous map) and apply the verdict found. */
  | { kind: 'vmap'; key: NftExpr; data: NftExpr }
  | { kind: 'dnat' | 'snat'; family: string | null; addr: NftExpr | null; port: NftExpr | null; flags: string[] }
  | { kind: 'masquerade' | 'redirect'; port: NftExpr | null; flags: string[] }
  | { kind: 'mangle'; key: NftExpr; value: NftExpr }
  | { kind: 'setop'; op: 'add' | 'update' | 'delete'; elem: NftExpr; set: string }
  /** Anonymous counter with its values (named counters have `name`). */
  | { kind: 'counter'; packets: number; bytes: number; name?: string }
  | { kind: 'notrack' }
  | { kind: 'log'; prefix: string | null; level: string | null; group: number | null }
  | { kind: 'limit'; rate: number; per: string; burst: number; unit: string; inv: boolean }
  /** An iptables extension inside an iptables-nft rule; only its name is in the JSON. */
  | { kind: 'xt'; type: string; name: string }
  | { kind: 'unknown'; name: string; raw: unknown };

export type NftStatementKind = NftStatement['kind'];

export interface NftRule {
  family: string;
  table: string;
  chain: string;
  handle: number | null;
  /** 0-based position in its chain (array order of the JSON). */
  index: number;
  comment?: string;
  statements: NftStatement[];
  /** Sum of the rule's anonymous counter statements; null when it has none. */
  counters: { packets: number; bytes: number } | null;
  /** "nft / <family> <table> / <chain>", the command and place the rule came from. */
  origin: string;
  evidence: NftEvidence;
}

export interface NftEvidence {
  /** The rule in nft syntax, e.g. `ip daddr . meta l4proto . th dport vmap @service-ips`. */
  text: string;
  family: string;
  table: string;
  chain: string;
  handle: number | null;
}

export interface ParseNftOptions {
  strict?: boolean;
  /** Origin prefix, default "nft". */
  origin?: string;
}
