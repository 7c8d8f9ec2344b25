// Node snapshots of one cluster repeat the same short strings thousands of times: every node lists a route, a
// neighbour and an FDB entry for every other node, with the same addresses, MACs and device names. JSON.parse
// gives each occurrence its own string; a 1,000-node bundle held ~1M copies of ~1,000 distinct values. One
// table per load makes equal strings one object again (less memory, and less for the GC to copy). Short lists
// of strings (a route's flags, a neighbour's state) are shared the same way, so a loaded snapshot is read-only:
// nothing downstream may change it in place.

/** Longer strings are mostly unique (file contents, rule dumps): looking them up costs more than it saves. */
const MAX_INTERNED_LENGTH = 64;
/** Lists of up to this many short strings are shared whole. */
const MAX_INTERNED_LIST = 8;

export class StringInterner {
  private readonly table = new Map<string, string>();
  private readonly lists = new Map<string, string[]>();

  /** Replaces, in place, every short string value under `root` with the table's copy. */
  internAll(root: unknown): void {
    const stack: unknown[] = [root];
    while (stack.length > 0) {
      const v = stack.pop();
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const x: unknown = v[i];
          if (typeof x === 'string') v[i] = this.intern(x);
          else if (Array.isArray(x)) v[i] = this.internList(x, stack);
          else if (x !== null && typeof x === 'object') stack.push(x);
        }
      } else if (v !== null && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        for (const k in o) {
          const x = o[k];
          if (typeof x === 'string') o[k] = this.intern(x);
          else if (Array.isArray(x)) o[k] = this.internList(x, stack);
          else if (x !== null && typeof x === 'object') stack.push(x);
        }
      }
    }
  }

  /** The shared copy of a short list of short strings; any other array is queued for the walk and kept. */
  private internList(a: unknown[], stack: unknown[]): unknown[] {
    if (a.length > MAX_INTERNED_LIST) {
      stack.push(a);
      return a;
    }
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      if (typeof x !== 'string' || x.length > MAX_INTERNED_LENGTH) {
        stack.push(a);
        return a;
      }
    }
    const key = a.join('\u0000');
    const hit = this.lists.get(key);
    // A value holding "\u0000" itself could make two lists share a key: compare before sharing.
    if (hit !== undefined && sameStrings(hit, a)) return hit;
    if (hit !== undefined) return a;
    for (let i = 0; i < a.length; i++) a[i] = this.intern(a[i] as string);
    this.lists.set(key, a as string[]);
    return a;
  }

  intern(s: string): string {
    if (s.length > MAX_INTERNED_LENGTH) return s;
    const hit = this.table.get(s);
    if (hit !== undefined) return hit;
    this.table.set(s, s);
    return s;
  }
}

function sameStrings(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
