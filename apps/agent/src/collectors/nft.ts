import { NftRuleset } from '@patchbay/schema';
import { errorMessage, type Run } from '../run.js';

// `nft -j list ruleset`, with one exception measured on this machine: nft 1.0.x fetches every rule of every table
// for any listing except `list table FAMILY NAME`, and on iptables-nft's compatibility tables it does so slowly
// (150,000 kube-proxy rules: 10 s and 420 MB for nft, against 1 s for iptables-nft-save, which already
// carries those rules). Above a rule count the agent therefore lists only the native tables it knows by name and
// says so in the snapshot's errors.

/** Native nftables tables that Kubernetes components write, by family and name. */
export const KNOWN_NATIVE_TABLES: [string, string][] = [
  ['ip', 'kube-proxy'],
  ['ip6', 'kube-proxy'],
  ['ip', 'flannel-ipv4'],
  ['ip6', 'flannel-ipv6'],
  ['ip', 'calico'],
  ['ip6', 'calico'],
  ['inet', 'cilium'],
];

export interface NftRead {
  ruleset: NftRuleset | null;
  errors: string[];
  /** 'full' = the whole ruleset; 'tables' = only KNOWN_NATIVE_TABLES (+ extra) that exist. */
  mode: 'full' | 'tables' | 'none';
}

export interface NftOptions {
  /** iptables-nft rules already read by iptables-nft-save (v4 + v6). */
  compatRules: number;
  /** Above this many compat rules, list named tables only. */
  fullListingLimit: number;
  extraTables?: [string, string][];
  timeoutMs?: number;
}

function parseRuleset(text: string, what: string): NftRuleset {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`${what}: output is not JSON (${errorMessage(err)})`, { cause: err });
  }
  const r = NftRuleset.safeParse(doc);
  if (!r.success) throw new Error(`${what}: ${r.error.issues[0]?.message ?? 'not an nftables document'}`);
  return doc as NftRuleset;
}

export async function readNft(run: Run, opts: NftOptions): Promise<NftRead> {
  if (opts.compatRules <= opts.fullListingLimit) {
    try {
      const { stdout } = await run('nft', ['-j', 'list', 'ruleset'], { timeoutMs: opts.timeoutMs });
      return { ruleset: parseRuleset(stdout, 'nft -j list ruleset'), errors: [], mode: 'full' };
    } catch (err) {
      return { ruleset: null, errors: [errorMessage(err)], mode: 'none' };
    }
  }
  const tables = [...KNOWN_NATIVE_TABLES, ...(opts.extraTables ?? [])];
  const errors: string[] = [];
  const found: string[] = [];
  const items: unknown[] = [];
  let meta: unknown = null;
  let missingTool = false;
  // Each listing is cheap (tens of ms); run them side by side and merge in the order asked.
  const listed = await Promise.all(
    tables.map(async ([family, name]) => {
      try {
        const { stdout } = await run('nft', ['-j', 'list', 'table', family, name], { timeoutMs: opts.timeoutMs });
        return { table: `${family} ${name}`, doc: parseRuleset(stdout, `nft -j list table ${family} ${name}`), err: null };
      } catch (err) {
        return { table: `${family} ${name}`, doc: null, err };
      }
    }),
  );
  for (const { table, doc, err } of listed) {
    if (doc) {
      for (const item of doc.nftables) {
        if (item && typeof item === 'object' && 'metainfo' in item) meta ??= item;
        else items.push(item);
      }
      found.push(table);
      continue;
    }
    const msg = errorMessage(err);
    if ((err as { failure?: string }).failure === 'missing') {
      if (!missingTool) errors.push(msg);
      missingTool = true;
    } else if (!/No such file or directory/.test(msg)) {
      // An absent table is the normal case ("No such file or directory").
      errors.push(msg);
    }
  }
  if (missingTool) return { ruleset: null, errors, mode: 'none' };
  errors.push(
    `nft ruleset not listed whole: iptables-nft tables hold ${opts.compatRules} rules (read by iptables-nft-save), ` +
      `and listing them through nft is slow; listed only the native tables ${tables.map((t) => t.join(' ')).join(', ')} ` +
      `(present: ${found.join(', ') || 'none'}). A native table with another name is not in this snapshot.`,
  );
  return { ruleset: { nftables: meta ? [meta, ...items] : items }, errors, mode: 'tables' };
}
