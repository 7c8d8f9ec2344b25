import { mustIn } from './exec.js';

// Reads which rules real packets hit: `iptables-save -c` and `nft list ruleset` counters of one namespace.

export interface RuleCounter {
  source: 'iptables' | 'nft';
  /** iptables: nat/filter/...; nft: "<family> <table>", e.g. "ip kube-proxy". */
  table: string;
  chain: string;
  /** The rule as printed (iptables-save without the counter prefix; nft without "counter packets N bytes M"). */
  rule: string;
  packets: number;
  bytes: number;
}
export type RuleCounters = RuleCounter[];

export function parseIptablesCounters(text: string): RuleCounter[] {
  const out: RuleCounter[] = [];
  let table = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    const m = /^\[(\d+):(\d+)\] (-A (\S+) .*)$/.exec(line);
    if (m) out.push({ source: 'iptables', table, chain: m[4]!, rule: m[3]!, packets: Number(m[1]), bytes: Number(m[2]) });
  }
  return out;
}

// iptables-nft keeps its tables in nftables too; those are reported once, from iptables-save.
const XT_TABLES = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);

export function parseNftCounters(text: string): RuleCounter[] {
  const out: RuleCounter[] = [];
  let table = '';
  let chain = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const t = /^table (\S+) (\S+) \{$/.exec(line);
    if (t) {
      table = `${t[1]} ${t[2]}`;
      continue;
    }
    const c = /^chain (\S+) \{$/.exec(line);
    if (c) {
      chain = c[1]!;
      continue;
    }
    const k = /counter packets (\d+) bytes (\d+)/.exec(line);
    if (!k || !table || XT_TABLES.has(table.split(' ')[1]!)) continue;
    out.push({ source: 'nft', table, chain, rule: line.replace(/\s*counter packets \d+ bytes \d+/, '').trim(), packets: Number(k[1]), bytes: Number(k[2]) });
  }
  return out;
}

export async function readCounters(netns: string): Promise<RuleCounters> {
  const [ipt, nft] = await Promise.all([mustIn(netns, 'iptables-save', ['-c']), mustIn(netns, 'nft', ['list', 'ruleset'])]);
  return [...parseIptablesCounters(ipt), ...parseNftCounters(nft)];
}
