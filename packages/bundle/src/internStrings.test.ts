import { describe, expect, it } from 'vitest';
import { StringInterner } from './internStrings.js';

describe('StringInterner', () => {
  it('keeps every value and shares equal short string lists between objects', () => {
    const a = JSON.parse('{"routes":[{"dst":"10.244.1.0/24","dev":"flannel.1","flags":["onlink"]},{"dst":"default","flags":[]}],"n":3,"t":true,"z":null}') as Record<string, unknown>;
    const b = JSON.parse('{"routes":[{"dst":"10.244.1.0/24","dev":"flannel.1","flags":["onlink"]},{"dst":"default","flags":[]}],"n":3,"t":true,"z":null}') as Record<string, unknown>;
    const before = structuredClone(a);
    const interner = new StringInterner();
    interner.internAll(a);
    interner.internAll(b);
    expect(a).toEqual(before);
    expect(b).toEqual(before);
    type R = { routes: Array<{ flags: string[] }> };
    expect((b as R).routes[0]!.flags).toBe((a as R).routes[0]!.flags);
    expect((b as R).routes[1]!.flags).toBe((a as R).routes[1]!.flags);
  });

  it('does not merge lists that only join to the same text', () => {
    const interner = new StringInterner();
    const a = { l: ['a\u0000b', 'c'] };
    const b = { l: ['a', 'b\u0000c'] };
    interner.internAll(a);
    interner.internAll(b);
    expect(b.l).toEqual(['a', 'b\u0000c']);
    expect(a.l).toEqual(['a\u0000b', 'c']);
  });

  it('walks into long lists and lists of objects instead of sharing them', () => {
    const interner = new StringInterner();
    const long = Array.from({ length: 20 }, (_, i) => `x${i}`);
    const a = { long: [...long], objs: [{ s: 'v', flags: ['UP'] }] };
    const b = { long: [...long], objs: [{ s: 'v', flags: ['UP'] }] };
    interner.internAll(a);
    interner.internAll(b);
    expect(b.long).not.toBe(a.long);
    expect(b.long).toEqual(long);
    expect(b.objs[0]!.flags).toBe(a.objs[0]!.flags);
  });
});
