import type { NftRuleset } from '@patchbay/schema';
import type { RuleChain, RuleEndpoint } from './serviceRules.js';

// kube-proxy's nftables mode (table ip kube-proxy): the service-ips map sends a VIP . proto . port to
// "service-HASH-NS/NAME/PROTO/PORTNAME", which picks an "endpoint-HASH-...__IP/PORT" chain with numgen, which
// DNATs. Chains are read from `nft -j list ruleset` and shown as short nft-like text.

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function valueText(v: unknown): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `{ ${v.map(valueText).join(', ')} }`;
  if (!isObj(v)) return 'null';
  if (isObj(v.payload)) return `${v.payload.protocol} ${v.payload.field}`;
  if (isObj(v.meta)) return `meta ${v.meta.key}`;
  if (isObj(v.prefix)) return `${v.prefix.addr}/${v.prefix.len}`;
  if (Array.isArray(v.concat)) return v.concat.map(valueText).join(' . ');
  if (isObj(v.numgen)) return `numgen ${v.numgen.mode} mod ${v.numgen.mod}`;
  if (isObj(v.set) || Array.isArray(v.set)) return valueText(v.set);
  if (isObj(v.goto)) return `goto ${v.goto.target}`;
  if (isObj(v.jump)) return `jump ${v.jump.target}`;
  return JSON.stringify(v);
}

function statementText(s: unknown): string {
  if (!isObj(s)) return String(s);
  if (isObj(s.match)) return `${valueText(s.match.left)} ${s.match.op === '==' ? '' : `${s.match.op} `}${valueText(s.match.right)}`;
  if (isObj(s.jump)) return `jump ${s.jump.target}`;
  if (isObj(s.goto)) return `goto ${s.goto.target}`;
  if (isObj(s.dnat)) return `dnat to ${s.dnat.addr}${s.dnat.port !== undefined ? `:${s.dnat.port}` : ''}`;
  if (isObj(s.vmap)) {
    const data = s.vmap.data;
    const pairs = isObj(data) && Array.isArray(data.set) ? (data.set as unknown[]).map((p) => (Array.isArray(p) ? `${valueText(p[0])} : ${valueText(p[1])}` : valueText(p))) : [valueText(data)];
    return `${valueText(s.vmap.key)} vmap { ${pairs.join(', ')} }`;
  }
  const [k] = Object.keys(s);
  return k ? (s[k] === null ? k : `${k} ${JSON.stringify(s[k])}`) : '';
}

function ruleText(expr: unknown): string {
  return Array.isArray(expr) ? expr.map(statementText).join(' ') : '';
}

const CHAIN = /^(service|external|firewall|endpoint)-[A-Z0-9]+-([^/]+)\/([^/]+)\//;

export function nftServiceRules(ruleset: NftRuleset, svc: { namespace: string; name: string }): { chains: RuleChain[]; endpoints: RuleEndpoint[] } {
  const chains = new Map<string, RuleChain>();
  const mapLines: string[] = [];
  const wanted = (name: string) => {
    const m = CHAIN.exec(name);
    return m !== null && m[2] === svc.namespace && m[3] === svc.name;
  };
  const goto = new Map<string, number>();
  for (const item of ruleset.nftables) {
    if (!isObj(item)) continue;
    if (isObj(item.chain) && item.chain.table === 'kube-proxy' && typeof item.chain.name === 'string' && wanted(item.chain.name)) {
      chains.set(item.chain.name, { table: 'kube-proxy', chain: item.chain.name, rules: [] });
    }
    if (isObj(item.map) && item.map.table === 'kube-proxy' && Array.isArray(item.map.elem)) {
      for (const e of item.map.elem as unknown[]) {
        if (!Array.isArray(e)) continue;
        const target = isObj(e[1]) && isObj(e[1].goto) ? String(e[1].goto.target) : '';
        const comment = isObj(e[0]) && isObj(e[0].elem) ? String(e[0].elem.comment ?? '') : '';
        if (wanted(target) || comment.startsWith(`${svc.namespace}/${svc.name}:`)) mapLines.push(`map ${item.map.name}: ${valueText(isObj(e[0]) && isObj(e[0].elem) ? e[0].elem.val : e[0])} : ${valueText(e[1])}`);
      }
    }
  }
  for (const item of ruleset.nftables) {
    if (!isObj(item) || !isObj(item.rule) || item.rule.table !== 'kube-proxy') continue;
    const chain = chains.get(String(item.rule.chain));
    if (!chain) continue;
    chain.rules.push(ruleText(item.rule.expr));
    // numgen vmaps spread new connections evenly over their entries.
    for (const s of Array.isArray(item.rule.expr) ? item.rule.expr : []) {
      if (!isObj(s) || !isObj(s.vmap) || !isObj(s.vmap.key) || !isObj(s.vmap.key.numgen) || !isObj(s.vmap.data) || !Array.isArray(s.vmap.data.set)) continue;
      const mod = Number(s.vmap.key.numgen.mod) || 1;
      for (const p of s.vmap.data.set as unknown[]) {
        const t = Array.isArray(p) && isObj(p[1]) && isObj(p[1].goto) ? String(p[1].goto.target) : null;
        if (t) goto.set(t, (goto.get(t) ?? 0) + 1 / mod);
      }
    }
  }
  const endpoints: RuleEndpoint[] = [];
  for (const c of chains.values()) {
    if (!c.chain.startsWith('endpoint-')) continue;
    for (const r of c.rules) {
      const m = /dnat to (\d+\.\d+\.\d+\.\d+):(\d+)/.exec(r);
      if (m) endpoints.push({ ip: m[1] as string, port: Number(m[2]), share: Math.round((goto.get(c.chain) ?? 1) * 1000) / 1000, via: c.chain });
    }
  }
  const out = [...chains.values()];
  if (mapLines.length) out.unshift({ table: 'kube-proxy', chain: 'maps', rules: mapLines });
  return { chains: out, endpoints };
}
