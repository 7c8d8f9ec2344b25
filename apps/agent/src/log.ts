import { pino, type Logger } from 'pino';

// Structured logs on stderr (stdout carries the snapshot). Never log the bearer token.
export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: 'patchbay-agent', level }, pino.destination(2));
}
export type { Logger };
