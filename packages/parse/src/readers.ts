// One interface for every dataplane reader, and one registry that names them. The agent, the bundle loader
// and the tests pick a reader by the section they hold (`readers.iptables.read(text)`), and every reader
// answers the same way: the model plus the warnings it collected (strict mode throws ParseError instead).

import type { ParseWarning } from './errors.js';
import { parseIpsetSaveWithWarnings, type IpsetSet } from './ipset/parse.js';
import { parseIptablesSave } from './iptables/parse.js';
import type { IptablesRuleset } from './iptables/types.js';
import { parseIpvsadmWithWarnings, type IpvsService } from './ipvs/parse.js';
import { parseNftRuleset } from './nft/parse.js';
import type { NftModel } from './nft/types.js';

export interface ReadOptions {
  strict?: boolean;
  /** Prefix for the evidence origin of each rule/entry (node name, command). */
  origin?: string;
}

export interface DataplaneReader<Input, Model> {
  /** The command whose output this reads. */
  readonly source: string;
  read(input: Input, opts?: ReadOptions): { model: Model; warnings: ParseWarning[] };
}

export const iptablesReader = {
  source: 'iptables-save -c',
  read(input: string, opts?: ReadOptions) {
    const model = parseIptablesSave(input, opts);
    return { model, warnings: model.warnings };
  },
} satisfies DataplaneReader<string, IptablesRuleset>;

export const nftReader = {
  source: 'nft -j list ruleset',
  read(input: unknown, opts?: ReadOptions) {
    const model = parseNftRuleset(input, opts);
    return { model, warnings: model.warnings };
  },
} satisfies DataplaneReader<unknown, NftModel>;

export const ipvsReader = {
  source: 'ipvsadm -Ln --exact',
  read(input: string, opts?: ReadOptions) {
    const r = parseIpvsadmWithWarnings(input, opts);
    return { model: r.services, warnings: r.warnings };
  },
} satisfies DataplaneReader<string, IpvsService[]>;

export const ipsetReader = {
  source: 'ipset save',
  read(input: string, opts?: ReadOptions) {
    const r = parseIpsetSaveWithWarnings(input, opts);
    return { model: r.sets, warnings: r.warnings };
  },
} satisfies DataplaneReader<string, Map<string, IpsetSet>>;

/** Every reader by the snapshot section it reads. */
export const readers = { iptables: iptablesReader, nft: nftReader, ipvs: ipvsReader, ipset: ipsetReader } as const;

export type ReaderName = keyof typeof readers;
