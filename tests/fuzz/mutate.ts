// Mutations of a whole bundle: one to three per case, each on one file. Value mutations change parsed JSON
// (type flips, huge and deep values, odd strings and numbers, duplicates, swaps), text mutations change the
// bytes (truncation, BOM, UTF-16, invalid UTF-8, NaN-ish tokens), ruleset mutations plant jump loops, cluster
// mutations plant the inconsistencies a resolver must survive (two pods with one IP, slices to missing pods),
// and, for the file-backed layer only, entries become FIFOs, symlinks (inside and outside the bundle) or
// directories. Each mutation is described in one line (file, JSON path, what), never with its content.
import { createHash } from 'node:crypto';
import { jsonPath } from '@patchbay/schema';
import { ODD_NUMBERS, ODD_STRINGS, deepMarker, deleteAt, flipType, getAt, randomPath, serialise, setAt, typeName, type Json, type JsonPath } from './jsonValues.js';
import type { Rng } from './prng.js';
import { plantIptablesLoop, plantNftLoop } from './rulesetLoops.js';
import type { Entry, FileSet, Seed } from './seeds.js';

export interface MutateOptions {
  /** FIFOs, symlinks and directories: only the file-backed layer can create them. */
  nonRegular: boolean;
  /** One genuinely large value (tens of MB) in this case. */
  large: boolean;
  /** A file outside the bundle holding a secret marker, for symlinks that leave the bundle. */
  outsideFile: string;
}

export interface Mutated {
  files: FileSet;
  what: string[];
}

const fileData = (e: Entry | undefined): Buffer | null => (e?.type === 'file' ? e.data : null);

function regularFiles(files: FileSet, prefix = ''): string[] {
  return [...files].filter(([k, e]) => e.type === 'file' && k.startsWith(prefix) && !k.startsWith('blobs/')).map(([k]) => k);
}

function pickFile(rng: Rng, files: FileSet): string | null {
  const nodes = regularFiles(files, 'nodes/');
  const choice = rng.weighted({ node: 70, cluster: 25, meta: 5 });
  if (choice === 'node' && nodes.length > 0) return rng.pick(nodes);
  if (choice === 'meta' && fileData(files.get('bundle.json'))) return 'bundle.json';
  if (fileData(files.get('cluster.json'))) return 'cluster.json';
  const any = regularFiles(files);
  return any.length > 0 ? rng.pick(any) : null;
}

function parseFile(files: FileSet, file: string): Json | undefined {
  const data = fileData(files.get(file));
  if (!data) return undefined;
  try {
    return JSON.parse(data.toString('utf8')) as Json;
  } catch {
    return undefined;
  }
}

const put = (files: FileSet, file: string, text: string | Buffer) => files.set(file, { type: 'file', data: typeof text === 'string' ? Buffer.from(text, 'utf8') : text });

/** One change to parsed JSON; returns the new root and what it did. */
function mutateValue(rng: Rng, root: Json, large: boolean): { root: Json; what: string } {
  const path = randomPath(rng, root);
  const old = getAt(root, path);
  const at = jsonPath(path);
  const op = rng.weighted({ flip: 30, delete: 10, oddString: 14, oddNumber: 10, huge: 8, deep: 6, duplicate: 8, swap: 8, protoKey: 3, emptyContainer: 3 });
  switch (op) {
    case 'flip': {
      const v = flipType(rng, old);
      return { root: setAt(root, path, v), what: `${at}: ${typeName(old)} -> ${typeName(v)}` };
    }
    case 'delete':
      return { root: deleteAt(root, path), what: `${at}: deleted` };
    case 'oddString': {
      const i = rng.int(0, ODD_STRINGS.length - 1);
      return { root: setAt(root, path, ODD_STRINGS[i]!), what: `${at}: odd string #${i}` };
    }
    case 'oddNumber': {
      const n = rng.pick(ODD_NUMBERS);
      return { root: setAt(root, path, n), what: `${at}: number ${Object.is(n, -0) ? '-0' : n}` };
    }
    case 'huge': {
      if (large) {
        const mb = rng.int(16, 40);
        const asArray = rng.chance(0.3);
        const v: Json = asArray ? new Array<Json>(mb * 250_000).fill('x') : 'x'.repeat(mb * 1024 * 1024);
        return { root: setAt(root, path, v), what: `${at}: genuinely large ${asArray ? 'array' : 'string'} (~${mb} MB)` };
      }
      if (rng.chance(0.5)) {
        const n = rng.int(10_000, 300_000);
        return { root: setAt(root, path, 'y'.repeat(n)), what: `${at}: string of ${n} chars` };
      }
      const n = rng.int(1_000, 30_000);
      // A short item: the point is the count (a 14 kB iptables text repeated 30k times would be the harness's own 400 MB).
      const item: Json = typeof old === 'string' ? old.slice(0, 16) : old !== undefined && (typeof old !== 'object' || old === null) ? old : 0;
      return { root: setAt(root, path, new Array<Json>(n).fill(item)), what: `${at}: array of ${n} items` };
    }
    case 'deep': {
      const levels = rng.int(10_000, 100_000);
      const shape = rng.pick(['array', 'object', 'mixed'] as const);
      return { root: setAt(root, path, deepMarker(levels, shape)), what: `${at}: nested ${levels} levels (${shape})` };
    }
    case 'duplicate': {
      // The nearest array on the path gets one of its items again (a second pod, link or route with the same key).
      let arrAt = path.length;
      while (arrAt > 0 && !Array.isArray(getAt(root, path.slice(0, arrAt - 1)))) arrAt--;
      if (arrAt === 0) return { root: setAt(root, path, flipType(rng, old)), what: `${at}: no array above, flipped instead` };
      const arr = getAt(root, path.slice(0, arrAt - 1)) as Json[];
      const item = arr[path[arrAt - 1] as number]!;
      const times = rng.chance(0.8) ? rng.int(1, 3) : rng.int(100, 2000);
      for (let i = 0; i < times; i++) arr.push(structuredClone(item));
      return { root, what: `${jsonPath(path.slice(0, arrAt))}: duplicated ${times}x` };
    }
    case 'swap': {
      const other = randomPath(rng, root);
      const v = getAt(root, other);
      if (v === undefined) return { root, what: `${at}: swap source missing, unchanged` };
      return { root: setAt(root, path, structuredClone(v)), what: `${at}: replaced by the value at ${jsonPath(other)}` };
    }
    case 'protoKey': {
      const target = old !== null && typeof old === 'object' && !Array.isArray(old) ? old : null;
      if (!target) return { root: setAt(root, path, { ['constructor']: { prototype: 1 } }), what: `${at}: object with a constructor key` };
      // An own "__proto__" key, as JSON.parse creates it from text.
      Object.defineProperty(target, '__proto__', { value: { polluted: true }, enumerable: true, configurable: true, writable: true });
      return { root, what: `${at}: own __proto__ key` };
    }
    default: {
      const v: Json = Array.isArray(old) ? [] : {};
      return { root: setAt(root, path, v), what: `${at}: emptied` };
    }
  }
}

/** One change to the bytes of a file. */
function mutateBytes(rng: Rng, data: Buffer): { data: Buffer; what: string } {
  const op = rng.weighted({ truncate: 35, bom: 8, utf16: 5, invalidUtf8: 15, byteFlip: 15, empty: 4, nanToken: 12, dupKey: 3, tail: 3 });
  switch (op) {
    case 'truncate': {
      const at = rng.int(0, Math.max(0, data.length - 1));
      return { data: data.subarray(0, at), what: `truncated at byte ${at} of ${data.length}` };
    }
    case 'bom':
      return { data: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), data]), what: 'UTF-8 BOM prepended' };
    case 'utf16':
      return { data: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(data.toString('utf8'), 'utf16le')]), what: 'UTF-16LE with BOM' };
    case 'invalidUtf8': {
      // Inside a string value mostly (after a quote), where it survives JSON.parse as U+FFFD.
      const quotes: number[] = [];
      for (let i = data.indexOf(0x22); i >= 0 && quotes.length < 5000; i = data.indexOf(0x22, i + 1)) quotes.push(i + 1);
      const at = quotes.length > 0 && rng.chance(0.8) ? rng.pick(quotes) : rng.int(0, data.length);
      const bad = rng.pick([[0xff], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf]]);
      return { data: Buffer.concat([data.subarray(0, at), Buffer.from(bad), data.subarray(at)]), what: `invalid UTF-8 (${bad.length} bytes) at byte ${at}` };
    }
    case 'byteFlip': {
      const out = Buffer.from(data);
      const n = rng.int(1, 8);
      for (let i = 0; i < n && out.length > 0; i++) out[rng.int(0, out.length - 1)] = rng.int(0, 255);
      return { data: out, what: `${n} random byte(s) changed` };
    }
    case 'empty':
      return { data: Buffer.alloc(0), what: 'emptied (0 bytes)' };
    case 'nanToken': {
      const text = data.toString('latin1');
      const numbers = [...text.matchAll(/:(-?\d+(?:\.\d+)?)(?=[,}\]])/g)].slice(0, 5000);
      if (numbers.length === 0) return { data, what: 'no number to replace' };
      const m = rng.pick(numbers);
      const token = rng.pick(['NaN', 'Infinity', '-Infinity', '1e999', '-1e999', '-0', '00', '1.', '.5', '0x1F', '1e-999', '123456789012345678901234567890']);
      const at = m.index + 1;
      return { data: Buffer.from(text.slice(0, at) + token + text.slice(at + m[1]!.length), 'latin1'), what: `number at byte ${at} -> ${token}` };
    }
    case 'dupKey': {
      const text = data.toString('latin1');
      const at = text.indexOf('{"');
      if (at < 0) return { data, what: 'no object for a duplicate key' };
      return { data: Buffer.from(`${text.slice(0, at + 1)}"kind":null,"kind":{},${text.slice(at + 1)}`, 'latin1'), what: `duplicate keys at byte ${at + 1}` };
    }
    default: {
      const tail = rng.pick(['}{', ',]', '\u0000', '\n\n{"x":1}', ' '.repeat(100_000)]);
      return { data: Buffer.concat([data, Buffer.from(tail)]), what: `${tail.length} byte(s) appended after the value` };
    }
  }
}

/** Damages or loops a node's rulesets (iptables-save text, nft JSON). */
function mutateRulesets(rng: Rng, snap: Json): { root: Json; what: string } {
  const s = snap as Record<string, Json>;
  const dumps = Array.isArray(s.iptables) ? (s.iptables as Record<string, Json>[]).filter((d) => d && typeof d.save === 'string') : [];
  const op = rng.weighted({ iptablesLoop: 45, nftLoop: 30, iptablesDamage: 25 });
  if (op === 'nftLoop' || dumps.length === 0) {
    const { value, what } = plantNftLoop(rng, s.nft);
    s.nft = value as Json;
    return { root: snap, what };
  }
  const dump = rng.pick(dumps);
  if (op === 'iptablesLoop') {
    const { text, what } = plantIptablesLoop(rng, dump.save as string);
    dump.save = text;
    return { root: snap, what };
  }
  const lines = (dump.save as string).split('\n');
  const damage = rng.weighted({ truncate: 3, dropCommit: 2, garbage: 4, dupTable: 2, longLine: 1, unknownChain: 3 });
  const at = rng.int(0, lines.length);
  const garbage = rng.pick([
    '-A FORWARD -m nosuchmodule --foo bar -j ACCEPT',
    '-A NOSUCHCHAIN -j ACCEPT',
    ':BAD',
    '-A FORWARD -j NOSUCHCHAIN',
    '-A FORWARD -p tcp --dport 99999 -j ACCEPT',
    '-A FORWARD -m comment --comment "\u001b]0;pwn\u0007" -j ACCEPT',
    '-A FORWARD -s 10.0.0.0/99 -j DROP',
    '*nosuchtable',
    '[x:y] -A FORWARD -j ACCEPT',
    '-A FORWARD -m statistic --mode random --probability 7 -j DROP',
    '-A FORWARD -j DNAT --to-destination 999.1.1.1:0',
  ]);
  switch (damage) {
    case 'truncate': {
      const text = dump.save as string;
      const cut = rng.int(0, text.length);
      dump.save = text.slice(0, cut);
      return { root: snap, what: `iptables text truncated at char ${cut}` };
    }
    case 'dropCommit':
      dump.save = lines.filter((l) => l !== 'COMMIT').join('\n');
      return { root: snap, what: 'iptables text without COMMIT lines' };
    case 'dupTable':
      dump.save = `${dump.save as string}\n${dump.save as string}`;
      return { root: snap, what: 'iptables text with every table twice' };
    case 'longLine':
      lines.splice(at, 0, `-A FORWARD -m comment --comment "${'z'.repeat(rng.int(10_000, 200_000))}" -j ACCEPT`);
      dump.save = lines.join('\n');
      return { root: snap, what: `iptables text: a very long line at ${at}` };
    default:
      lines.splice(at, 0, garbage);
      dump.save = lines.join('\n');
      return { root: snap, what: `iptables text: line ${at} is odd (${damage})` };
  }
}

/** Inconsistencies between cluster objects that each pass the schema. */
function mutateCluster(rng: Rng, list: Json): { root: Json; what: string } {
  const items = (list as { items?: Json }).items;
  if (!Array.isArray(items) || items.length === 0) return { root: list, what: 'no items to change' };
  const ofKind = (k: string) => items.filter((i): i is Record<string, Json> => !!i && typeof i === 'object' && (i as Record<string, Json>).kind === k);
  const pods = ofKind('Pod');
  const slices = ofKind('EndpointSlice');
  const op = rng.weighted({ dupObject: 3, podIpClash: 3, sliceToGhost: 3, sliceBadAddress: 3, nodeCidr: 2, dropKind: 2, selfReference: 1 });
  const get = (o: Json, ...p: JsonPath) => getAt(o, p);
  switch (op) {
    case 'dupObject': {
      const i = rng.int(0, items.length - 1);
      items.push(structuredClone(items[i]!));
      return { root: list, what: `$.items[${i}] listed twice` };
    }
    case 'podIpClash': {
      if (pods.length < 2) break;
      const [a, b] = [rng.pick(pods), rng.pick(pods)];
      const ip = get(a, 'status', 'podIP');
      setAt(b, ['status', 'podIP'], ip ?? '10.244.1.2');
      setAt(b, ['status', 'podIPs'], [{ ip: ip ?? '10.244.1.2' }]);
      return { root: list, what: 'two pods with one IP' };
    }
    case 'sliceToGhost':
    case 'sliceBadAddress': {
      if (slices.length === 0) break;
      const s = rng.pick(slices);
      const eps = get(s, 'endpoints');
      if (!Array.isArray(eps) || eps.length === 0) break;
      const e = rng.pick(eps) as Record<string, Json>;
      if (op === 'sliceToGhost') {
        e.targetRef = { kind: 'Pod', name: 'ghost-pod', namespace: 'nowhere' };
        return { root: list, what: 'an EndpointSlice endpoint names a missing pod' };
      }
      e.addresses = [rng.pick(['not-an-ip', '10.244.1.2/24', '::1', '', '10.244.255.255', '999.0.0.1', '0.0.0.0'])];
      return { root: list, what: 'an EndpointSlice endpoint with an odd address' };
    }
    case 'nodeCidr': {
      const nodes = ofKind('Node');
      if (nodes.length === 0) break;
      const cidr = rng.pick(['0.0.0.0/0', '10.244.0.0/0', '10.244.1.0/33', 'x', '10.244.1.0', '::/0']);
      setAt(rng.pick(nodes), ['spec', 'podCIDR'], cidr);
      setAt(rng.pick(nodes), ['spec', 'podCIDRs'], [cidr]);
      return { root: list, what: 'a node with an odd podCIDR' };
    }
    case 'dropKind': {
      const kind = rng.pick(['Node', 'Pod', 'Service', 'EndpointSlice', 'Namespace']);
      (list as { items: Json[] }).items = items.filter((i) => ofKind(kind).indexOf(i as Record<string, Json>) < 0);
      return { root: list, what: `every ${kind} removed` };
    }
    case 'selfReference': {
      if (pods.length === 0) break;
      setAt(rng.pick(pods), ['spec', 'nodeName'], rng.pick(['', 'ghost-node', '../n1', 'n1\u0000']));
      return { root: list, what: 'a pod on an odd node name' };
    }
  }
  return mutateValue(rng, list, false);
}

/** Non-regular entries, and blobs, which only the file-backed layer writes. */
function mutateEntries(rng: Rng, files: FileSet, outsideFile: string): string {
  const nodes = [...files.keys()].filter((k) => k.startsWith('nodes/'));
  const someNode = () => (nodes.length > 0 && rng.chance(0.6) ? rng.pick(nodes) : `nodes/fz${rng.int(0, 99)}.json`);
  const op = rng.weighted({ fifo: 4, fifoCluster: 1, symlinkInside: 3, symlinkOutside: 3, symlinkOutsideCluster: 1, devNull: 1, dirAsNode: 2, dirAsCluster: 1, symlinkLoop: 1, dangling: 1, blob: 5 });
  switch (op) {
    case 'fifo': {
      const f = someNode();
      files.set(f, { type: 'fifo' });
      return `${f}: a FIFO`;
    }
    case 'fifoCluster':
      files.set('cluster.json', { type: 'fifo' });
      return 'cluster.json: a FIFO';
    case 'symlinkInside': {
      const f = `nodes/fz${rng.int(0, 99)}.json`;
      const target = rng.pick(['../cluster.json', ...nodes.map((n) => n.slice('nodes/'.length)), '.', '..']);
      files.set(f, { type: 'symlink', target });
      return `${f}: a symlink inside the bundle (${target})`;
    }
    case 'symlinkOutside': {
      const f = someNode();
      files.set(f, { type: 'symlink', target: outsideFile });
      return `${f}: a symlink to a secret file outside the bundle`;
    }
    case 'symlinkOutsideCluster':
      files.set(rng.pick(['cluster.json', 'bundle.json']), { type: 'symlink', target: outsideFile });
      return 'cluster.json or bundle.json: a symlink to a secret file outside the bundle';
    case 'devNull': {
      const f = someNode();
      files.set(f, { type: 'symlink', target: '/dev/null' });
      return `${f}: a symlink to /dev/null (a character device)`;
    }
    case 'dirAsNode': {
      const f = `nodes/fz${rng.int(0, 99)}.json`;
      files.set(f, { type: 'dir' });
      return `${f}: a directory`;
    }
    case 'dirAsCluster':
      files.set('cluster.json', { type: 'dir' });
      return 'cluster.json: a directory';
    case 'symlinkLoop':
      files.set('nodes/loop-a.json', { type: 'symlink', target: 'loop-b.json' });
      files.set('nodes/loop-b.json', { type: 'symlink', target: 'loop-a.json' });
      return 'nodes/loop-a.json <-> loop-b.json: a symlink loop';
    case 'dangling': {
      const f = someNode();
      files.set(f, { type: 'symlink', target: 'no-such-file.json' });
      return `${f}: a dangling symlink`;
    }
    default:
      return blobify(rng, files, outsideFile);
  }
}

/** Moves a node's iptables text into blobs/ by reference, then (mostly) breaks the blob. */
function blobify(rng: Rng, files: FileSet, outsideFile: string): string {
  const nodes = regularFiles(files, 'nodes/');
  const f = nodes.length > 0 ? rng.pick(nodes) : null;
  const snap = f ? (parseFile(files, f) as Record<string, Json> | undefined) : undefined;
  const dump = Array.isArray(snap?.iptables) ? (snap.iptables as Record<string, Json>[]).find((d) => typeof d?.save === 'string') : undefined;
  if (!f || !snap || !dump) return 'no iptables text to move into a blob';
  const text = dump.save as string;
  const sha = createHash('sha256').update(text).digest('hex');
  const how = rng.weighted({ intact: 2, fifo: 3, missing: 2, wrongContent: 2, symlinkOutside: 2, wrongBytes: 1, dir: 1 });
  dump.save = { sha256: sha, bytes: how === 'wrongBytes' ? rng.pick([0, -1, 1e12, text.length * 1000]) : Buffer.byteLength(text) };
  const rewritten = serialiseOrNull(snap);
  if (rewritten === null) return `${f}: nested too deep to rewrite, no blob`;
  put(files, f, rewritten);
  const blob = `blobs/${sha}`;
  if (how === 'fifo') files.set(blob, { type: 'fifo' });
  else if (how === 'symlinkOutside') files.set(blob, { type: 'symlink', target: outsideFile });
  else if (how === 'dir') files.set(blob, { type: 'dir' });
  else if (how === 'wrongContent') put(files, blob, `${text}\n# changed`);
  else if (how !== 'missing') put(files, blob, text);
  return `${f}: iptables text by reference, blob ${how}`;
}

/** A value mutation and its text; null when the value cannot be written back (nested deeper than JSON.stringify goes). */
function changeValue(rng: Rng, family: string, root: Json, large: boolean): { text: string; what: string } | null {
  const r = family === 'rulesets' ? mutateRulesets(rng, root) : family === 'cluster' ? mutateCluster(rng, root) : mutateValue(rng, root, large && rng.chance(0.5));
  const text = serialiseOrNull(r.root);
  return text === null ? null : { text, what: r.what };
}

/** A file an earlier mutation nested 10k+ levels deep parses, but JSON.stringify cannot write it back. */
function serialiseOrNull(root: Json): string | null {
  try {
    return serialise(root);
  } catch (err) {
    if (err instanceof RangeError) return null;
    throw err;
  }
}

export function mutateBundle(rng: Rng, seed: Seed, opts: MutateOptions): Mutated {
  const files: FileSet = new Map(seed.files);
  const what: string[] = [];
  const count = rng.pick([1, 1, 1, 2, 3]);
  let large = opts.large;
  for (let m = 0; m < count; m++) {
    const family = rng.weighted({ value: 46, bytes: 20, rulesets: 16, cluster: 8, entries: opts.nonRegular ? 14 : 0 });
    if (family === 'entries') {
      what.push(mutateEntries(rng, files, opts.outsideFile));
      continue;
    }
    const file = family === 'cluster' ? 'cluster.json' : family === 'rulesets' ? (regularFiles(files, 'nodes/')[0] ? rng.pick(regularFiles(files, 'nodes/')) : null) : pickFile(rng, files);
    if (!file) continue;
    const root = family === 'bytes' ? undefined : parseFile(files, file);
    const r = root === undefined ? null : changeValue(rng, family, root, large);
    if (r === null) {
      // Not JSON any more (an earlier mutation), or a byte mutation was drawn.
      const data = fileData(files.get(file));
      if (!data) continue;
      const r = mutateBytes(rng, data);
      put(files, file, r.data);
      what.push(`${file}: ${r.what}`);
      continue;
    }
    if (r.what.includes('genuinely large')) large = false;
    put(files, file, r.text);
    what.push(`${file}: ${r.what}`);
  }
  if (large) {
    // The case was meant to carry one large value and none was drawn: put it in a node's kernel release.
    const file = regularFiles(files, 'nodes/')[0];
    const root = file ? parseFile(files, file) : undefined;
    if (file && root && typeof root === 'object' && !Array.isArray(root)) {
      const mb = rng.int(16, 40);
      (root as Record<string, Json>).kernelRelease = 'k'.repeat(mb * 1024 * 1024);
      const text = serialiseOrNull(root);
      if (text !== null) {
        put(files, file, text);
        what.push(`${file}: $.kernelRelease: genuinely large string (~${mb} MB)`);
      }
    }
  }
  return { files, what };
}
