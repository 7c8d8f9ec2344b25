import type { NftRuleset } from '@patchbay/schema';
import type { RuleChain, RuleEndpoint } from './serviceRules.js';

// kube-proxy's nftables mode (table ip/ip6 kube-proxy), read from `nft -j list ruleset` and shown as short
// nft-like text. The service-ips / service-nodeports maps send a destination to "service-HASH-NS/NAME/PROTO/PORT"
// (or "local-…" for traffic policy Local, "external-…" for node ports and external IPs). Two layouts exist in
// the field, and both are read because clusters run older kube-proxy releases long after 1.36 ships:
// - kube-proxy 1.36 (what the lab runs): the service/local chain DNATs itself through
//   `dnat ip to numgen random mod N map { i : IP . PORT }`; "endpoint-…" chains exist only for ClientIP
//   affinity, reached through `numgen … vmap { i : goto endpoint-… }`.
// - earlier nftables-mode releases: every endpoint has an "endpoint-HASH-…__IP/PORT" chain that DNATs, always
//   reached through the numgen vmap.

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const BINARY_OPS = ['|', '&', '^', '<<', '>>'];

function valueText(v: unknown): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `{ ${v.map(valueText).join(', ')} }`;
  if (!isObj(v)) return 'null';
  if (isObj(v.payload)) return `${v.payload.protocol} ${v.payload.field}`;
  if (isObj(v.meta)) return `meta ${v.meta.key}`;
  if (isObj(v.ct)) return `ct ${v.ct.key}`;
  if (isObj(v.fib)) return `fib ${Array.isArray(v.fib.flags) ? v.fib.flags.join(' . ') : String(v.fib.flags ?? '')} ${v.fib.result}`;
  if (isObj(v.prefix)) return `${v.prefix.addr}/${v.prefix.len}`;
  if (Array.isArray(v.concat)) return v.concat.map(valueText).join(' . ');
  if (isObj(v.numgen)) return `numgen ${v.numgen.mode} mod ${v.numgen.mod}`;
  if (isObj(v.map)) return `${valueText(v.map.key)} map ${pairsText(v.map.data)}`;
  if (isObj(v.set) || Array.isArray(v.set)) return valueText(v.set);
  if (isObj(v.goto)) return `goto ${v.goto.target}`;
  if (isObj(v.jump)) return `jump ${v.jump.target}`;
  for (const op of BINARY_OPS) {
    const args = v[op];
    // nft prints the constant of a mark operation as 32-bit hex.
    if (Array.isArray(args) && args.length === 2) return `${valueText(args[0])} ${op} ${typeof args[1] === 'number' ? `0x${args[1].toString(16).padStart(8, '0')}` : valueText(args[1])}`;
  }
  return JSON.stringify(v);
}

/** `{ k : v, … }` of an inline map's data (a `set` of [key, value] pairs), or the named map it refers to. */
function pairsText(data: unknown): string {
  if (!isObj(data) || !Array.isArray(data.set)) return valueText(data);
  return `{ ${(data.set as unknown[]).map((p) => (Array.isArray(p) ? `${valueText(p[0])} : ${valueText(p[1])}` : valueText(p))).join(', ')} }`;
}

function statementText(s: unknown): string {
  if (!isObj(s)) return String(s);
  if (isObj(s.match)) return `${valueText(s.match.left)} ${s.match.op === '==' || s.match.op === 'in' ? '' : `${s.match.op} `}${valueText(s.match.right)}`;
  if (isObj(s.jump)) return `jump ${s.jump.target}`;
  if (isObj(s.goto)) return `goto ${s.goto.target}`;
  if (isObj(s.dnat)) return `dnat ${typeof s.dnat.family === 'string' ? `${s.dnat.family} ` : ''}to ${valueText(s.dnat.addr)}${s.dnat.port !== undefined ? `:${valueText(s.dnat.port)}` : ''}`;
  if (isObj(s.vmap)) return `${valueText(s.vmap.key)} vmap ${pairsText(s.vmap.data)}`;
  if (isObj(s.mangle)) return `${valueText(s.mangle.key)} set ${valueText(s.mangle.value)}`;
  if (isObj(s.set)) return `${s.set.op} ${s.set.set} { ${valueText(s.set.elem)} }`;
  if (isObj(s.counter)) return `counter packets ${s.counter.packets} bytes ${s.counter.bytes}`;
  const [k] = Object.keys(s);
  return k ? (s[k] === null ? k : `${k} ${JSON.stringify(s[k])}`) : '';
}

function ruleText(rule: Obj): string {
  const text = Array.isArray(rule.expr) ? rule.expr.map(statementText).join(' ') : '';
  return typeof rule.comment === 'string' ? `${text} comment ${JSON.stringify(rule.comment)}` : text;
}

const CHAIN = /^(service|local|external|firewall|endpoint)-[A-Z0-9]+-([^/]+)\/([^/]+)\//;
/** The service port a chain belongs to ("NS/NAME/PROTO/PORTNAME"), the same in its service-, local- and endpoint- chains. */
const portOf = (chain: string) => /^[a-z]+-[A-Z0-9]+-([^/]+\/[^/]+\/[^/]+\/[^/_]*)/.exec(chain)?.[1] ?? chain;

/** The endpoint (IP, port) of a map element's value: `IP . PORT` as kube-proxy 1.36 writes it. */
function ipPort(v: unknown, port: unknown): { ip: string; port: number } | null {
  if (isObj(v) && Array.isArray(v.concat) && v.concat.length === 2 && typeof v.concat[0] === 'string' && typeof v.concat[1] === 'number') return { ip: v.concat[0], port: v.concat[1] };
  if (typeof v === 'string' && typeof port === 'number') return { ip: v, port };
  return null;
}

/** Numgen keys spread new connections evenly over 0..mod-1; each map entry gets 1/mod. */
function numgenEntries(key: unknown, data: unknown): { share: number; value: unknown }[] {
  if (!isObj(key) || !isObj(key.numgen) || !isObj(data) || !Array.isArray(data.set)) return [];
  const mod = Number(key.numgen.mod) || 1;
  return (data.set as unknown[]).filter(Array.isArray).map((p) => ({ share: 1 / mod, value: (p as unknown[])[1] }));
}

interface Share {
  /** The chain whose numgen gives the share: a service- chain's wins over a local- chain's, as in iptables mode. */
  from: string;
  share: number;
}

/** Adds a share seen in chain `from`, keeping the service- (cluster policy) chain's when both reach an endpoint. */
function addShare(shares: Map<string, Share>, key: string, from: string, share: number): void {
  const had = shares.get(key);
  if (!had || (from.startsWith('service-') && !had.from.startsWith('service-'))) shares.set(key, { from, share });
  else if (had.from === from) had.share += share;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

export function nftServiceRules(ruleset: NftRuleset, svc: { namespace: string; name: string }): { chains: RuleChain[]; endpoints: RuleEndpoint[] } {
  // Keyed by family and name: the ip and ip6 tables of a dual-stack node use the same chain names.
  const chains = new Map<string, RuleChain & { name: string }>();
  const mapLines: string[] = [];
  const wanted = (name: string) => {
    const m = CHAIN.exec(name);
    return m !== null && m[2] === svc.namespace && m[3] === svc.name;
  };
  const tableLabel = (family: unknown) => (family === 'ip' || family === undefined ? 'kube-proxy' : `${String(family)} kube-proxy`);
  const key = (family: unknown, name: unknown) => `${String(family)} ${String(name)}`;
  // kube-proxy comments no-endpoint elements with the service port name: "NS/NAME:PORT", or "NS/NAME" unnamed.
  const ownComment = (c: string) => c === `${svc.namespace}/${svc.name}` || c.startsWith(`${svc.namespace}/${svc.name}:`);
  for (const item of ruleset.nftables) {
    if (!isObj(item)) continue;
    if (isObj(item.chain) && item.chain.table === 'kube-proxy' && typeof item.chain.name === 'string' && wanted(item.chain.name)) {
      chains.set(key(item.chain.family, item.chain.name), { table: tableLabel(item.chain.family), chain: item.chain.name, rules: [], name: item.chain.name });
    }
    if (isObj(item.map) && item.map.table === 'kube-proxy' && Array.isArray(item.map.elem)) {
      const label = item.map.family === 'ip' || item.map.family === undefined ? String(item.map.name) : `${String(item.map.family)} ${String(item.map.name)}`;
      for (const e of item.map.elem as unknown[]) {
        if (!Array.isArray(e)) continue;
        const target = isObj(e[1]) && isObj(e[1].goto) ? String(e[1].goto.target) : '';
        const comment = isObj(e[0]) && isObj(e[0].elem) ? String(e[0].elem.comment ?? '') : '';
        if (wanted(target) || ownComment(comment)) mapLines.push(`map ${label}: ${valueText(isObj(e[0]) && isObj(e[0].elem) ? e[0].elem.val : e[0])} : ${valueText(e[1])}`);
      }
    }
  }

  // Endpoint chains by their share (old layout, or 1.36 with affinity), and endpoints DNATed straight from a
  // numgen map (1.36), by service port and address.
  const chainShares = new Map<string, Share>();
  const mapShares = new Map<string, Share>();
  const mapEndpoints = new Map<string, { ip: string; port: number }>();
  const direct: { chain: string; ip: string; port: number }[] = [];
  for (const item of ruleset.nftables) {
    if (!isObj(item) || !isObj(item.rule) || item.rule.table !== 'kube-proxy') continue;
    const chain = chains.get(key(item.rule.family, item.rule.chain));
    if (!chain) continue;
    chain.rules.push(ruleText(item.rule));
    for (const s of Array.isArray(item.rule.expr) ? item.rule.expr : []) {
      if (!isObj(s)) continue;
      if (isObj(s.vmap)) {
        for (const { share, value } of numgenEntries(s.vmap.key, s.vmap.data)) {
          if (isObj(value) && isObj(value.goto)) addShare(chainShares, key(item.rule.family, value.goto.target), chain.name, share);
        }
      }
      if (!isObj(s.dnat)) continue;
      if (isObj(s.dnat.addr) && isObj(s.dnat.addr.map)) {
        for (const { share, value } of numgenEntries(s.dnat.addr.map.key, s.dnat.addr.map.data)) {
          const ep = ipPort(value, s.dnat.port);
          if (!ep) continue;
          const k = `${String(item.rule.family)} ${portOf(chain.name)} ${ep.ip} ${ep.port}`;
          if (!mapEndpoints.has(k)) mapEndpoints.set(k, ep);
          addShare(mapShares, k, chain.name, share);
        }
      } else {
        const ep = ipPort(s.dnat.addr, s.dnat.port);
        if (ep) direct.push({ chain: key(item.rule.family, item.rule.chain), ...ep });
      }
    }
  }

  const endpoints: RuleEndpoint[] = [];
  for (const d of direct) {
    const name = chains.get(d.chain)?.name ?? d.chain;
    // An endpoint chain no numgen reaches (only by affinity) still takes all of what reaches it.
    if (name.startsWith('endpoint-')) endpoints.push({ ip: d.ip, port: d.port, share: round(chainShares.get(d.chain)?.share ?? 1), via: name });
  }
  for (const [k, ep] of mapEndpoints) {
    const s = mapShares.get(k);
    endpoints.push({ ip: ep.ip, port: ep.port, share: round(s?.share ?? 1), via: s?.from ?? '' });
  }
  const out: RuleChain[] = [...chains.values()].map(({ table, chain, rules }) => ({ table, chain, rules }));
  if (mapLines.length) out.unshift({ table: 'kube-proxy', chain: 'maps', rules: mapLines });
  return { chains: out, endpoints };
}
