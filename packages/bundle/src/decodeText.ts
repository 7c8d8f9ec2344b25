import { isUtf8 } from 'node:buffer';

// Bundles are UTF-8 (what the agent and kubectl write). A file saved by an editor in another encoding used to
// fail with JSON.parse's "Unexpected token '\uFEFF'" (an invisible character in the message) or, for UTF-16,
// a NUL: say what the encoding is instead.

const startsWith = (b: Uint8Array, ...bytes: number[]) => bytes.every((x, i) => b[i] === x);

/** The encoding a byte order mark or the NUL pattern of the first bytes gives away, or null for UTF-8. */
function foreignEncoding(b: Uint8Array): string | null {
  if (startsWith(b, 0x00, 0x00, 0xfe, 0xff)) return 'UTF-32 (big-endian, with a byte order mark)';
  if (startsWith(b, 0xff, 0xfe, 0x00, 0x00)) return 'UTF-32 (little-endian, with a byte order mark)';
  if (startsWith(b, 0xfe, 0xff)) return 'UTF-16 (big-endian, with a byte order mark)';
  if (startsWith(b, 0xff, 0xfe)) return 'UTF-16 (little-endian, with a byte order mark)';
  // JSON text starts with an ASCII character, so its first bytes show the width without a mark (RFC 4627 §3).
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] !== 0) return 'UTF-32 (big-endian)';
  if (b.length >= 4 && b[0] !== 0 && b[1] === 0 && b[2] === 0 && b[3] === 0) return 'UTF-32 (little-endian)';
  if (b.length >= 2 && b[0] === 0 && b[1] !== 0) return 'UTF-16 (big-endian)';
  if (b.length >= 2 && b[0] !== 0 && b[1] === 0) return 'UTF-16 (little-endian)';
  return null;
}

/** NUL bytes in the first 4 KiB, of which UTF-8 text has none and UTF-16 text of ASCII has every other one. */
function mostlyNul(b: Uint8Array): boolean {
  const n = Math.min(b.length, 4096);
  let nul = 0;
  for (let i = 0; i < n; i++) if (b[i] === 0) nul++;
  return nul * 4 > n;
}

/**
 * The text of a JSON file, or what is wrong with its encoding. A UTF-8 byte order mark is dropped and the file
 * accepted: it is unambiguous, editors on Windows add it, and RFC 8259 §8.1 lets a parser ignore it.
 */
export function decodeJsonText(bytes: Uint8Array): { text: string } | { problem: string } {
  const foreign = foreignEncoding(bytes);
  if (foreign) return { problem: `is ${foreign}; write UTF-8` };
  if (mostlyNul(bytes)) return { problem: 'is mostly NUL bytes (UTF-16 or binary?); write UTF-8 text' };
  const start = startsWith(bytes, 0xef, 0xbb, 0xbf) ? 3 : 0;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset + start, bytes.length - start);
  if (!isUtf8(buf)) return { problem: `is not valid UTF-8 (first bad byte at offset ${firstBadUtf8(buf) + start}); write UTF-8` };
  return { text: buf.toString('utf8') };
}

/** Whether bytes are UTF-8 (for blobs: their text must survive the round trip their sha256 was taken over). */
export function utf8Problem(bytes: Uint8Array): string | null {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return isUtf8(buf) ? null : `is not valid UTF-8 (first bad byte at offset ${firstBadUtf8(buf)})`;
}

/** Offset of the first byte that does not continue a valid UTF-8 sequence (only called once isUtf8 said no). */
function firstBadUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (len === 0) return i;
    // Checking each sequence whole with isUtf8 keeps the overlong and surrogate rules in one place.
    if (i + len > b.length || !isUtf8(b.subarray(i, i + len))) return i;
    i += len;
  }
  return b.length;
}
