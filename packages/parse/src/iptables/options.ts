// Reads the `--option value…` run that follows `-m MODULE` or `-j TARGET`. Known options have a fixed number
// of values (so a comment like "-x" is not mistaken for an option); unknown ones take every following word
// that does not look like an option. Option names come from an intern table, so the common ones are never
// cut out of the line.

import { InternTable, type LineCursor } from './lineCursor.js';
import type { UnknownOption } from './types.js';

export type RawOption = UnknownOption;

/** The rule's own options; an option run stops before these. */
const RULE_LEVEL = [
  '-m', '-j', '-g', '-s', '-d', '-i', '-o', '-p', '-f', '-c', '--match', '--jump', '--goto', '--source', '--destination',
  '--in-interface', '--out-interface', '--protocol', '--fragment', '--set-counters',
];

const words = new InternTable<string>();
for (const w of RULE_LEVEL) words.set(w, w);

/**
 * The long rule-level words by their third character ("--match" under "m"): every option word of a module or
 * target is checked against these, and comparing one or two candidates in place is cheaper than a hash.
 */
const LONG_RULE_LEVEL: ReadonlyArray<readonly string[] | undefined> = (() => {
  const byChar: string[][] = [];
  for (const w of RULE_LEVEL) if (w.length > 2) (byChar[w.charCodeAt(2)] ??= []).push(w);
  return byChar;
})();

/** Makes these option names come back as shared strings instead of fresh slices. */
export function internWords(list: Iterable<string>): void {
  for (const w of list) words.set(w, w);
}

/** The current word, interned if it is a known option or name. */
export function internedWord(cur: LineCursor): string {
  return cur.find(words) ?? cur.value();
}

export function isRuleLevel(cur: LineCursor): boolean {
  // Two-letter words starting with "-" are all rule-level (-m -j -s ...); long ones need the table.
  const len = cur.wordLength();
  if (len === 2) return cur.firstChar() === 45;
  if (len < 6 || cur.firstChar() !== 45 || cur.charAt(1) !== 45) return false;
  const candidates = LONG_RULE_LEVEL[cur.charAt(2)];
  if (candidates === undefined) return false;
  for (let i = 0; i < candidates.length; i++) if (cur.is(candidates[i]!)) return true;
  return false;
}

/** Option names and their value counts for one module or target, with the names listed for fast lookup. */
export interface Arity {
  counts: Readonly<Record<string, number>>;
  names: readonly string[];
}

export function arity(counts: Readonly<Record<string, number>>): Arity {
  return { counts, names: Object.keys(counts) };
}

export const NO_OPTIONS: Arity = arity({});

/** The current word if it is one of `names` (compared in place), else null. */
function knownName(cur: LineCursor, names: readonly string[]): string | null {
  const len = cur.wordLength();
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    if (n.length === len && cur.is(n)) return n;
  }
  return null;
}

const EMPTY: string[] = [];
Object.freeze(EMPTY);

/**
 * Reads options after the cursor's current word. `arity` gives the value count of known options; an option
 * not in it takes words up to the next `-`/`!`-prefixed word. Leaves the cursor so that `next()` returns the
 * first word that is not part of the run. Fills `options` (emptied first; callers pass one reused array and
 * must not keep it) and returns the name of a known option whose values are cut off, else null.
 */
export function readOptions(cur: LineCursor, table: Arity, options: RawOption[]): string | null {
  options.length = 0;
  for (;;) {
    const before = cur.mark();
    if (!cur.next()) break;
    let negate = false;
    if (cur.is('!')) {
      negate = true;
      if (!cur.next()) {
        cur.rewind(before);
        break;
      }
    }
    let name = isLongOption(cur) ? knownName(cur, table.names) : null;
    // `! -s` and friends belong to the rule, not to this module.
    if (name === null) {
      if (!isLongOption(cur) || isRuleLevel(cur)) {
        cur.rewind(before);
        break;
      }
      name = internedWord(cur);
    }
    const count = table.counts[name];
    let args: string[];
    if (count !== undefined) {
      // Exact-size arrays: a pushed-to [] reserves 17 slots, which adds up over 150k rules.
      if (count === 0) args = EMPTY;
      else if (count === 1) {
        if (!cur.next()) return name;
        args = [cur.value()];
      } else {
        args = new Array<string>(count);
        for (let k = 0; k < count; k++) {
          if (!cur.next()) return name;
          args[k] = cur.value();
        }
      }
    } else {
      args = [];
      for (;;) {
        const at = cur.mark();
        if (!cur.next()) break;
        if (looksLikeOption(cur)) {
          cur.rewind(at);
          break;
        }
        args.push(cur.value());
      }
    }
    options.push({ name, negate, args });
  }
  return null;
}

function isLongOption(cur: LineCursor): boolean {
  return cur.firstChar() === 45 && cur.wordLength() > 2 && cur.charAt(1) === 45;
}

function looksLikeOption(cur: LineCursor): boolean {
  if (cur.is('!')) return true;
  if (cur.firstChar() !== 45 || cur.wordLength() < 2) return false;
  const c1 = cur.charAt(1);
  return !(c1 >= 48 && c1 <= 57); // "-1" is a value
}
