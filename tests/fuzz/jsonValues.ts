// Paths into parsed JSON, and the odd values the fuzz plants there. Values are changed in place on a fresh
// JSON.parse of a seed file, so the seeds themselves never change.
import type { Rng } from './prng.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonPath = (string | number)[];

const isContainer = (v: unknown): v is Json[] | Record<string, Json> => v !== null && typeof v === 'object';

function children(v: Json[] | Record<string, Json>): (string | number)[] {
  return Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
}

/** A random walk down from the root: stops at a leaf, or early now and then, so shallow and deep paths both come up. */
export function randomPath(rng: Rng, root: Json, stopChance = 0.15): JsonPath {
  const path: JsonPath = [];
  let v: Json = root;
  while (isContainer(v)) {
    const keys = children(v);
    if (keys.length === 0 || (path.length > 0 && rng.chance(stopChance))) break;
    const k = rng.pick(keys);
    path.push(k);
    v = (v as Record<string | number, Json>)[k]!;
  }
  return path;
}

export function getAt(root: Json, path: JsonPath): Json | undefined {
  let v: Json | undefined = root;
  for (const k of path) {
    if (!isContainer(v)) return undefined;
    v = (v as Record<string | number, Json>)[k];
  }
  return v;
}

/** Sets the value at path (the root itself when the path is empty) and returns the root. */
export function setAt(root: Json, path: JsonPath, value: Json): Json {
  if (path.length === 0) return value;
  const parent = getAt(root, path.slice(0, -1));
  if (isContainer(parent)) (parent as Record<string | number, Json>)[path[path.length - 1]!] = value;
  return root;
}

export function deleteAt(root: Json, path: JsonPath): Json {
  if (path.length === 0) return null;
  const parent = getAt(root, path.slice(0, -1));
  const key = path[path.length - 1]!;
  if (Array.isArray(parent)) parent.splice(key as number, 1);
  else if (isContainer(parent)) delete (parent as Record<string, Json>)[key];
  return root;
}

export function typeName(v: Json | undefined): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  return Array.isArray(v) ? 'array' : typeof v;
}

/** A value of another JSON type than v (string <-> number <-> null <-> array <-> object <-> boolean). */
export function flipType(rng: Rng, v: Json | undefined): Json {
  const from = typeName(v);
  const options: Record<string, () => Json> = {
    string: () => (typeof v === 'number' ? String(v) : rng.pick(['', 'x', '1', 'true', 'null'])),
    number: () => (typeof v === 'string' && v !== '' && !Number.isNaN(Number(v)) ? Number(v) : rng.pick([0, 1, -1, 3.5])),
    null: () => null,
    array: () => (v === undefined || v === null ? [] : [v]),
    object: (): Json => (v === undefined ? {} : { value: v }),
    boolean: () => rng.chance(0.5),
  };
  const to = rng.pick(Object.keys(options).filter((k) => k !== from));
  return options[to]!();
}

/** Strings that names, addresses and devices should never trust: control characters, traversal, odd Unicode. */
export const ODD_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u001b[31mred\u001b[0m\u001b]0;title\u0007',
  'a\u0000b',
  '../../../etc/passwd',
  'pod/../x',
  '\ufeffn1',
  '\ud800',
  'x'.repeat(10_000),
  'ñ/日本/🙂‮',
  '\r\n',
  '%E0%A4%A',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'NaN',
  '-1',
  '10.244.1.2',
  '999.1.1.1',
  '10.244.1.2/33',
  '0.0.0.0/0',
  'KUBE-SERVICES',
  'default',
  'local',
  'flannel.1',
];

/** Numbers at the edges: past safe integers, negative, fractional, tiny, too large for a port, -0. */
export const ODD_NUMBERS: readonly number[] = [1e308, -1, 0, 2 ** 53 + 1, 0.5, -0, 4294967296, 65536, 1e-320, -2147483649, 2147483647];

/** Marks where a deeply nested value goes: JSON.stringify cannot write 100k levels, so it is spliced into the text. */
export function deepMarker(levels: number, shape: 'array' | 'object' | 'mixed'): string {
  return `\u0000PBDEEP:${levels}:${shape}\u0000`;
}

function deepText(levels: number, shape: string): string {
  if (shape === 'array') return '['.repeat(levels) + ']'.repeat(levels);
  if (shape === 'object') return '{"a":'.repeat(levels) + 'null' + '}'.repeat(levels);
  return '[{"a":'.repeat(levels >> 1) + '1' + '}]'.repeat(levels >> 1);
}

/** JSON text of root, with every deep marker replaced by its nested value. */
export function serialise(root: Json): string {
  const text = JSON.stringify(root);
  return text.includes('PBDEEP:') ? text.replace(/"\\u0000PBDEEP:(\d+):(\w+)\\u0000"/g, (_, n: string, shape: string) => deepText(Number(n), shape)) : text;
}
