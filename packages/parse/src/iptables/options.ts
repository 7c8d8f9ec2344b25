// Reads the `--option value…` run that follows `-m MODULE` or `-j TARGET`. Known options have a fixed number
// of values (so a comment like "-x" is not mistaken for an option); unknown ones take every following word
// that does not look like an option.

import type { UnknownOption } from './types.js';

export type RawOption = UnknownOption;

/** Where a rule's own (non-module) syntax resumes; option runs stop before these. */
export function isRuleLevelToken(tok: string): boolean {
  if (tok.length === 2 && tok.charCodeAt(0) === 45 /* - */) return true; // -m -j -g -s -d -i -o -p -f -c
  switch (tok) {
    case '--match':
    case '--jump':
    case '--goto':
    case '--source':
    case '--destination':
    case '--in-interface':
    case '--out-interface':
    case '--protocol':
    case '--fragment':
    case '--set-counters':
      return true;
  }
  return false;
}

export interface OptionRun {
  options: RawOption[];
  next: number;
  /** Set when a known option is missing values (the line ended early). */
  missing?: string;
}

/**
 * Reads options from `tokens[start]` on. `arity` gives the value count of known options; an option not in it
 * takes words up to the next `-`/`!`-prefixed word.
 */
export function readOptions(tokens: readonly string[], start: number, arity: Readonly<Record<string, number>>): OptionRun {
  const options: RawOption[] = [];
  let i = start;
  const n = tokens.length;
  while (i < n) {
    let tok = tokens[i]!;
    let negate = false;
    if (tok === '!') {
      const after = tokens[i + 1];
      // `! -s` and friends belong to the rule, not to this module.
      if (after === undefined || !after.startsWith('--') || isRuleLevelToken(after)) break;
      negate = true;
      tok = after;
      i++;
    } else if (!tok.startsWith('--') || isRuleLevelToken(tok)) break;
    i++;
    const count = arity[tok];
    let args: string[];
    if (count !== undefined) {
      if (i + count > n) return { options, next: n, missing: tok };
      args = count === 0 ? EMPTY : tokens.slice(i, i + count);
      i += count;
    } else {
      const from = i;
      while (i < n && !looksLikeOption(tokens[i]!)) i++;
      args = tokens.slice(from, i);
    }
    options.push({ name: tok, negate, args });
  }
  return { options, next: i };
}

const EMPTY: string[] = [];
Object.freeze(EMPTY);

function looksLikeOption(tok: string): boolean {
  return tok === '!' || (tok.length > 1 && tok.charCodeAt(0) === 45 && !/^-\d/.test(tok));
}
