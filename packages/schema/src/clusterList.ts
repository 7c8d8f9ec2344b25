import { dropDuplicates, endpointSliceChecks, podIpClashes, type PlacedItem } from './clusterChecks.js';
import { DEFAULT_MAX_JSON_DEPTH, depthProblem, tooDeepAt } from './jsonDepth.js';
import { KnownKinds, KubeList, emptyCluster, type ClusterObjects, type KnownKind, type RejectedObject } from './kube.js';
import { jsonPath, zodProblems, type Problem } from './problems.js';

const COLLECTION: Record<KnownKind, Exclude<keyof ClusterObjects, 'rejected'>> = {
  Node: 'nodes',
  Namespace: 'namespaces',
  Pod: 'pods',
  Service: 'services',
  EndpointSlice: 'endpointSlices',
  NetworkPolicy: 'networkPolicies',
};

export interface ParseClusterListOptions {
  /** Deepest nesting accepted (see DEFAULT_MAX_JSON_DEPTH); a deeper List is refused whole, before any walk. */
  maxDepth?: number;
}

/** A string field of an item that may be invalid, for naming it. */
function stringAt(item: unknown, key: 'name' | 'namespace'): string | undefined {
  const meta = (item as { metadata?: unknown } | null)?.metadata;
  const v = meta !== null && typeof meta === 'object' ? (meta as Record<string, unknown>)[key] : undefined;
  return typeof v === 'string' ? v : undefined;
}

/**
 * Reads a Kubernetes List (what `kubectl get ... -o json` prints). Every item of a known kind is validated and
 * every problem reported; items of unknown kinds are ignored. Bad items are left out (and listed in
 * `cluster.rejected`), good ones kept. Then the items are checked together: a later duplicate of a
 * kind/namespace/name is dropped, and two live pods with one IP and EndpointSlice endpoints that are not IPs
 * of the slice's type or name a pod the List lacks are reported, as warnings.
 */
export function parseClusterList(file: string, json: unknown, opts: ParseClusterListOptions = {}): { cluster: ClusterObjects; problems: Problem[] } {
  const cluster = emptyCluster();
  const rejected: RejectedObject[] = [];
  cluster.rejected = rejected;
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;
  // Depth is checked per item (one deep item is left out like any invalid one), and for the List around them.
  const items: unknown = json !== null && typeof json === 'object' ? (json as { items?: unknown }).items : undefined;
  const deep = depthProblem(file, Array.isArray(items) ? { ...(json as object), items: [] } : json, maxDepth);
  if (deep) return { cluster, problems: [deep] };
  const list = KubeList.safeParse(json);
  if (!list.success) return { cluster, problems: zodProblems(file, list.error) };
  const problems: Problem[] = [];
  const valid: PlacedItem[] = [];
  list.data.items.forEach((item, i) => {
    const kind = (item as { kind?: unknown } | null)?.kind;
    if (typeof kind !== 'string' || !Object.hasOwn(KnownKinds, kind)) {
      if (typeof kind !== 'string') problems.push({ file, path: `$.items[${i}].kind`, message: 'every item needs a string kind' });
      return;
    }
    const k = kind as KnownKind;
    // The List and its items array are two levels already.
    const deepAt = tooDeepAt(item, maxDepth - 2);
    const parsed = deepAt ? null : KnownKinds[k].safeParse(item);
    if (!parsed?.success) {
      const itemProblems = parsed
        ? zodProblems(file, parsed.error, ['items', i])
        : [{ file, path: jsonPath(['items', i, ...deepAt!]), message: `nests arrays and objects more than ${maxDepth} levels deep; the item is left out` }];
      problems.push(...itemProblems);
      const first = itemProblems[0]!;
      const more = itemProblems.length > 1 ? ` (and ${itemProblems.length - 1} more)` : '';
      const name = stringAt(item, 'name');
      const namespace = stringAt(item, 'namespace');
      rejected.push({ kind: k, ...(namespace !== undefined && { namespace }), ...(name !== undefined && { name }), path: jsonPath(['items', i]), reason: `${first.path}: ${first.message}${more}` });
      return;
    }
    valid.push({ kind: k, index: i, value: parsed.data as PlacedItem['value'] });
  });

  const { kept, problems: duplicates } = dropDuplicates(file, valid);
  problems.push(...duplicates);
  for (const item of kept) (cluster[COLLECTION[item.kind]] as unknown[]).push(item.value);

  const placed = <K extends KnownKind>(kind: K) => kept.filter((x) => x.kind === kind);
  problems.push(...podIpClashes(file, placed('Pod').map((x) => ({ index: x.index, pod: x.value as ClusterObjects['pods'][number] }))));
  // A pod that is in the List but invalid is already reported; a slice naming it is not "missing" it.
  const podKeys = new Set([
    ...cluster.pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`),
    ...rejected.filter((r) => r.kind === 'Pod').map((r) => `${r.namespace}/${r.name}`),
  ]);
  problems.push(...endpointSliceChecks(file, placed('EndpointSlice').map((x) => ({ index: x.index, slice: x.value as ClusterObjects['endpointSlices'][number] })), podKeys));
  // Report in item order, so a file's problems read top to bottom.
  problems.sort((a, b) => itemIndex(a.path) - itemIndex(b.path));
  return { cluster, problems };
}

function itemIndex(path: string): number {
  const m = /^\$\.items\[(\d+)\]/.exec(path);
  return m ? Number(m[1]) : -1;
}
