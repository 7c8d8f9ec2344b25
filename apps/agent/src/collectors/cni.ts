import { z } from 'zod';
import type { NamespaceState } from '@patchbay/schema';

export type PodRef = NonNullable<NamespaceState['pod']>;
import type { SystemFs } from '../system.js';

// CNI configuration files, and libcni's result cache (/var/lib/cni/results/<net>-<containerID>-<ifname>), which
// names the pod and the network namespace path of each sandbox.

const MAX_FILE = 1024 * 1024;

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

async function readDir(fs: SystemFs, dir: string, errors: string[]): Promise<CniFileRead[]> {
  const out: CniFileRead[] = [];
  let names: string[];
  try {
    names = (await fs.readdir(dir)).sort();
  } catch (err) {
    errors.push(`${dir}: ${(err as Error).message}`);
    return out;
  }
  for (const name of names) {
    const path = `${dir}/${name}`;
    if (!(await fs.isFile(path))) continue;
    try {
      const content = await fs.readFile(path);
      if (content.length > MAX_FILE) errors.push(`${path}: larger than 1 MiB, not copied`);
      else out.push({ path, content });
    } catch (err) {
      errors.push(`${path}: ${(err as Error).message}`);
    }
  }
  return out;
}

export async function readCni(fs: SystemFs, confDir: string, resultsDir: string) {
  const errors: string[] = [];
  const configs = await readDir(fs, confDir, errors);
  const results: CniResult[] = (await readDir(fs, resultsDir, errors)).map((f) => ({ ...f, ...parseCniCacheEntry(f.content) }));
  return { configs, results, errors };
}
