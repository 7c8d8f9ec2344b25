// Dumps of one cluster's nodes are nearly identical (kube-proxy writes the same services everywhere; a node's
// own endpoints change a few rules). A cache passed to several parses lets every later dump share the match
// lists and targets the first one built for the same text, so N near-identical rulesets hold their rules'
// matches once. Keys are exact segment text, so a shared value means what it meant in the first dump; a
// jump target is shared only when its chain is declared in the dump being read.
//
// Keys are read in place (SliceMap), so the cache keeps alive the dumps it was filled from: keep it no longer
// than the rulesets parsed with it (the trace keeps one per cluster model, which holds those dumps anyway).

import { SliceMap } from './sliceMap.js';
import type { IptablesMatch, IptablesTarget } from './types.js';

export class IptablesParseCache {
  /** Match section (the words between the chain name and -j/-g) -> its matches. */
  readonly sections = new SliceMap<IptablesMatch[]>();
  /** Per table (a name can be a chain in one and a target in another): "-j NAME OPTIONS..." -> target. */
  readonly targets = new Map<string, SliceMap<IptablesTarget>>();

  targetsOf(table: string): SliceMap<IptablesTarget> {
    let m = this.targets.get(table);
    if (m === undefined) this.targets.set(table, (m = new SliceMap()));
    return m;
  }
}
