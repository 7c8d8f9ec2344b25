// The chains of one table, found by a slice of the dump without cutting the name out: every rule names its
// chain (-A) and most kube-proxy rules jump to one (-j KUBE-SEP-…), so a 150k-rule dump looks chain names up
// about 200k times. A Map keyed by sliced strings paid a slice and a fresh string hash for each.
// Open addressing over a power-of-two table; chains are never removed.

import type { IptablesChain, IptablesTarget } from './types.js';

export class ChainIndex {
  private mask = 63;
  private slots = new Int32Array(64).fill(-1);
  private hashes = new Int32Array(64);
  /** In declaration order. */
  readonly chains: IptablesChain[] = [];
  /** The `-j CHAIN` / `-g CHAIN` target of each chain, built once and shared by every rule that jumps there. */
  private readonly jumps: Array<IptablesTarget | undefined> = [];
  private readonly gotos: Array<IptablesTarget | undefined> = [];

  static hash(src: string, start: number, end: number): number {
    let h = 0x811c9dc5 ^ (end - start);
    for (let i = start; i < end; i++) h = Math.imul(h ^ src.charCodeAt(i), 0x01000193);
    return h ^ (h >>> 16);
  }

  get size(): number {
    return this.chains.length;
  }

  /** The ordinal of the chain named src[start, end), or -1. */
  indexOf(src: string, start: number, end: number): number {
    return this.slotOf(src, start, end, ChainIndex.hash(src, start, end));
  }

  chain(ordinal: number): IptablesChain {
    return this.chains[ordinal]!;
  }

  /** Adds `chain`, named src[start, end); false when a chain of that name is already there. */
  add(src: string, start: number, end: number, chain: IptablesChain): boolean {
    const h = ChainIndex.hash(src, start, end);
    if (this.slotOf(src, start, end, h) >= 0) return false;
    if ((this.chains.length + 1) * 2 > this.mask + 1) this.grow();
    this.place(h, this.chains.length);
    this.chains.push(chain);
    this.jumps.push(undefined);
    this.gotos.push(undefined);
    return true;
  }

  /** The shared jump (or goto) target to the chain at `ordinal`. */
  target(ordinal: number, isGoto: boolean): IptablesTarget {
    const list = isGoto ? this.gotos : this.jumps;
    let t = list[ordinal];
    if (t === undefined) {
      const chain = this.chains[ordinal]!.name;
      t = isGoto ? { kind: 'goto', chain } : { kind: 'jump', chain };
      list[ordinal] = t;
    }
    return t;
  }

  private slotOf(src: string, start: number, end: number, h: number): number {
    const len = end - start;
    const mask = this.mask;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const i = this.slots[s]!;
      if (i < 0) return -1;
      if (this.hashes[s] !== h) continue;
      const name = this.chains[i]!.name;
      if (name.length === len && src.startsWith(name, start)) return i;
    }
  }

  private place(h: number, ordinal: number): void {
    const mask = this.mask;
    let s = h & mask;
    while (this.slots[s]! >= 0) s = (s + 1) & mask;
    this.slots[s] = ordinal;
    this.hashes[s] = h;
  }

  private grow(): void {
    const size = (this.mask + 1) * 2;
    this.mask = size - 1;
    this.slots = new Int32Array(size).fill(-1);
    this.hashes = new Int32Array(size);
    for (let i = 0; i < this.chains.length; i++) {
      const name = this.chains[i]!.name;
      this.place(ChainIndex.hash(name, 0, name.length), i);
    }
  }
}
