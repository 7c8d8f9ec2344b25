// Judging answers of the tRPC API, through the caller and over HTTP: a result, or a refusal with a 4xx code and
// a message that names what is wrong. INTERNAL_SERVER_ERROR, a 5xx status, a body that is not JSON, a stack
// trace or raw control characters in an error are failures.
import { TRPCError } from '@trpc/server';
import { describeError, unsafeCharacter, type Judged } from './judge.js';

/** tRPC codes that say "your request is wrong", as opposed to "the server broke". */
const CLIENT_CODES = new Set(['PARSE_ERROR', 'BAD_REQUEST', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'METHOD_NOT_SUPPORTED', 'TIMEOUT', 'CONFLICT', 'PRECONDITION_FAILED', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'UNPROCESSABLE_CONTENT', 'TOO_MANY_REQUESTS', 'CLIENT_CLOSED_REQUEST']);

const STACK = /\n\s+at [^\n]+[(:]|"stack"\s*:/;

export function judgeCallerError(err: unknown): Judged {
  if (!(err instanceof TRPCError)) return { verdict: 'crash', detail: `not a TRPCError: ${describeError(err)}` };
  if (!CLIENT_CODES.has(err.code)) return { verdict: 'crash', detail: `${err.code}: ${describeError(err.cause ?? err)}` };
  if (!err.message) return { verdict: 'crash', detail: `${err.code} without a message` };
  // tRPC writes an input validation failure as indented JSON of zod's issues: its own line breaks are fine.
  const bad = unsafeCharacter(err.message.replace(/\n/g, ' '));
  if (bad) return { verdict: 'leak', detail: `${err.code} message carries raw ${bad}` };
  return { verdict: 'named', detail: err.code };
}

/** One HTTP answer from /api/trpc/: status, and the JSON body's error(s). */
export function judgeHttpAnswer(status: number, body: string, isApi: boolean): Judged {
  if (status >= 500) {
    // Pages without a built web app say so with 503 by design; anything else 5xx is the server failing.
    if (!isApi && status === 503 && body.includes('web app is not built')) return { verdict: 'named', detail: '503 web app not built' };
    return { verdict: 'crash', detail: `status ${status}: ${JSON.stringify(body.slice(0, 160))}` };
  }
  if (STACK.test(body)) return { verdict: 'leak', detail: `status ${status}: the body carries a stack trace` };
  if (!isApi) return { verdict: status < 400 ? 'ok' : 'named', detail: `status ${status}` };
  // HEAD, OPTIONS and 204 answers carry no body.
  if (status < 400 && body === '') return { verdict: 'ok', detail: `status ${status}, no body` };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    // The server's own refusals before tRPC (421 for an unknown Host, 400 for a malformed target, 431 from
    // node:http) are plain text; they still have to say something.
    if (status >= 400 && body.trim() !== '') return { verdict: 'named', detail: `status ${status} (text)` };
    // node:http's own parser refuses a target or headers too large (431) or malformed (400) with no body.
    if ((status === 431 || status === 400) && body === '') return { verdict: 'named', detail: `status ${status} from node:http` };
    return { verdict: 'crash', detail: `status ${status}: body is not JSON (${body.length} bytes)` };
  }
  const items = Array.isArray(json) ? json : [json];
  for (const item of items) {
    const error = (item as { error?: { message?: unknown; json?: { message?: unknown } } } | null)?.error;
    if (!error) continue;
    const message = error.message ?? error.json?.message;
    if (typeof message !== 'string' || message === '') return { verdict: 'crash', detail: `status ${status}: an error without a message` };
    const bad = unsafeCharacter(message.replace(/\n/g, ' '));
    if (bad) return { verdict: 'leak', detail: `status ${status}: error message carries raw ${bad}` };
    if (/INTERNAL_SERVER_ERROR/.test(JSON.stringify(error))) return { verdict: 'crash', detail: `status ${status}: INTERNAL_SERVER_ERROR in a batch item` };
  }
  return { verdict: status < 400 && !items.some((i) => (i as { error?: unknown } | null)?.error) ? 'ok' : 'named', detail: `status ${status}` };
}
