import { readFileSync } from 'node:fs';

/** The last lines of a component's log, control characters replaced, for an error message. */
export function logTail(file: string, lines = 25): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return `(no log at ${file})`;
  }
  const tail = text.split('\n').filter(Boolean).slice(-lines);
  // eslint-disable-next-line no-control-regex
  return tail.map((l) => `    ${(l.length > 400 ? `${l.slice(0, 400)}...` : l).replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?')}`).join('\n') || '    (empty log)';
}
