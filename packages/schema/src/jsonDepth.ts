import { jsonPath, type Problem } from './problems.js';

/**
 * The deepest nesting of arrays and objects a reader accepts. Real bundles nest at most 12 levels (an `nft -j`
 * expression inside a rule inside the ruleset); a kubectl List with managedFields about 20. Past a few
 * thousand levels, structuredClone, JSON.stringify and every recursive walker overflow the stack (3,292 and
 * 4,175 levels on Node 20's default stack): 100 leaves real data five times its depth and those walkers a
 * thirty-fold margin.
 */
export const DEFAULT_MAX_JSON_DEPTH = 100;

/** The JSON path of the first array or object nested more than maxDepth levels deep, or null. */
export function tooDeepAt(value: unknown, maxDepth: number): (string | number)[] | null {
  if (value === null || typeof value !== 'object') return null;
  if (maxDepth < 1) return [];
  // Iterative on purpose (this guards the recursive walkers, so it must not be one), and depth-first with one
  // frame per open container, so it holds O(depth) however large the value.
  interface Frame {
    container: object;
    keys: (string | number)[] | null;
    next: number;
    key: string | number;
  }
  const open = (container: object, key: string | number): Frame => ({ container, keys: Array.isArray(container) ? null : Object.keys(container), next: 0, key });
  const stack: Frame[] = [open(value, '')];
  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    const length = f.keys === null ? (f.container as unknown[]).length : f.keys.length;
    if (f.next >= length) {
      stack.pop();
      continue;
    }
    const key = f.keys === null ? f.next : f.keys[f.next]!;
    f.next++;
    const x: unknown = (f.container as Record<string | number, unknown>)[key];
    if (x === null || typeof x !== 'object') continue;
    if (stack.length >= maxDepth) return [...stack.slice(1).map((s) => s.key), key];
    stack.push(open(x, key));
  }
  return null;
}

/** A problem for `file` when `value` nests deeper than maxDepth, else null. */
export function depthProblem(file: string, value: unknown, maxDepth: number = DEFAULT_MAX_JSON_DEPTH): Problem | null {
  const at = tooDeepAt(value, maxDepth);
  if (at === null) return null;
  return { file, path: jsonPath(at), message: `nests arrays and objects more than ${maxDepth} levels deep; nothing past this point is read` };
}
