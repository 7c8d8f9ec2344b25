// JSON.parse's messages quote the text around the error ("Unexpected token 'r', "root:x:0:0:..." is not valid
// JSON"), which put the first bytes of whatever a bundle file pointed at into logs and API answers. This finds
// the position of the first syntax error by itself (only when JSON.parse has already failed, so its cost does
// not matter), and the message is built from that position alone.

const WS = new Set([0x20, 0x0a, 0x0d, 0x09]);

/** The offset of the first syntax error in `text` (text.length when it ends too soon), or null if it is valid JSON. */
export function syntaxErrorOffset(text: string): number | null {
  const n = text.length;
  let i = 0;
  const skipWs = () => {
    while (i < n && WS.has(text.charCodeAt(i))) i++;
  };
  const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
  const isHex = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

  /** Scans a string starting at text[i] === '"'; returns false with i at the error. */
  const scanString = (): boolean => {
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        const e = text.charCodeAt(i + 1);
        if (e === 0x75) {
          for (let k = 2; k < 6; k++) {
            if (!isHex(text.charCodeAt(i + k))) {
              i += k;
              return false;
            }
          }
          i += 6;
          continue;
        }
        if (!'"\\/bfnrt'.includes(text[i + 1] ?? '')) {
          i++;
          return false;
        }
        i += 2;
        continue;
      }
      i++;
    }
    return false;
  };
  const scanNumber = (): boolean => {
    if (text.charCodeAt(i) === 0x2d) i++;
    if (text.charCodeAt(i) === 0x30) i++;
    else if (isDigit(text.charCodeAt(i))) while (isDigit(text.charCodeAt(i))) i++;
    else return false;
    if (text.charCodeAt(i) === 0x2e) {
      i++;
      if (!isDigit(text.charCodeAt(i))) return false;
      while (isDigit(text.charCodeAt(i))) i++;
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const s = text.charCodeAt(i);
      if (s === 0x2b || s === 0x2d) i++;
      if (!isDigit(text.charCodeAt(i))) return false;
      while (isDigit(text.charCodeAt(i))) i++;
    }
    return true;
  };
  const scanWord = (w: string): boolean => {
    for (let k = 0; k < w.length; k++, i++) if (text[i] !== w[k]) return false;
    return true;
  };

  // true: inside an array, false: inside an object. Iterative, so deep input cannot overflow it either.
  const stack: boolean[] = [];
  for (;;) {
    // A value is expected here.
    skipWs();
    if (i >= n) return n;
    const c = text[i];
    if (c === '{' || c === '[') {
      i++;
      skipWs();
      const close = c === '{' ? '}' : ']';
      if (text[i] === close) i++;
      else {
        stack.push(c === '[');
        if (c === '{') {
          if (text[i] !== '"') return i >= n ? n : i;
          if (!scanString()) return Math.min(i, n);
          skipWs();
          if (text[i] !== ':') return i >= n ? n : i;
          i++;
        }
        continue;
      }
    } else if (c === '"') {
      if (!scanString()) return Math.min(i, n);
    } else if (c === '-' || (c !== undefined && isDigit(c.charCodeAt(0)))) {
      if (!scanNumber()) return Math.min(i, n);
    } else if (c === 't' || c === 'f' || c === 'n') {
      if (!scanWord(c === 't' ? 'true' : c === 'f' ? 'false' : 'null')) return Math.min(i, n);
    } else return i;
    // After a value: close containers, or move to the next element.
    for (;;) {
      skipWs();
      if (stack.length === 0) return i < n ? i : null;
      if (i >= n) return n;
      const inArray = stack[stack.length - 1]!;
      const d = text[i];
      if (d === (inArray ? ']' : '}')) {
        stack.pop();
        i++;
        continue;
      }
      if (d !== ',') return i;
      i++;
      if (!inArray) {
        skipWs();
        if (text[i] !== '"') return i >= n ? n : i;
        if (!scanString()) return Math.min(i, n);
        skipWs();
        if (text[i] !== ':') return i >= n ? n : i;
        i++;
      }
      break;
    }
  }
}

/** 1-based line and column (in characters) of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** JSON.parse, with an error message that gives the position and never the text. */
export function parseJson(text: string): { value: unknown } | { problem: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    const at = syntaxErrorOffset(text);
    if (at === null) return { problem: 'not valid JSON' };
    const { line, column } = lineColumn(text, at);
    return { problem: at >= text.length ? `not valid JSON: it ends too soon (line ${line}, column ${column})` : `not valid JSON: unexpected character at line ${line}, column ${column}` };
  }
}
