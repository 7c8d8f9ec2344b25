// What we refuse before routing: Next.js and tRPC both decode the path with decodeURIComponent and answer a
// malformed percent-escape (/nodes/%, /pods/%E0%A4%A/x) with a 500, tRPC with its stack trace. Such a path
// names nothing we serve, so it is the client's mistake: a 400 that says so, checked once for every route.

export type TargetVerdict = { ok: true; pathname: string } | { ok: false; message: string };

/** Checks a request line's target (`req.url`): origin-form only, and a path that percent-decodes as UTF-8. */
export function checkRequestTarget(url: string | undefined): TargetVerdict {
  // We are not a proxy: absolute-form (GET http://other/ ...) and asterisk-form (OPTIONS *) are not ours to
  // answer, and absolute-form would carry a second host name past the Host check.
  if (!url?.startsWith('/')) return { ok: false, message: 'The request target must be a path starting with "/".\n' };
  const end = url.search(/[?#]/);
  const pathname = end < 0 ? url : url.slice(0, end);
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    // Positions, not content: the path is untrusted and may hold anything.
    return { ok: false, message: `The path has a malformed percent-escape (at character ${malformedAt(pathname) + 1}); "%" must be followed by two hex digits that encode UTF-8.\n` };
  }
  // No name we serve holds a control or invisible formatting character (Kubernetes names are ASCII letters,
  // digits, '-' and '.'), and tRPC's "no procedure" answer would repeat one raw to the client.
  const odd = decoded.search(/[\p{Cc}\p{Cf}]/u);
  if (odd >= 0) return { ok: false, message: `The path holds a control or formatting character (at character ${odd + 1} once decoded).\n` };
  return { ok: true, pathname };
}

/** Where the first escape that does not decode starts, walking the path as a UTF-8 decoder would. */
function malformedAt(pathname: string): number {
  for (let i = pathname.indexOf('%'); i >= 0; i = pathname.indexOf('%', i)) {
    const lead = /^%[0-9a-fA-F]{2}/.test(pathname.slice(i, i + 3)) ? parseInt(pathname.slice(i + 1, i + 3), 16) : -1;
    // The lead byte says how many escapes make one character: 0xxxxxxx 1, 110xxxxx 2, 1110xxxx 3, 11110xxx 4.
    const length = lead < 0 ? 0 : lead < 0x80 ? 1 : lead >= 0xc0 && lead < 0xe0 ? 2 : lead >= 0xe0 && lead < 0xf0 ? 3 : lead >= 0xf0 && lead < 0xf8 ? 4 : 0;
    if (length === 0) return i;
    try {
      decodeURIComponent(pathname.slice(i, i + 3 * length));
    } catch {
      return i;
    }
    i += 3 * length;
  }
  return 0;
}
