import { z } from 'zod';
import { isIPv4 } from './endpoint.js';
import type { ClusterObjects, KnownKind } from './kube.js';
import { quoteInput, type Problem } from './problems.js';

// Cross-object checks of a kubectl List: things each item passes alone but that the API server would never
// hold together. They are warnings: the bundle stays usable, but a reader should know the data is suspect
// (a hand-edited or spliced cluster.json, or a capture taken across a change).

const ipv6 = z.ipv6();
const isIPv6 = (s: string) => ipv6.safeParse(s).success;

/** An item that survived validation, with where it came from. */
export interface PlacedItem {
  kind: KnownKind;
  /** Index in the List's items. */
  index: number;
  value: { metadata: { name: string; namespace?: string } };
}

const objectName = (ns: string | undefined, name: string) => (ns ? `${quoteInput(ns)}/${quoteInput(name)}` : quoteInput(name));

/**
 * Returns the items to keep (a later duplicate of kind/namespace/name is dropped: the first wins, as a
 * reader's lookup by name would otherwise pick one arbitrarily) and a warning for each duplicate.
 */
export function dropDuplicates(file: string, items: PlacedItem[]): { kept: PlacedItem[]; problems: Problem[] } {
  const first = new Map<string, number>();
  const kept: PlacedItem[] = [];
  const problems: Problem[] = [];
  for (const item of items) {
    const { name, namespace } = item.value.metadata;
    const key = JSON.stringify([item.kind, namespace ?? '', name]);
    const seen = first.get(key);
    if (seen === undefined) {
      first.set(key, item.index);
      kept.push(item);
      continue;
    }
    problems.push({
      file,
      path: `$.items[${item.index}]`,
      message: `${item.kind} ${objectName(namespace, name)} is also $.items[${seen}]; this copy is ignored`,
      severity: 'warning',
    });
  }
  return { kept, problems };
}

/** The pod IPs a pod holds alone: not host-network pods (they share their node's), not finished pods (their IP may be reused). */
function ownIps(pod: ClusterObjects['pods'][number]): string[] {
  if (pod.spec.hostNetwork === true) return [];
  if (pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed') return [];
  const ips = new Set<string>();
  if (pod.status.podIP) ips.add(pod.status.podIP);
  for (const p of pod.status.podIPs ?? []) ips.add(p.ip);
  return [...ips];
}

/** Two live pods with one IP: traffic to that IP can only reach one of them. */
export function podIpClashes(file: string, pods: { index: number; pod: ClusterObjects['pods'][number] }[]): Problem[] {
  const owner = new Map<string, { index: number; ns: string; name: string }>();
  const problems: Problem[] = [];
  for (const { index, pod } of pods) {
    for (const ip of ownIps(pod)) {
      const prev = owner.get(ip);
      if (!prev) {
        owner.set(ip, { index, ns: pod.metadata.namespace, name: pod.metadata.name });
        continue;
      }
      const shown = isIPv4(ip) || isIPv6(ip) ? ip : quoteInput(ip);
      problems.push({
        file,
        path: `$.items[${index}].status`,
        message: `pod IP ${shown} is also the IP of pod ${objectName(prev.ns, prev.name)} ($.items[${prev.index}])`,
        severity: 'warning',
      });
    }
  }
  return problems;
}

/** EndpointSlice endpoints whose address is not of the slice's addressType, or whose targetRef names a pod not in the List. */
export function endpointSliceChecks(
  file: string,
  slices: { index: number; slice: ClusterObjects['endpointSlices'][number] }[],
  podKeys: ReadonlySet<string>,
): Problem[] {
  const problems: Problem[] = [];
  for (const { index, slice } of slices) {
    const check = slice.addressType === 'IPv4' ? isIPv4 : slice.addressType === 'IPv6' ? isIPv6 : null;
    (slice.endpoints ?? []).forEach((ep, e) => {
      if (check) {
        ep.addresses.forEach((a, k) => {
          if (!check(a)) {
            problems.push({ file, path: `$.items[${index}].endpoints[${e}].addresses[${k}]`, message: `is not an ${slice.addressType} address (the slice's addressType)`, severity: 'warning' });
          }
        });
      }
      const ref = ep.targetRef;
      if (ref?.kind === 'Pod' && ref.name) {
        const ns = ref.namespace ?? slice.metadata.namespace;
        if (!podKeys.has(`${ns}/${ref.name}`)) {
          problems.push({ file, path: `$.items[${index}].endpoints[${e}].targetRef`, message: `names pod ${objectName(ns, ref.name)}, which is not in ${file}`, severity: 'warning' });
        }
      }
    });
  }
  return problems;
}
