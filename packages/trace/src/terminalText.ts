// Text from a bundle (interface, chain, pod names, rule text) ends up on people's terminals. A name holding ESC
// could recolour the output, move the cursor or retitle the window; a C1 control (U+009B is an 8-bit CSI) the
// same on terminals that honour them; a bidi override could make a rule read as another. So what is printed is
// escaped: visibly in the hop table, as \u escapes (which parse back to the same string) in JSON.

/**
 * Characters a terminal may act on or that change how text around them reads: C0 controls, DEL and C1 controls
 * (Cc), format characters (Cf: bidi embeddings, overrides and isolates, zero-width characters, BOM), the line and
 * paragraph separators (Zl, Zp) and lone surrogates (Cs).
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/** What JSON.stringify leaves raw of the above: it escapes C0 and lone surrogates itself. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu;

/** `text` with every unsafe character shown as `\xHH` (up to U+00FF) or `\u{H...}`. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const cp = c.codePointAt(0)!;
    return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
  });
}

/**
 * JSON.stringify(value, null, indent), with DEL, C1 and format characters as `\uHHHH` escapes too. They can
 * only occur inside string literals (JSON's own syntax is printable ASCII and whitespace), where an escape
 * means the same character, so the text parses back to the same value.
 */
export function jsonForTerminal(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(UNSAFE_IN_JSON, (c) => {
    let out = '';
    // A character above U+FFFF (a tag or musical format character) is two UTF-16 units: JSON escapes each.
    for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`;
    return out;
  });
}
