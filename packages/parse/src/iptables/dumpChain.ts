// A chain as the parser hands it out. Its `rules` are an own, enumerable property like any other field (JSON,
// Object.values, toEqual and structuredClone see them), but a chain of a lazily read dump builds them the first
// time they are read: a 150k-rule kube-proxy dump has tens of thousands of chains, and a trace reads a handful.
// The state behind that is in private fields, which neither serialisers nor Object.freeze touch, so a frozen
// chain still reads its rules once.

import type { Counters, IptablesChain, IptablesRule } from './types.js';

/** Builds one chain's rules from the dump (throws ParseError for a rule it cannot read). */
export interface ChainBodyReader {
  read(chain: DumpChain, first: number, count: number): IptablesRule[];
}

/** Where each indexed rule's successor in its chain is: `next[id]`, -1 at the end. */
export interface RuleLinks {
  next: Int32Array;
}

export class DumpChain implements IptablesChain {
  declare rules: IptablesRule[];
  #rules: IptablesRule[] | null = null;
  #reader: ChainBodyReader | null = null;
  #first = -1;
  #last = -1;
  #count = 0;

  constructor(
    readonly name: string,
    readonly table: string,
    readonly builtin: boolean,
    readonly policy: 'ACCEPT' | 'DROP' | null,
    readonly counters: Counters | null,
    readonly line: number,
  ) {
    Object.defineProperty(this, 'rules', DumpChain.#rulesProperty);
  }

  static readonly #rulesProperty: PropertyDescriptor = {
    enumerable: true,
    configurable: true,
    get(this: DumpChain): IptablesRule[] {
      if (this.#rules !== null) return this.#rules;
      const rules = this.#reader === null ? [] : this.#reader.read(this, this.#first, this.#count);
      this.#rules = rules;
      this.#reader = null;
      return rules;
    },
    set(this: DumpChain, rules: IptablesRule[]): void {
      this.#rules = rules;
      this.#reader = null;
    },
  };

  /** Makes `reader` build this chain's rules on first read, from the indexed rules linked from `first`. */
  readLazily(reader: ChainBodyReader): void {
    this.#reader = reader;
  }

  /** Appends indexed rule `id` to this chain's list (linked through `links.next`). */
  link(id: number, links: RuleLinks): void {
    if (this.#last < 0) this.#first = id;
    else links.next[this.#last] = id;
    this.#last = id;
    this.#count++;
  }
}
