// A small seeded PRNG for the fuzz suite: every case draws from its own stream, derived from the suite seed,
// the layer and the case index, so any one case can be replayed alone (FUZZ_SEED, FUZZ_CASE) without running
// the cases before it.

/** Murmur3's 32-bit finaliser: spreads every input bit over the output, so nearby indexes give unrelated streams. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = mix32(seed >>> 0) || 1;
  }

  /** A stream for one case of one layer. */
  static forCase(seed: number, layer: string, index: number): Rng {
    let h = mix32(seed >>> 0);
    for (let i = 0; i < layer.length; i++) h = mix32(h ^ layer.charCodeAt(i));
    return new Rng(mix32(h ^ mix32(index >>> 0)));
  }

  /** Uniform in [0, 1): a Weyl sequence through the finaliser (the state walks an odd constant). */
  next(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    return mix32(this.state) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** One of the keys, with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    let r = this.next() * entries.reduce((s, [, w]) => s + w, 0);
    for (const [k, w] of entries) {
      r -= w;
      if (r < 0) return k;
    }
    return entries[entries.length - 1]![0];
  }
}
