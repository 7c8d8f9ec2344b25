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

// Neither iptables-save nor nft prints a line like this; it splits the one output in two.
const NFT_FOLLOWS = '#patchbay: nft list ruleset follows';

/**
 * Both listings from one `ip netns exec`: callers read every node before and after each probe, so a namespace
 * entry (a mount namespace and a sysfs mount each) per listing is a cost worth halving.
 */
export async function readCounters(netns: string): Promise<RuleCounters> {
  const out = await mustIn(netns, 'sh', ['-c', `iptables-save -c && echo && echo '${NFT_FOLLOWS}' && nft list ruleset`]);
  const at = out.indexOf(`\n${NFT_FOLLOWS}\n`);
  if (at < 0) throw new Error(`rule counters of ${netns}: the output has no nft part`);
  return [...parseIptablesCounters(out.slice(0, at)), ...parseNftCounters(out.slice(at + NFT_FOLLOWS.length + 2))];
}
