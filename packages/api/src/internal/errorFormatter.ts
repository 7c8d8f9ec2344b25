import { randomBytes } from 'node:crypto';
import type { TRPCDefaultErrorShape, TRPCError } from '@trpc/server';
import type { Log } from '../source.js';

// What a client learns about a failed call (issue 25, defect 10). tRPC sends the stack trace unless NODE_ENV is
// "production", and an internal error's message is whatever was thrown (file paths, a library's wording). A
// dashboard user needs neither, and both help an attacker map the server. So: never a stack; an internal error
// gets a generic message with an id, and the id, message, cause and stack go to the server log instead. Refusals
// (NOT_FOUND, BAD_REQUEST...) keep their message: it names what was wrong with the request, which is the point.

/** tRPC's default shape without `stack`: what clients (and the web app's types) see. */
export type ApiErrorShape = Omit<TRPCDefaultErrorShape, 'data'> & { data: Omit<TRPCDefaultErrorShape['data'], 'stack'> };

/** Used when the context carries no log (or the context itself failed): the id must still reach a log. */
const stderrLog: Log = {
  info: () => {},
  warn: () => {},
  error: (obj, msg) => {
    process.stderr.write(`${JSON.stringify({ level: 'error', time: new Date().toISOString(), msg, ...obj })}\n`);
  },
};

/** tRPC may format one error more than once (its response and its onError both ask): one id, logged once. */
const ids = new WeakMap<Error, string>();

function describe(e: unknown): { name: string; message: string; stack?: string } | string {
  if (e instanceof Error) return { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
  return String(e);
}

/** A JSON.parse message may quote the input ("Unexpected token 'x', "..." is not valid JSON"): keep the position only. */
function parseErrorMessage(cause: SyntaxError): string {
  const position = /position (\d+)/.exec(cause.message)?.[1];
  return `the request's input is not valid JSON${position !== undefined ? ` (at position ${position})` : ''}`;
}

export function formatError({ shape, error, path, ctx }: { shape: TRPCDefaultErrorShape; error: TRPCError; path: string | undefined; ctx: { log?: Log } | undefined }): ApiErrorShape {
  // Dropped whatever NODE_ENV says.
  const { stack: _stack, ...data } = shape.data;
  if (error.code === 'INTERNAL_SERVER_ERROR') {
    let id = ids.get(error);
    if (id === undefined) {
      id = randomBytes(6).toString('hex');
      ids.set(error, id);
      (ctx?.log ?? stderrLog).error({ errorId: id, path: path ?? null, code: error.code, err: describe(error), cause: error.cause ? describe(error.cause) : null }, 'procedure failed');
    }
    return { ...shape, message: `internal error ${id}: the server log has the details`, data };
  }
  if (error.cause instanceof SyntaxError) return { ...shape, message: parseErrorMessage(error.cause), data };
  return { ...shape, data };
}
