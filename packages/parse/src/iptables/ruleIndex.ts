// Where each rule of a lazily read dump is, so that a chain's rules can be built later from the dump text:
// one row per rule line, in typed arrays (a 150k-rule dump takes 3 MB here instead of 150k objects).

export class RuleIndex {
  /** Offsets in the dump: the line is text[start, end) (no newline, no CR). */
  start: Int32Array;
  end: Int32Array;
  /** 1-based line number. */
  line: Int32Array;
  /** Offset inside the line where "-A" starts (after a `[p:b]` counter prefix). */
  body: Int32Array;
  /** The next rule of the same chain, -1 for the last. */
  next: Int32Array;
  count = 0;

  constructor(expected: number) {
    const n = Math.max(16, expected);
    this.start = new Int32Array(n);
    this.end = new Int32Array(n);
    this.line = new Int32Array(n);
    this.body = new Int32Array(n);
    this.next = new Int32Array(n);
  }

  /** Adds a rule and returns its id. */
  add(start: number, end: number, line: number, body: number): number {
    const id = this.count;
    if (id === this.start.length) this.grow();
    this.start[id] = start;
    this.end[id] = end;
    this.line[id] = line;
    this.body[id] = body;
    this.next[id] = -1;
    this.count = id + 1;
    return id;
  }

  private grow(): void {
    const n = this.start.length * 2;
    const wider = (a: Int32Array): Int32Array => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.start = wider(this.start);
    this.end = wider(this.end);
    this.line = wider(this.line);
    this.body = wider(this.body);
    this.next = wider(this.next);
  }
}
