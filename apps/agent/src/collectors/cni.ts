import { z } from 'zod';
import type { NamespaceState } from '@patchbay/schema';
import type { FileInfo, SystemFs } from '../system.js';
import { redactSecrets, TooDeepError } from './cniSecrets.js';

export type PodRef = NonNullable<NamespaceState['pod']>;

// CNI configuration files, and libcni's result cache (/var/lib/cni/results/<net>-<containerID>-<ifname>), which
// names the pod and the network namespace path of each sandbox.
//
// Nothing read here is shipped as it is on disk (issue 25): the config directory also holds credentials
// (Calico's calico-kubeconfig with its ServiceAccount token, TLS keys, k8s_auth_token inside conflists), and a
// cache entry's `config` field is the whole network config again, base64. So: only *.conf, *.conflist and *.json
// are read from the config directory, only when world-readable, and shipped parsed and redacted
// (cniSecrets.ts); of a cache entry only the fields that name the pod and its addresses are shipped. Every file
// left out is named in `errors` with the reason, never with its content.

const MAX_FILE = 1024 * 1024;
const CONFIG_FILE = /\.(conf|conflist|json)$/;

export interface CniFileRead {
  path: string;
  content: string;
}

export interface CniResult extends CniFileRead {
  /** The sandbox's netns path as the cache records it, if any. */
  netns: string | null;
  pod: PodRef | null;
}

const CacheEntry = z.looseObject({
  containerId: z.string().optional(),
  netns: z.string().optional(),
  cniArgs: z.array(z.tuple([z.string(), z.string()]).or(z.array(z.string()))).optional(),
  result: z
    .looseObject({
      interfaces: z.array(z.looseObject({ name: z.string().optional(), sandbox: z.string().optional() })).optional(),
    })
    .optional(),
});

/** The pod and netns a cache entry names; null fields when it does not say. */
export function parseCniCacheEntry(text: string): { netns: string | null; pod: PodRef | null } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { netns: null, pod: null };
  }
  return podOfEntry(doc);
}

function podOfEntry(doc: unknown): { netns: string | null; pod: PodRef | null } {
  const r = CacheEntry.safeParse(doc);
  if (!r.success) return { netns: null, pod: null };
  const args = new Map((r.data.cniArgs ?? []).map((a) => [a[0], a[1]] as const));
  const ns = args.get('K8S_POD_NAMESPACE');
  const name = args.get('K8S_POD_NAME');
  const containerId = r.data.containerId ?? args.get('K8S_POD_INFRA_CONTAINER_ID');
  const sandbox = r.data.result?.interfaces?.find((i) => i.sandbox)?.sandbox;
  return {
    netns: r.data.netns ?? sandbox ?? null,
    pod: ns && name ? { namespace: ns, name, ...(containerId ? { containerId } : {}) } : null,
  };
}

// What of a cache entry is shipped: each field typed as a string (or number), so nothing else can ride along in
// it. cniArgs: only the pod's identity (runtimes may pass plugin-specific arguments there too).
const POD_ARGS = new Set(['K8S_POD_NAMESPACE', 'K8S_POD_NAME', 'K8S_POD_INFRA_CONTAINER_ID', 'K8S_POD_UID']);
const str = z.string().optional().catch(undefined);
const ShippedEntry = z.object({
  kind: str,
  containerId: str,
  ifName: str,
  networkName: str,
  netns: str,
  cniArgs: z
    .array(z.unknown())
    .optional()
    .catch(undefined)
    .transform((args) =>
      args?.filter((a): a is [string, string] => Array.isArray(a) && a.length === 2 && typeof a[1] === 'string' && POD_ARGS.has(a[0] as string)),
    ),
  result: z
    .object({
      cniVersion: str,
      interfaces: z
        .array(z.object({ name: str, mac: str, sandbox: str }).catch({}))
        .optional()
        .catch(undefined),
      ips: z
        .array(z.object({ version: str, interface: z.number().int().optional().catch(undefined), address: str, gateway: str }).catch({}))
        .optional()
        .catch(undefined),
    })
    .optional()
    .catch(undefined),
});

/** Control characters and bidi overrides of a file name escaped, so a note cannot rewrite a reader's terminal. */
export function printableName(name: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return name.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** JSON.parse's error names a position and, in Node 20, quotes the text around it: keep only the position. */
function jsonProblem(err: unknown): string {
  if (err instanceof TooDeepError) return err.message;
  const pos = /position (\d+)/.exec(err instanceof Error ? err.message : '');
  return pos ? `not valid JSON (at character ${pos[1]})` : 'not valid JSON';
}

interface Listed {
  path: string;
  /** Printable, for notes. */
  shown: string;
  info: FileInfo;
}

/** The directory's regular files up to MAX_FILE, in name order; notes for the rest. */
async function listDir(fs: SystemFs, dir: string, notes: string[], accept: (name: string) => boolean): Promise<Listed[]> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).sort();
  } catch (err) {
    notes.push(`${dir}: ${(err as Error).message}`);
    return [];
  }
  const out: Listed[] = [];
  for (const name of names) {
    const path = `${dir}/${name}`;
    const shown = printableName(path);
    let info: FileInfo;
    try {
      info = await fs.stat(path);
    } catch (err) {
      notes.push(`${shown}: cannot stat (${(err as NodeJS.ErrnoException).code ?? 'error'}), not read`);
      continue;
    }
    if (info.kind !== 'file') notes.push(`${shown}: not a regular file (${info.kind}), not read`);
    else if (!accept(name)) notes.push(`${shown}: not a CNI config file (only *.conf, *.conflist, *.json are read), not read`);
    else if (info.size > MAX_FILE) notes.push(`${shown}: larger than 1 MiB (${info.size} bytes), not read`);
    else out.push({ path, shown, info });
  }
  return out;
}

async function readJson(fs: SystemFs, f: Listed, notes: string[]): Promise<{ ok: true; doc: unknown } | { ok: false }> {
  let text: string;
  try {
    text = await fs.readFile(f.path);
  } catch (err) {
    notes.push(`${f.shown}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    return { ok: false };
  }
  try {
    return { ok: true, doc: JSON.parse(text) };
  } catch (err) {
    notes.push(`${f.shown}: ${jsonProblem(err)}, not shipped`);
    return { ok: false };
  }
}

/** World-readable CNI config files of `dir`, parsed and redacted. */
async function readConfigs(fs: SystemFs, dir: string, notes: string[]): Promise<CniFileRead[]> {
  const out: CniFileRead[] = [];
  for (const f of await listDir(fs, dir, notes, (name) => CONFIG_FILE.test(name))) {
    // The agent runs as root and could read it; a file its owner kept from other users is not ours to ship.
    if ((f.info.mode & 0o004) === 0) {
      notes.push(`${f.shown}: not world-readable, not read (mode ${f.info.mode.toString(8).padStart(4, '0')})`);
      continue;
    }
    const read = await readJson(fs, f, notes);
    if (!read.ok) continue;
    try {
      out.push({ path: f.path, content: JSON.stringify(redactSecrets(read.doc), null, 2) });
    } catch (err) {
      notes.push(`${f.shown}: ${jsonProblem(err)}, not shipped`);
    }
  }
  return out;
}

/**
 * libcni's cache entries. libcni writes every entry 0600, so the world-readable rule of the config directory
 * would leave every pod unnamed: entries are read whatever their mode, and only ShippedEntry's fields leave.
 */
async function readResults(fs: SystemFs, dir: string, notes: string[]): Promise<CniResult[]> {
  const out: CniResult[] = [];
  for (const f of await listDir(fs, dir, notes, () => true)) {
    const read = await readJson(fs, f, notes);
    if (!read.ok) continue;
    const shipped = ShippedEntry.safeParse(read.doc);
    if (!shipped.success) {
      notes.push(`${f.shown}: not a libcni cache entry (not a JSON object), not shipped`);
      continue;
    }
    out.push({ path: f.path, content: JSON.stringify(shipped.data), ...podOfEntry(read.doc) });
  }
  return out;
}

export async function readCni(fs: SystemFs, confDir: string, resultsDir: string) {
  const errors: string[] = [];
  const configs = await readConfigs(fs, confDir, errors);
  const results = await readResults(fs, resultsDir, errors);
  return { configs, results, errors };
}
