import { nftRuleset, sectionText, type BlobStore } from '@patchbay/bundle';
import type { TextSection } from '@patchbay/schema';
import type { NodeModel, ServiceModel } from '@patchbay/resolve';
import { nftServiceRules } from './nftServiceRules.js';

// How one node's kube-proxy implements one Service, read straight from the rules the node has: the chains
// reached from KUBE-SERVICES (iptables mode) or the virtual server (IPVS mode), with the endpoints they
// send to and each one's share of new connections. Kept raw: the lines are the evidence.

export interface RuleChain {
  table: string;
  chain: string;
  rules: string[];
}

export interface RuleEndpoint {
  ip: string;
  port: number;
  /** Share of new connections, 0..1 (iptables statistic probabilities chained, or IPVS weights). */
  share: number;
  /** Which chain or real server line says so. */
  via: string;
}

export interface NodeServiceRules {
  node: string;
  observed: boolean;
  mode: string;
  chains: RuleChain[];
  endpoints: RuleEndpoint[];
  note: string | null;
}

interface SaveRule {
  table: string;
  chain: string;
  text: string;
}

/** One iptables-save text parsed once: rules by "table/chain", and the entry rules of each service by "NS/NAME". */
interface ParsedSave {
  byChain: Map<string, SaveRule[]>;
  entries: Map<string, SaveRule[]>;
}

const ENTRY_CHAINS = new Set(['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-EXTERNAL-SERVICES']);

function parseSave(text: string): ParsedSave {
  const byChain = new Map<string, SaveRule[]>();
  const entries = new Map<string, SaveRule[]>();
  const add = (m: Map<string, SaveRule[]>, k: string, r: SaveRule) => {
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  };
  let table = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^\[\d+:\d+\]\s+/, '').trim();
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith('-A ')) {
      const chain = line.split(/\s+/, 2)[1] ?? '';
      const rule = { table, chain, text: line };
      add(byChain, `${table}/${chain}`, rule);
      if (ENTRY_CHAINS.has(chain)) {
        // kube-proxy comments name the service as "NS/NAME:PORTNAME ..." or "NS/NAME ..." for an unnamed port.
        const c = commentOf(line);
        const key = c?.split(/[: ]/, 1)[0];
        if (key) add(entries, key, rule);
      }
    }
  }
  return { byChain, entries };
}

// Parsed texts, per state: inline sections by their dump object, blob sections by sha256 within a blob store.
const inlineCache = new WeakMap<object, ParsedSave>();
const blobCache = new WeakMap<BlobStore, Map<string, ParsedSave>>();

function parsedDump(dump: { save: TextSection }, blobs: BlobStore): ParsedSave {
  if (typeof dump.save === 'string') {
    let p = inlineCache.get(dump);
    if (!p) inlineCache.set(dump, (p = parseSave(dump.save)));
    return p;
  }
  let byBlob = blobCache.get(blobs);
  if (!byBlob) blobCache.set(blobs, (byBlob = new Map()));
  let p = byBlob.get(dump.save.sha256);
  if (!p) byBlob.set(dump.save.sha256, (p = parseSave(sectionText(dump.save, blobs))));
  return p;
}

function commentOf(rule: string): string | null {
  const m = /--comment (?:"((?:[^"\\]|\\.)*)"|(\S+))/.exec(rule);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

function jumpOf(rule: string): string | null {
  return /\s-j (\S+)/.exec(rule)?.[1] ?? null;
}

function iptablesRules(parsed: ParsedSave, svc: ServiceModel): { chains: RuleChain[]; endpoints: RuleEndpoint[] } {
  const { byChain } = parsed;
  const chains: RuleChain[] = [];
  const seen = new Set<string>();
  const entry = parsed.entries.get(`${svc.namespace}/${svc.name}`) ?? [];
  const entryByChain = new Map<string, string[]>();
  for (const r of entry) {
    const k = `${r.table}/${r.chain}`;
    const list = entryByChain.get(k);
    if (list) list.push(r.text);
    else entryByChain.set(k, [r.text]);
  }
  for (const [k, lines] of entryByChain) {
    const [table = '', chain = ''] = k.split('/');
    chains.push({ table, chain, rules: lines });
  }
  const queue = entry.filter((r) => r.table === 'nat').map((r) => jumpOf(r.text)).filter((j): j is string => !!j && j.startsWith('KUBE-') && !j.startsWith('KUBE-MARK'));
  const endpoints: RuleEndpoint[] = [];
  // Chained probabilities: rule i of a KUBE-SVC chain takes p_i of what the earlier rules left. An endpoint's
  // share is read from the cluster-IP chain (KUBE-SVC-) when it has one, else from the first chain reaching it
  // (KUBE-SVL- for local-only traffic); affinity rules (`-m recent --rcheck`) only catch returning clients.
  const shares = new Map<string, { share: number; from: string }>();
  while (queue.length) {
    const chain = queue.shift() as string;
    if (seen.has(chain)) continue;
    seen.add(chain);
    const list = byChain.get(`nat/${chain}`) ?? [];
    chains.push({ table: 'nat', chain, rules: list.map((r) => r.text) });
    let remaining = 1;
    for (const r of list) {
      const j = jumpOf(r.text);
      if (!j) continue;
      if (j === 'DNAT') {
        const to = /--to-destination (\d+\.\d+\.\d+\.\d+):(\d+)/.exec(r.text);
        if (to) endpoints.push({ ip: to[1] as string, port: Number(to[2]), share: 1, via: chain });
      } else if (j.startsWith('KUBE-SEP-') || j.startsWith('KUBE-SVC-') || j.startsWith('KUBE-SVL-') || j.startsWith('KUBE-EXT-') || j.startsWith('KUBE-FW-')) {
        queue.push(j);
        if (r.text.includes('--rcheck')) continue;
        const p = /--probability (\S+)/.exec(r.text);
        const prob = p ? Number(p[1]) : 1;
        if (j.startsWith('KUBE-SEP-')) {
          const had = shares.get(j);
          const fromSvc = chain.startsWith('KUBE-SVC-');
          if (!had) shares.set(j, { share: remaining * prob, from: chain });
          else if (had.from === chain) had.share += remaining * prob;
          else if (fromSvc && !had.from.startsWith('KUBE-SVC-')) shares.set(j, { share: remaining * prob, from: chain });
        }
        remaining *= 1 - prob;
      }
    }
  }
  // Attach each DNAT endpoint its chained share.
  for (const e of endpoints) e.share = round(shares.get(e.via)?.share ?? 1);
  return { chains, endpoints };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function ipvsRules(text: string, svc: ServiceModel): { chains: RuleChain[]; endpoints: RuleEndpoint[] } {
  const chains: RuleChain[] = [];
  const endpoints: RuleEndpoint[] = [];
  const vips = new Set(svc.ports.map((p) => `${p.protocol} ${svc.clusterIP}:${p.port}`));
  let current: { head: string; lines: string[]; reals: { ip: string; port: number; weight: number; line: string }[] } | null = null;
  const flush = () => {
    if (!current) return;
    chains.push({ table: 'ipvs', chain: current.head, rules: current.lines });
    const total = current.reals.reduce((s, r) => s + r.weight, 0);
    for (const r of current.reals) endpoints.push({ ip: r.ip, port: r.port, share: total ? round(r.weight / total) : 0, via: current.head });
    current = null;
  };
  for (const line of text.split('\n')) {
    const head = /^(TCP|UDP|SCTP)\s+(\d+\.\d+\.\d+\.\d+):(\d+)/.exec(line);
    if (head) {
      flush();
      if (vips.has(`${head[1]} ${head[2]}:${head[3]}`)) current = { head: line.trim(), lines: [line.trim()], reals: [] };
      continue;
    }
    const real = /->\s+(\d+\.\d+\.\d+\.\d+):(\d+)\s+\S+\s+(\d+)/.exec(line);
    if (real && current) {
      current.lines.push(line.trim());
      current.reals.push({ ip: real[1] as string, port: Number(real[2]), weight: Number(real[3]), line });
    }
  }
  flush();
  return { chains, endpoints };
}

export function serviceRulesOnNode(node: NodeModel, svc: ServiceModel, blobs: BlobStore): NodeServiceRules {
  const base = { node: node.name, observed: node.observed, mode: node.kubeProxy.mode };
  const snap = node.snapshot;
  if (!snap) return { ...base, chains: [], endpoints: [], note: 'node not observed: its rules are unknown' };
  try {
    if (node.kubeProxy.mode === 'ipvs') {
      if (!snap.ipvs) return { ...base, chains: [], endpoints: [], note: 'kube-proxy runs in IPVS mode but the snapshot has no IPVS table' };
      return { ...base, ...ipvsRules(sectionText(snap.ipvs, blobs), svc), note: null };
    }
    if (node.kubeProxy.mode === 'nftables') {
      const ruleset = nftRuleset(snap, blobs);
      if (!ruleset) return { ...base, chains: [], endpoints: [], note: 'kube-proxy runs in nftables mode but the snapshot has no nft ruleset' };
      const found = nftServiceRules(ruleset, svc);
      return { ...base, ...found, note: found.chains.length === 0 ? 'no kube-proxy rule on this node mentions this service' : null };
    }
    const dumps = snap.iptables.filter((d) => d.family === 'ipv4');
    const inUse = dumps.find((d) => d.backend === snap.iptablesBackendInUse) ?? dumps[0];
    if (!inUse) return { ...base, chains: [], endpoints: [], note: 'the snapshot has no iptables-save output' };
    const found = iptablesRules(parsedDump(inUse, blobs), svc);
    const note = found.chains.length === 0 ? 'no kube-proxy rule on this node mentions this service' : null;
    return { ...base, ...found, note };
  } catch (err) {
    return { ...base, chains: [], endpoints: [], note: `cannot read the rules: ${(err as Error).message}` };
  }
}
