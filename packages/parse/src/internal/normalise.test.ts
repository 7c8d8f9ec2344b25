import { describe, expect, it } from 'vitest';
import { diffLines, normaliseForGolden } from './normalise.js';

describe('normaliseForGolden', () => {
  it('turns Maps into objects with sorted keys', () => {
    expect(normaliseForGolden(new Map<string, unknown>([['b', 1], ['a', new Map([['z', 2]])]]))).toEqual({ a: { z: 2 }, b: 1 });
    expect(Object.keys(normaliseForGolden(new Map([['b', 1], ['a', 2]])) as object)).toEqual(['a', 'b']);
  });

  it('sorts order-free lists (members, elements) but keeps rule order', () => {
    const input = { members: [{ entry: 'b' }, { entry: 'a' }], rules: [{ n: 2 }, { n: 1 }], set: { elements: [3, 1, 2] } };
    expect(normaliseForGolden(input)).toEqual({ members: [{ entry: 'a' }, { entry: 'b' }], rules: [{ n: 2 }, { n: 1 }], set: { elements: [1, 2, 3] } });
  });

  it('drops undefined fields, keeps nulls, and makes null-prototype records plain', () => {
    const rec = Object.create(null) as Record<string, unknown>;
    rec['x'] = { a: undefined, b: null };
    expect(normaliseForGolden(rec)).toEqual({ x: { b: null } });
  });

  it('writes bigints and non-finite numbers as text', () => {
    expect(normaliseForGolden({ a: 5n, b: Number.NaN })).toEqual({ a: '5', b: 'NaN' });
  });
});

describe('diffLines', () => {
  it('shows the changed lines with context', () => {
    expect(diffLines('a\nb\nc\nd', 'a\nB\nc\nd', 1)).toBe('@@ line 2 @@\n  a\n- b\n+ B\n  c');
  });
  it('is empty for equal texts', () => {
    expect(diffLines('a\nb', 'a\nb')).toBe('');
  });
});
