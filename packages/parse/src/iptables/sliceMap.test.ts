import { describe, expect, it } from 'vitest';
import { SliceMap } from './sliceMap.js';

describe('SliceMap', () => {
  it('finds a key by any slice with the same characters, in any string', () => {
    const m = new SliceMap<number>();
    const text = 'xx-p tcp -m tcp yy';
    expect(m.add(text, 2, 15, 1)).toBe(true);
    expect(m.get('-p tcp -m tcp', 0, 13)).toBe(1);
    expect(m.get(`zz${'-p tcp -m tcp'}`, 2, 15)).toBe(1);
    expect(m.get('-p tcp -m udp', 0, 13)).toBeUndefined();
    expect(m.get(text, 2, 14)).toBeUndefined();
    expect(m.get('', 0, 0)).toBeUndefined();
  });

  it('keeps the first value of a key and counts each key once', () => {
    const m = new SliceMap<string>();
    expect(m.add('abc', 0, 3, 'first')).toBe(true);
    expect(m.add('xabc', 1, 4, 'second')).toBe(false);
    expect(m.get('abc', 0, 3)).toBe('first');
    expect(m.size).toBe(1);
  });

  it('still finds every key after growing many times', () => {
    const m = new SliceMap<number>();
    const keys = Array.from({ length: 20_000 }, (_, i) => `-s 10.244.${i >> 8}.${i & 255}/32`);
    const text = keys.join(' ');
    let at = 0;
    for (let i = 0; i < keys.length; i++) {
      m.add(text, at, at + keys[i]!.length, i);
      at += keys[i]!.length + 1;
    }
    expect(m.size).toBe(keys.length);
    for (let i = 0; i < keys.length; i += 97) expect(m.get(keys[i]!, 0, keys[i]!.length)).toBe(i);
    expect(m.get('-s 10.244.200.1/32', 0, 18)).toBeUndefined();
  });
});
