// A parsed file crosses from its worker to the loader's thread in slices, so that the loader's thread never
// rebuilds more than a slice at a time and its event loop keeps turning (an HTTP server on it stays
// responsive) while a large file arrives.
//
// Why JSON text and not postMessage's structured clone of the value: on a 40 MB snapshot, deserializing the
// clone took 2.4 s on the receiving thread, JSON.parse of the same data 1.0 s. Why slices: one message is one
// uninterruptible task for the receiver, whatever its size.
//
// A container (array or object) weighing more than the budget (weight: values inside it, strings counted by
// length) is sent empty in its parent's slice and filled later by slices of its own entries; lighter ones go
// whole. Every slice then weighs about the budget at most (its entries are each under it, and it is closed
// once it reaches it). Containers are filled parent first, so a slice's target always exists when it
// arrives. Recursion here is safe: values reach this only after the depth check.

/** One message: the root value (target -1) or entries for container `target`. */
export interface Chunk {
  target: number;
  /** JSON text: the root value, or an array of items (appended) or an object of entries (added). */
  json: string;
  /** Containers sent empty in this chunk, filled by later chunks: [id, key in the target (array index, property name)]. */
  split: [number, string | number][];
}

type Container = unknown[] | Record<string, unknown>;
const isContainer = (v: unknown): v is Container => v !== null && typeof v === 'object';

function weigh(v: unknown, budget: number, heavy: Map<Container, number> | null): number {
  if (typeof v === 'string') return 1 + (v.length >> 4);
  if (!isContainer(v)) return 1;
  let w = 1;
  if (Array.isArray(v)) for (const x of v) w += weigh(x, budget, heavy);
  else for (const k in v) w += 1 + (k.length >> 4) + weigh(v[k], budget, heavy);
  if (heavy && w > budget) heavy.set(v, w);
  return w;
}

/** The chunks that carry `value`, each under about `budget` weight. */
export function* chunksOf(value: unknown, budget: number): Generator<Chunk> {
  // One pass finds the heavy containers (few); light ones are weighed again only where they are packed.
  const heavy = new Map<Container, number>();
  weigh(value, budget, heavy);
  if (!isContainer(value) || !heavy.has(value)) {
    yield { target: -1, json: JSON.stringify(value), split: [] };
    return;
  }
  yield { target: -1, json: Array.isArray(value) ? '[]' : '{}', split: [[0, '']] };
  const queue: Container[] = [value];
  for (let id = 0; id < queue.length; id++) {
    const container = queue[id]!;
    const isArray = Array.isArray(container);
    let entries: unknown[] | Record<string, unknown> = isArray ? [] : Object.create(null);
    let split: [number, string | number][] = [];
    let weight = 0;
    const flush = function* (): Generator<Chunk> {
      if (weight === 0) return;
      yield { target: id, json: JSON.stringify(entries), split };
      entries = isArray ? [] : Object.create(null);
      split = [];
      weight = 0;
    };
    const keys = isArray ? null : Object.keys(container);
    const length = keys ? keys.length : (container as unknown[]).length;
    for (let i = 0; i < length; i++) {
      const key = keys ? keys[i]! : i;
      const x = (container as Record<string | number, unknown>)[key];
      let w: number;
      let sent: unknown = x;
      if (isContainer(x) && heavy.has(x)) {
        sent = Array.isArray(x) ? [] : {};
        split.push([queue.length, key]);
        queue.push(x);
        w = 1;
      } else {
        w = weigh(x, budget, null);
      }
      if (isArray) (entries as unknown[]).push(sent);
      else (entries as Record<string, unknown>)[key as string] = sent;
      weight += w + 1;
      if (weight >= budget) yield* flush();
    }
    yield* flush();
  }
}

/** Rebuilds a value from its chunks, in order. */
export class Assembler {
  private readonly containers: Container[] = [];
  value: unknown = undefined;

  /** Adds one chunk; returns the part it parsed (so the caller can post-process just that part). */
  accept(chunk: Chunk): unknown {
    const part: unknown = JSON.parse(chunk.json);
    if (chunk.target === -1) {
      this.value = part;
      if (chunk.split.length > 0) this.containers[0] = part as Container;
      return part;
    }
    const target = this.containers[chunk.target];
    if (!target) throw new Error(`chunk for container ${chunk.target} arrived before the container`);
    if (Array.isArray(target)) {
      for (const x of part as unknown[]) target.push(x);
    } else {
      const entries = part as Record<string, unknown>;
      for (const k of Object.keys(entries)) {
        // JSON.parse makes "__proto__" an own property; a plain assignment would set the prototype instead.
        if (k === '__proto__') Object.defineProperty(target, k, { value: entries[k], writable: true, enumerable: true, configurable: true });
        else target[k] = entries[k];
      }
    }
    for (const [id, key] of chunk.split) this.containers[id] = (target as Record<string | number, unknown>)[key] as Container;
    return part;
  }
}
