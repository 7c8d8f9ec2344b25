import { readFile } from 'node:fs/promises';
import type { Logger } from './log.js';

// The bearer token `serve` asks for, from a file (a Kubernetes Secret volume). Checked when read: a token with a
// space, a newline inside or a control character is almost always a copy-paste accident (and some clients cannot
// send it in a header), and a 5-character token can be guessed. Re-read when it changes, because kubelet updates
// a Secret volume in place by swapping its `..data` symlink: rotating the Secret must not need a restart. The
// token itself never appears in a message or a log line.

export const MIN_TOKEN_LENGTH = 16;
const MAX_FILE_CHARS = 4096;

/** The token a file's text holds, or what is wrong with it (a phrase after "the token file PATH"). */
export function tokenFromText(text: string): { token: string } | { problem: string } {
  // One trailing newline is what `echo` and most editors leave; it is not part of the token.
  const body = text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
  if (body.length === 0) return { problem: 'is empty' };
  if (body.length > MAX_FILE_CHARS) return { problem: `is longer than ${MAX_FILE_CHARS} characters (not a token)` };
  const bad = body.search(/[^\x21-\x7e]/);
  if (bad >= 0) {
    const c = body.charCodeAt(bad);
    const what = c <= 0x20 || (c >= 0x7f && c <= 0xa0) || /\s/.test(body[bad]!) ? 'whitespace or a control character' : 'a character outside printable ASCII';
    return { problem: `holds ${what} at character ${bad + 1}; a token is one line of printable ASCII (one trailing newline is allowed)` };
  }
  if (body.length < MIN_TOKEN_LENGTH) return { problem: `is ${body.length} characters long; at least ${MIN_TOKEN_LENGTH} are needed` };
  return { token: body };
}

export interface TokenSource {
  /** The token to accept now. */
  current(): Promise<string>;
}

export interface TokenFileOptions {
  log: Pick<Logger, 'info' | 'warn'>;
  /** Re-read at most this often (per request, never on a timer). Default 1 s. */
  checkEveryMs?: number;
  now?: () => number;
}

export class TokenFileError extends Error {}

export class TokenFile implements TokenSource {
  private lastCheck: number;
  private checking: Promise<void> | null = null;
  /** The text last read, valid or not, so one bad rotation is logged once. */
  private lastText: string;
  private lastReadError: string | null = null;

  private constructor(
    readonly path: string,
    private token: string,
    text: string,
    private readonly opts: TokenFileOptions,
  ) {
    this.lastText = text;
    this.lastCheck = this.now();
  }

  /** Reads and checks the file; rejects with a TokenFileError naming the file and what is wrong. */
  static async load(path: string, opts: TokenFileOptions): Promise<TokenFile> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new TokenFileError(`cannot read the token file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const r = tokenFromText(text);
    if ('problem' in r) throw new TokenFileError(`the token file ${path} ${r.problem}`);
    return new TokenFile(path, r.token, text, opts);
  }

  async current(): Promise<string> {
    if (this.now() - this.lastCheck >= (this.opts.checkEveryMs ?? 1000)) {
      // Requests arriving during a check wait for that one check.
      this.checking ??= this.check().finally(() => (this.checking = null));
      await this.checking;
    }
    return this.token;
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  private async check(): Promise<void> {
    this.lastCheck = this.now();
    const { log } = this.opts;
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      if (code !== this.lastReadError) log.warn({ file: this.path, code }, `cannot read the token file ${this.path} (${code}); keeping the previous token`);
      this.lastReadError = code;
      return;
    }
    this.lastReadError = null;
    if (text === this.lastText) return;
    this.lastText = text;
    const r = tokenFromText(text);
    if ('problem' in r) {
      log.warn({ file: this.path }, `the token file ${this.path} changed but ${r.problem}; keeping the previous token`);
      return;
    }
    if (r.token === this.token) return;
    this.token = r.token;
    log.info({ file: this.path }, 'the token file changed; using the new token');
  }
}
