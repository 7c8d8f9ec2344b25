import { createHash } from 'node:crypto';
import { BundleMeta, NftRuleset, NodeSnapshot, depthProblem, parseClusterList, quoteInput, zodProblems, type ClusterObjects, type Problem } from '@patchbay/schema';
import { decodeJsonText, utf8Problem } from './decodeText.js';
import { parseJson } from './jsonSyntax.js';
import { readBundleFile } from './safeRead.js';

// What the loader does with one file, from its bytes to a validated value and its problems. Pure but for the
// read, synchronous, and free of shared state: it runs in a parse worker (or inline), and its result crosses
// back to the loader as data.

/** What a file is, by where it is in the bundle. */
export type BundleFileKind =
  | { kind: 'meta' }
  | { kind: 'cluster' }
  | { kind: 'node'; nodeName: string }
  /** A blob, with the sha256 its name promises; `nft` when a snapshot uses it as its nft ruleset (JSON). */
  | { kind: 'blob'; sha256: string; nft: boolean; referencedBy: string };

export interface CheckLimits {
  /** Deepest nesting of arrays and objects accepted in a JSON file. */
  maxDepth: number;
}

export interface FileOutcome {
  problems: Problem[];
  /** BundleMeta, ClusterObjects, NodeSnapshot or (a blob) its text; absent when the file is not usable. */
  value?: BundleMeta | ClusterObjects | NodeSnapshot | string;
}

const whole = (file: string, message: string): Problem => ({ file, path: '$', message });

/** Decodes, parses and depth-checks JSON bytes; the value, or the one problem that stops the file. */
function jsonOf(rel: string, bytes: Uint8Array, limits: CheckLimits | null): { value: unknown } | { problem: Problem } {
  const text = decodeJsonText(bytes);
  if ('problem' in text) return { problem: whole(rel, text.problem) };
  const parsed = parseJson(text.text);
  if ('problem' in parsed) return { problem: whole(rel, parsed.problem) };
  // Before any schema or walker sees it: zod, the interner and structuredClone all recurse. (null: the caller
  // checks depth itself, as parseClusterList does item by item.)
  const deep = limits && depthProblem(rel, parsed.value, limits.maxDepth);
  if (deep) return { problem: deep };
  return { value: parsed.value };
}

/**
 * Validates the bytes of one bundle file (`rel` as in the bundle, e.g. `nodes/n1.json`) the way the loader
 * does: encoding, JSON syntax (positions only, never the text), nesting depth, then the file's schema. For
 * callers that hold bundle files in memory (tests, fuzzers) as much as for the loader.
 */
export function checkBundleFile(rel: string, what: BundleFileKind, bytes: Uint8Array, limits: CheckLimits): FileOutcome {
  if (what.kind === 'blob') return checkBlob(rel, what, bytes, limits);
  const json = jsonOf(rel, bytes, what.kind === 'cluster' ? null : limits);
  if ('problem' in json) return { problems: [json.problem] };
  switch (what.kind) {
    case 'meta': {
      const parsed = BundleMeta.safeParse(json.value);
      return parsed.success ? { problems: [], value: parsed.data } : { problems: zodProblems(rel, parsed.error) };
    }
    case 'cluster': {
      const { cluster, problems } = parseClusterList(rel, json.value, { maxDepth: limits.maxDepth });
      return { problems, value: cluster };
    }
    case 'node': {
      const parsed = NodeSnapshot.safeParse(json.value);
      if (!parsed.success) return { problems: zodProblems(rel, parsed.error) };
      if (parsed.data.nodeName !== what.nodeName) {
        return { problems: [{ file: rel, path: '$.nodeName', message: `is ${quoteInput(parsed.data.nodeName)}, but the file is named for ${quoteInput(what.nodeName)}` }] };
      }
      return { problems: [], value: parsed.data };
    }
  }
}

function checkBlob(rel: string, what: Extract<BundleFileKind, { kind: 'blob' }>, bytes: Uint8Array, limits: CheckLimits): FileOutcome {
  const bad = utf8Problem(bytes);
  if (bad) return { problems: [whole(rel, bad)] };
  if (createHash('sha256').update(bytes).digest('hex') !== what.sha256) return { problems: [whole(rel, 'content does not match its sha256')] };
  if (what.nft) {
    // Parsed again where it is used (nftRuleset); checked here so that a bad one is a problem of its file
    // at load time, not an exception in the middle of a trace.
    const json = jsonOf(rel, bytes, limits);
    if ('problem' in json) return { problems: [json.problem] };
    const parsed = NftRuleset.safeParse(json.value);
    if (!parsed.success) return { problems: zodProblems(rel, parsed.error) };
  }
  return { problems: [], value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8') };
}

/** One file for a worker: where it is, what it is, and the limits. */
export interface FileJob {
  /** Real path of the bundle directory. */
  root: string;
  /** Absolute path of the file. */
  file: string;
  rel: string;
  what: BundleFileKind;
  maxBytes: number;
  limits: CheckLimits;
}

/** Reads (safely, see safeRead.ts) and checks one file. */
export function runFileJob(job: FileJob): FileOutcome {
  const read = readBundleFile(job.root, job.file, job.maxBytes);
  if ('problem' in read) {
    const missing = job.what.kind === 'blob' && read.problem === 'cannot read: ENOENT';
    return { problems: [whole(job.rel, missing ? `missing (referenced by ${(job.what as { referencedBy: string }).referencedBy})` : read.problem)] };
  }
  return checkBundleFile(job.rel, job.what, read.bytes, job.limits);
}
