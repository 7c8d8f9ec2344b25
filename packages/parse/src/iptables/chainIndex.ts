// The chains of one table, found by a slice of the dump without cutting the name out: every rule names its
// chain (-A) and most kube-proxy rules jump to one (-j KUBE-SEP-…), so a 150k-rule dump looks chain names up
// about 200k times. A Map keyed by sliced strings paid a slice and a fresh string hash for each.
//
// Open addressing over a power-of-two table; chains are never removed. The lookups land at random places, so
// what a probe needs sits together: each slot holds [hash, ordinal, where the name was read, its length] in
// one typed array, and the name is compared in place in the dump, where the declarations sit close together.
// (A chain's name string is a slice whose characters are two more objects away.)

import type { IptablesChain, IptablesTarget } from './types.js';

const HASH = 0;
const ORDINAL = 1;
const AT = 2;
const LEN = 3;
const WIDTH = 4;

export class ChainIndex {
  private mask = 63;
  /** WIDTH ints per slot; ORDINAL is -1 in an empty slot. */
  private slots = emptySlots(64);
  /** The text the names were read from; a name read from another string is compared as a string. */
  private declaredIn: string | null = null;
  /** In declaration order. */
  readonly chains: IptablesChain[] = [];
  /** The `-j CHAIN` target of each chain, built with the chain and shared by every rule that jumps there. */
  private readonly jumps: IptablesTarget[] = [];
  private readonly gotos: Array<IptablesTarget | undefined> = [];

  static hash(src: string, start: number, end: number): number {
    let h = 0x811c9dc5 ^ (end - start);
    for (let i = start; i < end; i++) h = Math.imul(h ^ src.charCodeAt(i), 0x01000193);
    return h ^ (h >>> 16);
  }

  /** The ordinal of the chain named src[start, end), or -1. */
  indexOf(src: string, start: number, end: number): number {
    const h = ChainIndex.hash(src, start, end);
    const s = this.slotOf(src, start, end, h);
    return s < 0 ? -1 : this.slots[s + ORDINAL]!;
  }

  chain(ordinal: number): IptablesChain {
    return this.chains[ordinal]!;
  }

  /** Adds `chain`, named src[start, end); false when a chain of that name is already there. */
  add(src: string, start: number, end: number, chain: IptablesChain): boolean {
    const h = ChainIndex.hash(src, start, end);
    if (this.slotOf(src, start, end, h) >= 0) return false;
    if ((this.chains.length + 1) * 2 > this.mask + 1) this.grow();
    const ordinal = this.chains.length;
    if (ordinal === 0) this.declaredIn = src;
    this.place(h, ordinal, src === this.declaredIn ? start : -1, end - start);
    this.chains.push(chain);
    this.jumps.push({ kind: 'jump', chain: chain.name });
    this.gotos.push(undefined);
    return true;
  }

  /** The shared jump (or goto) target to the chain at `ordinal`. */
  target(ordinal: number, isGoto: boolean): IptablesTarget {
    if (!isGoto) return this.jumps[ordinal]!;
    let t = this.gotos[ordinal];
    if (t === undefined) {
      t = { kind: 'goto', chain: this.chains[ordinal]!.name };
      this.gotos[ordinal] = t;
    }
    return t;
  }

  /** The slot (its first int) holding the name src[start, end), or -1. */
  private slotOf(src: string, start: number, end: number, h: number): number {
    const len = end - start;
    const slots = this.slots;
    const mask = this.mask;
    const inPlace = src === this.declaredIn;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const s = i * WIDTH;
      const ordinal = slots[s + ORDINAL]!;
      if (ordinal < 0) return -1;
      if (slots[s + HASH] !== h || slots[s + LEN] !== len) continue;
      const at = slots[s + AT]!;
      if (inPlace && at >= 0 ? sameChars(src, at, start, len) : src.startsWith(this.chains[ordinal]!.name, start)) return s;
    }
  }

  private place(h: number, ordinal: number, at: number, len: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let i = h & mask;
    while (slots[i * WIDTH + ORDINAL]! >= 0) i = (i + 1) & mask;
    const s = i * WIDTH;
    slots[s + HASH] = h;
    slots[s + ORDINAL] = ordinal;
    slots[s + AT] = at;
    slots[s + LEN] = len;
  }

  private grow(): void {
    const old = this.slots;
    const size = (this.mask + 1) * 2;
    this.mask = size - 1;
    this.slots = emptySlots(size);
    for (let s = 0; s < old.length; s += WIDTH) {
      if (old[s + ORDINAL]! >= 0) this.place(old[s + HASH]!, old[s + ORDINAL]!, old[s + AT]!, old[s + LEN]!);
    }
  }
}

function emptySlots(n: number): Int32Array {
  const slots = new Int32Array(n * WIDTH);
  for (let s = ORDINAL; s < slots.length; s += WIDTH) slots[s] = -1;
  return slots;
}

/** Whether src[a, a + len) and src[b, b + len) hold the same characters. */
function sameChars(src: string, a: number, b: number, len: number): boolean {
  if (a === b) return true;
  for (let i = 0; i < len; i++) if (src.charCodeAt(a + i) !== src.charCodeAt(b + i)) return false;
  return true;
}
