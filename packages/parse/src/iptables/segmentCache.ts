// A small direct-mapped cache from a slice of a line to the value parsed from it, looked up in place (no
// substring is cut out, on a hit or a miss). Repeated segments of a dump (`-p tcp`, `-m tcp --dport 80`,
// `-j KUBE-MARK-MASQ`, `[0:0]`) hit; unique ones just take a slot. Bounded memory, no big hash tables.
//
// A slot remembers where its key was read (the source string, an offset and a length) rather than a copy:
// most segments of a big dump are unique, and a sliced string per miss was a third of the parse's garbage.
// The source stays alive as long as the cache does, which is the parse.

const SIZE = 8192; // power of two
const HASH = 0;
const AT = 1;
const LEN = 2;
const WIDTH = 4; // a slot's ints in one 16-byte run

export class SegmentCache<T> {
  private readonly meta = new Int32Array(SIZE * WIDTH);
  private readonly srcs: Array<string | null> = new Array<string | null>(SIZE).fill(null);
  private readonly values: Array<T | undefined> = new Array<T | undefined>(SIZE).fill(undefined);
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
    const m = slot * WIDTH;
    const meta = this.meta;
    if (meta[m + HASH] !== h || meta[m + LEN] !== len) return undefined;
    const keySrc = this.srcs[slot];
    if (keySrc == null) return undefined;
    const at = meta[m + AT]!;
    if (at !== start || keySrc !== src) {
      for (let i = 0; i < len; i++) if (keySrc.charCodeAt(at + i) !== src.charCodeAt(start + i)) return undefined;
    }
    return this.values[slot];
  }

  /** Stores into the slot of the last lookup() (which must have been for the same slice). */
  store(src: string, start: number, end: number, value: T): void {
    const m = this.slot * WIDTH;
    this.meta[m + HASH] = this.hash;
    this.meta[m + AT] = start;
    this.meta[m + LEN] = end - start;
    this.srcs[this.slot] = src;
    this.values[this.slot] = value;
  }
}
