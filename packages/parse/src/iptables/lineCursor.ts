// Walks the words of one rule line without splitting it into an array first: the parser compares option
// names in place and only cuts out the values it keeps. This is the hot path of a 150k-rule dump.
//
// Lines as iptables-save writes them (words separated by one space, quotes only around whole words, no
// backslashes) are read in place. Anything else (escapes, quotes inside a word, tabs) is tokenised the
// shell way first and the words joined with "\n" — which cannot occur inside a line — and read the same way.

import type { ChainIndex } from './chainIndex.js';
import type { SegmentCache } from './segmentCache.js';
import type { SliceMap } from './sliceMap.js';
import { tokenizeRule } from './tokenize.js';

const SPACE = 32;
const NEWLINE = 10;
const DQUOTE = 34;
const SQUOTE = 39;

export class LineCursor {
  private src = '';
  private sep = SPACE;
  private quotes = true;
  private pos = 0;
  private len = 0;
  /** Current word: [start, end) in src; `quoted` when it is "…" / '…' (value excludes the quotes). */
  start = 0;
  end = 0;
  quoted = false;

  /**
   * Starts on `line` at `from`. `line` is text[lineStart, lineStart + line.length): a simple line is read in
   * place in `text` (a flat string, where charCodeAt is fastest; a line cut out of it is a slice of it and
   * slower to read), so positions are offsets into `text`. Throws TokenizeError for an unterminated quote.
   */
  reset(line: string, from: number, text: string = line, lineStart = 0): void {
    const simple = line.indexOf('\\') < 0 && line.indexOf('\t') < 0 && !hasInnerQuote(line);
    if (simple) {
      this.resetInPlace(text, lineStart + from, lineStart + line.length);
    } else {
      const words = tokenizeRule(line.slice(from));
      this.src = words.join('\n');
      this.sep = NEWLINE;
      this.quotes = false;
      this.pos = 0;
      this.len = this.src.length;
      // An empty word ("") would vanish in the join; iptables-save never writes one for a rule word.
    }
  }

  /**
   * Starts on text[from, end), a line (or its tail) the caller knows has no quote, backslash or tab: read in
   * place with nothing cut out.
   */
  resetInPlace(text: string, from: number, end: number): void {
    this.src = text;
    this.sep = SPACE;
    this.quotes = true;
    this.pos = from;
    this.len = end;
  }

  /** Advances to the next word; false at the end of the line. */
  next(): boolean {
    const src = this.src;
    let p = this.pos;
    while (p < this.len && src.charCodeAt(p) === this.sep) p++;
    if (p >= this.len) {
      this.pos = p;
      return false;
    }
    const c = src.charCodeAt(p);
    if (this.quotes && (c === DQUOTE || c === SQUOTE)) {
      // hasInnerQuote() made sure the closing quote ends the word.
      const close = src.indexOf(c === DQUOTE ? '"' : "'", p + 1);
      this.start = p;
      this.end = close + 1;
      this.quoted = true;
    } else {
      let e = src.indexOf(this.sep === SPACE ? ' ' : '\n', p);
      if (e < 0 || e > this.len) e = this.len;
      this.start = p;
      this.end = e;
      this.quoted = false;
    }
    this.pos = this.end;
    return true;
  }

  /** The current word's value (without quotes). */
  value(): string {
    return this.quoted ? this.src.slice(this.start + 1, this.end - 1) : this.src.slice(this.start, this.end);
  }

  /** Whether the current word is exactly `lit` (unquoted). */
  is(lit: string): boolean {
    return !this.quoted && this.end - this.start === lit.length && this.src.startsWith(lit, this.start);
  }

  firstChar(): number {
    return this.quoted ? -1 : this.src.charCodeAt(this.start);
  }

  /** Char code at `offset` inside the current word (-1 for a quoted word). */
  charAt(offset: number): number {
    return this.quoted ? -1 : this.src.charCodeAt(this.start + offset);
  }

  wordLength(): number {
    return this.end - this.start;
  }

  /** Looks up the current word in an intern table without cutting it out. */
  find<T>(table: InternTable<T>): T | undefined {
    return this.quoted ? table.get(this.value()) : table.find(this.src, this.start, this.end);
  }

  /**
   * The ordinal of the chain the current word names, or -1. With `after`, the few chains declared right after
   * that ordinal (-1: before the first) are compared in place before any hash: iptables-save declares the
   * chains and then writes their rules in that order, skipping empty ones, so a rule's `-A` chain is almost
   * always one of those.
   */
  findChain(index: ChainIndex, after?: number): number {
    if (after !== undefined) {
      const stop = Math.min(after + 5, index.count);
      for (let k = after + 1; k < stop; k++) if (this.is(index.chain(k).name)) return k;
    }
    if (this.quoted) {
      const v = this.value();
      return index.indexOf(v, 0, v.length);
    }
    return index.indexOf(this.src, this.start, this.end);
  }

  /** Saves/restores the position, for one word of look-ahead. */
  mark(): number {
    return this.pos;
  }
  rewind(pos: number): void {
    this.pos = pos;
  }

  lookup<T>(cache: SegmentCache<T>, from: number, to: number): T | undefined {
    return cache.lookup(this.src, from, to);
  }

  store<T>(cache: SegmentCache<T>, from: number, to: number, value: T): void {
    cache.store(this.src, from, to, value);
  }

  getIn<T>(map: SliceMap<T>, from: number, to: number): T | undefined {
    return map.get(this.src, from, to);
  }

  /** Adds the slice to `map` unless it is there (then the first value stays). */
  setIn<T>(map: SliceMap<T>, from: number, to: number, value: T): void {
    map.add(this.src, from, to, value);
  }

  /**
   * Where the last `-j`/`-g` word starts (the separator before it), or the end of the line. The rule's match
   * section ends there — when the line is well formed; callers confirm it by reading.
   */
  lastTargetWord(): number {
    // By hand, back from the line's end to the cursor: the source may be the whole dump, and lastIndexOf
    // would search on into earlier lines (for a "-g" that almost no line has, back to the start).
    const src = this.src;
    const sep = this.sep;
    for (let i = this.len - 4; i >= this.pos; i--) {
      if (src.charCodeAt(i) !== sep || src.charCodeAt(i + 1) !== 45 || src.charCodeAt(i + 3) !== sep) continue;
      const c = src.charCodeAt(i + 2);
      if (c === 106 /* j */ || c === 103 /* g */) return i;
    }
    return this.len;
  }

  /** Whether only blanks remain. */
  atEnd(): boolean {
    let p = this.pos;
    while (p < this.len && this.src.charCodeAt(p) === this.sep) p++;
    return p >= this.len;
  }
}

/**
 * True when a quote opens or closes inside a word (`a"b c"`), or an opening quote is never closed — lines the
 * in-place reader cannot take.
 */
function hasInnerQuote(line: string): boolean {
  let i = line.indexOf('"');
  let j = line.indexOf("'");
  if (i < 0 && j < 0) return false;
  let p = 0;
  while (p < line.length) {
    i = line.indexOf('"', p);
    j = line.indexOf("'", p);
    const q = i < 0 ? j : j < 0 ? i : Math.min(i, j);
    if (q < 0) return false;
    if (q > 0 && line.charCodeAt(q - 1) !== SPACE) return true;
    const close = line.indexOf(line[q]!, q + 1);
    if (close < 0) return true;
    if (close + 1 < line.length && line.charCodeAt(close + 1) !== SPACE) return true;
    p = close + 1;
  }
  return false;
}

/** Strings looked up by a slice of a larger string without allocating the slice (FNV-1a buckets). */
export class InternTable<T> {
  private readonly buckets = new Map<number, Array<{ key: string; value: T }>>();

  static hash(src: string, start: number, end: number): number {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ src.charCodeAt(i), 0x01000193);
    return h;
  }

  set(key: string, value: T): void {
    const h = InternTable.hash(key, 0, key.length);
    const bucket = this.buckets.get(h);
    if (!bucket) this.buckets.set(h, [{ key, value }]);
    else {
      const hit = bucket.find((b) => b.key === key);
      if (hit) hit.value = value;
      else bucket.push({ key, value });
    }
  }

  get(key: string): T | undefined {
    return this.find(key, 0, key.length);
  }

  find(src: string, start: number, end: number): T | undefined {
    const bucket = this.buckets.get(InternTable.hash(src, start, end));
    if (!bucket) return undefined;
    const n = end - start;
    for (let i = 0; i < bucket.length; i++) {
      const b = bucket[i]!;
      if (b.key.length === n && src.startsWith(b.key, start)) return b.value;
    }
    return undefined;
  }
}
