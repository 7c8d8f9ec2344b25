import { describe, expect, it } from 'vitest';
import { HOSTILE_IFNAME as HOSTILE, hostileInterface } from '../test/hostile.js';
import { twoNodeShop } from '../test/kit.js';
import { formatTrace, formatTraceJson } from './formatTrace.js';
import { escapeControls, jsonForTerminal } from './terminalText.js';
import { traceFlow } from './traceFlow.js';

// Issue #25, defect 10 (the tracer's part): bundle data reaches the terminal through `patchbay trace`. An
// interface name holding ESC[31m, an 8-bit CSI (U+009B), DEL and a right-to-left override must be shown escaped.
const hostileShop = () => twoNodeShop({ tweak: hostileInterface });

/** Any character a terminal could act on, other than the line breaks the table is made of. */
const RAW = /(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

describe('issue 25: trace output escapes control characters from the bundle', () => {
  const { model } = hostileShop();
  const trace = traceFlow(model, { from: 'pod/shop/client-0', to: 'svc/shop/web:80', proto: 'tcp' });

  it('the hop table shows them escaped, and nothing raw', () => {
    // The bundle really carries the name into the trace.
    expect(trace.verdict).toBe('delivered');
    expect(trace.paths[0]!.hops.some((h) => h.action.includes(HOSTILE))).toBe(true);
    const text = formatTrace(trace);
    expect(text).not.toMatch(RAW);
    expect(text).toContain('veth\\x1b[31m0\\x9b\\x7f\\u{202e}');
  });
  it('--json escapes C1, DEL and format characters too, and parses back to the same trace', () => {
    const json = formatTraceJson(trace);
    expect(json).not.toMatch(RAW);
    expect(json).toContain('veth\\u001b[31m0\\u009b\\u007f\\u202e');
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(trace)));
  });
});

describe('issue 25: escapeControls and jsonForTerminal', () => {
  it('escapes C0, DEL, C1, bidi and zero-width characters, separators and lone surrogates; keeps the rest', () => {
    expect(escapeControls('a\u0000b\tc\nd\re\u001b[0m\u007f\u0085\u009b\u200b\u200e\u2028\u2066\ufeff')).toBe('a\\x00b\\x09c\\x0ad\\x0de\\x1b[0m\\x7f\\x85\\x9b\\u{200b}\\u{200e}\\u{2028}\\u{2066}\\u{feff}');
    expect(escapeControls('x\ud800y')).toBe('x\\u{d800}y');
    expect(escapeControls('kube-proxy: é ü 東京 😀 \u00a0')).toBe('kube-proxy: é ü 東京 😀 \u00a0');
  });
  it('jsonForTerminal escapes an astral format character as its two UTF-16 units', () => {
    const v = { name: 'tag\u{e0041}', bidi: '\u202e', c1: '\u0090' };
    const json = jsonForTerminal(v, 0);
    expect(json).toBe('{"name":"tag\\udb40\\udc41","bidi":"\\u202e","c1":"\\u0090"}');
    expect(JSON.parse(json)).toEqual(v);
  });
});
