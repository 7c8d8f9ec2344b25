// The chains of one table, found by a slice of the dump without cutting the name out: every rule names its
// chain (-A) and most kube-proxy rules jump to one (-j KUBE-SEP-…), so a 150k-rule dump looks chain names up
// about 200k times. A Map keyed by sliced strings paid a slice and a fresh string hash for each; the names sit
// in a SliceMap, read in place in the dump, where the declarations sit close together.

import { SliceMap } from './sliceMap.js';
import type { DumpChain } from './dumpChain.js';
import type { IptablesTarget } from './types.js';

export class ChainIndex {
  /** Name -> chain; a chain's ordinal (its declaration order) is its entry number there. */
  private readonly names = new SliceMap<DumpChain>();
  /** The `-j CHAIN` target of each chain, built with the chain and shared by every rule that jumps there. */
  private readonly jumps: IptablesTarget[] = [];
  private readonly gotos: Array<IptablesTarget | undefined> = [];

  /** The ordinal of the chain named src[start, end), or -1. */
  indexOf(src: string, start: number, end: number): number {
    return this.names.indexOf(src, start, end);
  }

  chain(ordinal: number): DumpChain {
    return this.names.valueAt(ordinal);
  }

  get count(): number {
    return this.names.size;
  }

  /** Adds `chain`, named src[start, end); false when a chain of that name is already there. */
  add(src: string, start: number, end: number, chain: DumpChain): boolean {
    if (!this.names.add(src, start, end, chain)) return false;
    this.jumps.push({ kind: 'jump', chain: chain.name });
    this.gotos.push(undefined);
    return true;
  }

  /** The shared jump (or goto) target to the chain at `ordinal`. */
  target(ordinal: number, isGoto: boolean): IptablesTarget {
    if (!isGoto) return this.jumps[ordinal]!;
    let t = this.gotos[ordinal];
    if (t === undefined) {
      t = { kind: 'goto', chain: this.chain(ordinal).name };
      this.gotos[ordinal] = t;
    }
    return t;
  }
}
