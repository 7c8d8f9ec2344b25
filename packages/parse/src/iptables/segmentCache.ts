// A small direct-mapped cache from a slice of a line to the value parsed from it, looked up in place (no
// substring is cut out on a hit). Repeated segments of a dump (`-p tcp`, `-m tcp --dport 80`,
// `-j KUBE-MARK-MASQ`, `[0:0]`) hit; unique ones just take a slot. Bounded memory, no big hash tables.

const SIZE = 8192; // power of two

export class SegmentCache<T> {
  private readonly keys: Array<string | null> = new Array<string | null>(SIZE).fill(null);
  private readonly values: Array<T | undefined> = new Array<T | undefined>(SIZE).fill(undefined);
  /** Full hash per slot: most misses are told apart without touching the stored string. */
  private readonly hashes = new Int32Array(SIZE);
  private slot = 0;
  private hash = 0;

  /** The cached value for src[start, end), or undefined; remembers the slot for a following store(). */
  lookup(src: string, start: number, end: number): T | undefined {
    // Every character of segments up to 48 long (most are): kube-proxy's unique segments differ from their
    // neighbours only in the middle (an endpoint address), and a sampled hash sent those to full compares.
    const len = end - start;
    let h = len;
    if (len <= 48) {
      for (let i = start; i < end; i++) h = Math.imul(h ^ src.charCodeAt(i), 0x01000193);
    } else {
      for (let i = start; i < start + 16; i++) h = Math.imul(h ^ src.charCodeAt(i), 0x01000193);
      for (let i = start + 16; i < end - 24; i += 3) h = Math.imul(h ^ src.charCodeAt(i), 0x01000193);
      for (let i = end - 24; i < end; i++) h = Math.imul(h ^ src.charCodeAt(i), 0x01000193);
    }
    h ^= h >>> 15;
    const slot = h & (SIZE - 1);
    this.slot = slot;
    this.hash = h;
    if (this.hashes[slot] !== h) return undefined;
    const key = this.keys[slot]!;
    if (key !== null && key.length === len && src.startsWith(key, start)) return this.values[slot];
    return undefined;
  }

  /** Stores into the slot of the last lookup() (which must have been for the same slice). */
  store(src: string, start: number, end: number, value: T): void {
    this.keys[this.slot] = src.slice(start, end);
    this.values[this.slot] = value;
    this.hashes[this.slot] = this.hash;
  }
}
