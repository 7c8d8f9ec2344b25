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

export async function readNftFull(run: Run, timeoutMs?: number): Promise<NftRead> {
  try {
    const { stdout } = await run('nft', ['-j', 'list', 'ruleset'], { timeoutMs });
    return { ruleset: parseRuleset(stdout, 'nft -j list ruleset'), errors: [], mode: 'full' };
  } catch (err) {
    return { ruleset: null, errors: [errorMessage(err)], mode: 'none' };
  }
}

/** Lists the known native tables one by one (each listing is cheap); the caller adds why the listing is partial. */
export async function readNftTables(run: Run, extraTables: [string, string][] = [], timeoutMs?: number): Promise<NftRead & { found: string[]; tables: string[] }> {
  const tables = [...KNOWN_NATIVE_TABLES, ...extraTables];
  const errors: string[] = [];
  const found: string[] = [];
  const items: unknown[] = [];
  let meta: unknown = null;
  let missingTool = false;
  // Each listing is cheap (tens of ms); run them side by side and merge in the order asked.
  const listed = await Promise.all(
    tables.map(async ([family, name]) => {
      try {
        const { stdout } = await run('nft', ['-j', 'list', 'table', family, name], { timeoutMs });
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
  const names = tables.map((t) => t.join(' '));
  if (missingTool) return { ruleset: null, errors, mode: 'none', found, tables: names };
  return { ruleset: { nftables: meta ? [meta, ...items] : items }, errors, mode: 'tables', found, tables: names };
}

/** Why a snapshot carries only some nft tables. */
export function partialListingNote(compatRules: number, tables: string[], found: string[]): string {
  return (
    `nft ruleset not listed whole: iptables-nft tables hold ${compatRules} rules (read by iptables-nft-save), ` +
    `and listing them through nft is slow; listed only the native tables ${tables.join(', ')} ` +
    `(present: ${found.join(', ') || 'none'}). A native table with another name is not in this snapshot: name it with --nft-table FAMILY:NAME.`
  );
}

/**
 * The whole ruleset when iptables-nft holds at most fullListingLimit rules, else the known native tables.
 * `tablesEarly` lets the caller start the table listing before the rule count is known.
 */
export async function readNft(
  run: Run,
  opts: NftOptions,
  tablesEarly?: Promise<Awaited<ReturnType<typeof readNftTables>>>,
): Promise<NftRead> {
  if (opts.compatRules <= opts.fullListingLimit) return readNftFull(run, opts.timeoutMs);
  const t = await (tablesEarly ?? readNftTables(run, opts.extraTables, opts.timeoutMs));
  if (t.mode === 'none') return { ruleset: null, errors: t.errors, mode: 'none' };
  return { ruleset: t.ruleset, errors: [...t.errors, partialListingNote(opts.compatRules, t.tables, t.found)], mode: 'tables' };
}
