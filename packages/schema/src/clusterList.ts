import { KnownKinds, KubeList, emptyCluster, type ClusterObjects, type KnownKind } from './kube.js';
import { zodProblems, type Problem } from './problems.js';

const COLLECTION: Record<KnownKind, keyof ClusterObjects> = {
  Node: 'nodes',
  Namespace: 'namespaces',
  Pod: 'pods',
  Service: 'services',
  EndpointSlice: 'endpointSlices',
  NetworkPolicy: 'networkPolicies',
};

/**
 * Reads a Kubernetes List (what `kubectl get ... -o json` prints). Every item of a known kind is validated and
 * every problem reported; items of unknown kinds are ignored. Bad items are left out, good ones kept.
 */
export function parseClusterList(file: string, json: unknown): { cluster: ClusterObjects; problems: Problem[] } {
  const cluster = emptyCluster();
  const list = KubeList.safeParse(json);
  if (!list.success) return { cluster, problems: zodProblems(file, list.error) };
  const problems: Problem[] = [];
  list.data.items.forEach((item, i) => {
    const kind = (item as { kind?: unknown } | null)?.kind;
    if (typeof kind !== 'string' || !Object.hasOwn(KnownKinds, kind)) {
      if (typeof kind !== 'string') problems.push({ file, path: `$.items[${i}].kind`, message: 'every item needs a string kind' });
      return;
    }
    const k = kind as KnownKind;
    const parsed = KnownKinds[k].safeParse(item);
    if (!parsed.success) {
      problems.push(...zodProblems(file, parsed.error, ['items', i]));
      return;
    }
    (cluster[COLLECTION[k]] as unknown[]).push(parsed.data);
  });
  return { cluster, problems };
}
