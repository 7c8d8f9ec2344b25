// Dumps of one cluster's nodes are nearly identical (kube-proxy writes the same services everywhere; a node's
// own endpoints change a few rules). A cache passed to several parses lets every later dump share the match
// lists and targets the first one built for the same text, so N near-identical rulesets hold their rules'
// matches once. Keys are exact segment text, so a shared value means what it meant in the first dump; a
// jump target is shared only when its chain is declared in the dump being read.

import type { IptablesMatch, IptablesTarget } from './types.js';

export class IptablesParseCache {
  /** Match section (the words between the chain name and -j/-g) -> its matches. */
  readonly sections = new Map<string, IptablesMatch[]>();
  /** "TABLE\n-j NAME OPTIONS..." -> target. */
  readonly targets = new Map<string, IptablesTarget>();
}
