// An unbounded map from a slice of some string to a value, looked up and filled in place: no key string is cut
// out or joined, on a hit or a miss. The cross-parse cache holds one entry per distinct match section and target
// of a cluster's dumps (tens of thousands), and a Map keyed by sliced strings paid a slice, a fresh hash and, for
// joined keys, a flattening copy on every lookup.
//
// A key is remembered as where it was read (the string, an offset, a length), so the strings it was read from
// stay alive as long as the map does. Entries are never removed.

const HASH = 0;
const AT = 1;
const LEN = 2;
const ENTRY = 3;
const WIDTH = 4;

export class SliceMap<T> {
  private mask = 255;
  /** WIDTH ints per slot; ENTRY is -1 in an empty slot. */
  private slots = emptySlots(256);
  private readonly srcs: string[] = [];
  private readonly values: T[] = [];

  get size(): number {
    return this.values.length;
  }

  static hash(src: string, start: number, end: number): number {
    let h = 0x811c9dc5 ^ (end - start);
    for (let i = start; i < end; i++) h = Math.imul(h ^ src.charCodeAt(i), 0x01000193);
    return h ^ (h >>> 15);
  }

  get(src: string, start: number, end: number): T | undefined {
    const entry = this.indexOf(src, start, end);
    return entry < 0 ? undefined : this.values[entry];
  }

  /** The value of entry number `entry` (0 <= entry < size). */
  valueAt(entry: number): T {
    return this.values[entry]!;
  }

  /** The entry number of src[start, end) (entries count from 0 in the order they were added), or -1. */
  indexOf(src: string, start: number, end: number): number {
    const s = this.slotOf(src, start, end, SliceMap.hash(src, start, end));
    return s < 0 ? -1 : this.slots[s + ENTRY]!;
  }

  /** Adds src[start, end) -> value as the next entry; false (and nothing changes) when the key is there. */
  add(src: string, start: number, end: number, value: T): boolean {
    const h = SliceMap.hash(src, start, end);
    if (this.slotOf(src, start, end, h) >= 0) return false;
    if ((this.values.length + 1) * 2 > this.mask + 1) this.grow();
    this.place(h, this.values.length, start, end - start);
    this.srcs.push(src);
    this.values.push(value);
    return true;
  }

  /** The slot holding src[start, end), or -1. */
  private slotOf(src: string, start: number, end: number, h: number): number {
    const slots = this.slots;
    const len = end - start;
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const s = i * WIDTH;
      const entry = slots[s + ENTRY]!;
      if (entry < 0) return -1;
      if (slots[s + HASH] === h && slots[s + LEN] === len && sameChars(this.srcs[entry]!, slots[s + AT]!, src, start, len)) return s;
    }
  }

  private place(h: number, entry: number, at: number, len: number): void {
    const slots = this.slots;
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const s = i * WIDTH;
      if (slots[s + ENTRY]! < 0) {
        slots[s + HASH] = h;
        slots[s + AT] = at;
        slots[s + LEN] = len;
        slots[s + ENTRY] = entry;
        return;
      }
    }
  }

  private grow(): void {
    const old = this.slots;
    this.mask = this.mask * 2 + 1;
    this.slots = emptySlots(this.mask + 1);
    for (let s = 0; s < old.length; s += WIDTH) {
      if (old[s + ENTRY]! >= 0) this.place(old[s + HASH]!, old[s + ENTRY]!, old[s + AT]!, old[s + LEN]!);
    }
  }
}

function emptySlots(n: number): Int32Array {
  const a = new Int32Array(n * WIDTH);
  for (let s = ENTRY; s < a.length; s += WIDTH) a[s] = -1;
  return a;
}

function sameChars(a: string, at: number, b: string, start: number, len: number): boolean {
  if (a === b && at === start) return true;
  for (let i = 0; i < len; i++) if (a.charCodeAt(at + i) !== b.charCodeAt(start + i)) return false;
  return true;
}
