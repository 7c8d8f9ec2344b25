// One error class and one warning shape for every parser, so callers handle bad input the same way.

/** Something the parser kept going past (lenient mode) — an unknown option or module, a dangling jump. */
export interface ParseWarning {
  /** 1-based line in the input; 0 when the input has no lines (JSON) — see `path` then. */
  line: number;
  message: string;
  /** For JSON input: where, e.g. `$.nftables[12].rule.expr[3]`. */
  path?: string;
}

/** Input that cannot be read, or (strict mode) anything that would have been a warning. */
export class ParseError extends Error {
  constructor(
    /** 1-based line number; 0 when not line-based. */
    readonly line: number,
    readonly reason: string,
    /** The offending text (a line, a token) or JSON path. */
    readonly text: string = '',
  ) {
    super(line > 0 ? `line ${line}: ${reason}${text ? `: ${text}` : ''}` : `${reason}${text ? `: ${text}` : ''}`);
    this.name = 'ParseError';
  }
}

/** Collects warnings, or throws at the first one in strict mode. */
export class WarningSink {
  readonly warnings: ParseWarning[] = [];
  constructor(readonly strict: boolean) {}

  warn(line: number, message: string, text = ''): void {
    if (this.strict) throw new ParseError(line, message, text);
    this.warnings.push({ line, message: text ? `${message}: ${text}` : message });
  }

  warnAt(path: string, message: string): void {
    if (this.strict) throw new ParseError(0, message, path);
    this.warnings.push({ line: 0, message, path });
  }
}
