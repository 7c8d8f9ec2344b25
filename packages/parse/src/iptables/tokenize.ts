// Splits one iptables-save rule line into arguments the way iptables-restore does: blanks separate words,
// double or single quotes group them ("kubernetes service portals"), a backslash escapes the next character.
// Most lines have no quotes at all, so those take a plain split — this is the parser's hot path.

export class TokenizeError extends Error {}

export function tokenizeRule(line: string): string[] {
  if (line.indexOf('"') < 0 && line.indexOf("'") < 0 && line.indexOf('\\') < 0 && line.indexOf('\t') < 0 && line.indexOf('  ') < 0) {
    const parts = line.split(' ');
    // A trailing or leading blank leaves an empty word; drop it.
    if (parts[parts.length - 1] === '') parts.pop();
    if (parts[0] === '') parts.shift();
    return parts;
  }
  return tokenizeQuoted(line);
}

function tokenizeQuoted(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote = 0; // 0, 34 (") or 39 (')
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 92 /* \ */) {
      if (i + 1 >= line.length) throw new TokenizeError('line ends in a lone backslash');
      // Inside single quotes a backslash is literal, as in the shell, except before the closing quote iptables-save never writes.
      if (quote === 39) {
        cur += '\\';
        inWord = true;
        continue;
      }
      cur += line[++i];
      inWord = true;
    } else if (quote !== 0) {
      if (c === quote) quote = 0;
      else cur += line[i];
    } else if (c === 34 || c === 39) {
      quote = c;
      inWord = true;
    } else if (c === 32 || c === 9) {
      if (inWord) {
        out.push(cur);
        cur = '';
        inWord = false;
      }
    } else {
      cur += line[i];
      inWord = true;
    }
  }
  if (quote !== 0) throw new TokenizeError(`unterminated ${quote === 34 ? 'double' : 'single'} quote`);
  if (inWord) out.push(cur);
  return out;
}
