// Turns a parser result into plain JSON for golden files: Maps become objects with sorted keys, and lists
// whose order the kernel does not define (ipset members, nft set elements: hash order) are sorted, so a
// re-capture of the same state gives the same file. Rule order is meaning and is never touched.

/** Keys whose arrays are order-free. */
const ORDER_FREE_KEYS: ReadonlySet<string> = new Set(['members', 'elements']);

export function normaliseForGolden(value: unknown): unknown {
  return walk(value, null);
}

function walk(value: unknown, key: string | null): unknown {
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const k of [...value.keys()].map(String).sort()) out[k] = walk(value.get(k), k);
    return out;
  }
  if (value instanceof Set) return [...value].map((v) => walk(v, null)).sort(compareJson);
  if (Array.isArray(value)) {
    const items = value.map((v) => walk(v, null));
    return key !== null && ORDER_FREE_KEYS.has(key) ? items.sort(compareJson) : items;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = walk(v, k);
    return out;
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

function compareJson(a: unknown, b: unknown): number {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A line diff of two JSON texts, enough to see what changed in a golden file. */
export function diffLines(expected: string, actual: string, context = 3): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length - 1;
  let endB = b.length - 1;
  while (endA >= start && endB >= start && a[endA] === b[endB]) {
    endA--;
    endB--;
  }
  if (start > endA && start > endB) return '';
  const out: string[] = [];
  for (let i = Math.max(0, start - context); i < start; i++) out.push(`  ${a[i]}`);
  for (let i = start; i <= endA; i++) out.push(`- ${a[i]}`);
  for (let i = start; i <= endB; i++) out.push(`+ ${b[i]}`);
  for (let i = endA + 1; i < Math.min(a.length, endA + 1 + context); i++) out.push(`  ${a[i]}`);
  return `@@ line ${start + 1} @@\n${out.join('\n')}`;
}
