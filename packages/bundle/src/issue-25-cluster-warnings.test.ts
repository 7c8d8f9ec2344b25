import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeSnapshot, formatProblem, type Problem } from '@patchbay/schema';
import { loadBundle, readBundle } from './readBundle.js';
import { writeBundle } from './writeBundle.js';
// Test-only fixtures from the schema package: real iproute2 output and a kubectl List.
import { realSnapshot } from '../../schema/src/testSnapshot.js';

// Issue 25, defect 10: duplicate objects, two pods with one IP and EndpointSlices pointing at missing pods or
// at non-IP addresses were accepted without a word, and a service left out as invalid was later reported as
// "not in cluster.json". They are now warnings (the bundle stays usable) and cluster.rejected.

type Item = Record<string, unknown> & { kind: string; metadata: Record<string, unknown> };
const clusterList = async () => JSON.parse(await readFile(new URL('../../schema/testdata/cluster-list.json', import.meta.url), 'utf8')) as { items: Item[] };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pb-issue25-cluster-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lines = (problems: Problem[]) => problems.map((p) => `${p.severity ?? 'error'}: ${formatProblem(p)}`);
const byKind = (items: Item[], kind: string) => items.find((i) => i.kind === kind)!;

async function load(list: { items: Item[] }) {
  await writeBundle(dir, { clusterList: list, snapshots: [NodeSnapshot.parse({ ...realSnapshot(), nodeName: 'n1' })] });
  return loadBundle(dir);
}

describe('issue 25: cluster.json items are checked together, as warnings', () => {
  it('reports a duplicate kind/namespace/name and keeps the first', async () => {
    const list = await clusterList();
    const svc = byKind(list.items, 'Service');
    const copy = structuredClone(svc);
    (copy.spec as { clusterIP: string }).clusterIP = '10.96.99.99';
    list.items.push(copy);
    // Same name, other kind or namespace: not a duplicate.
    list.items.push({ ...structuredClone(svc), metadata: { ...svc.metadata, namespace: 'other' } });
    list.items.push({ ...structuredClone(byKind(list.items, 'Pod')), kind: 'Pod', metadata: { ...svc.metadata }, status: {} });
    const { bundle, problems } = await load(list);
    const i = list.items.indexOf(svc);
    expect(lines(problems)).toEqual([`warning: cluster.json: $.items[${list.items.length - 3}]: Service "shop"/"web" is also $.items[${i}]; this copy is ignored`]);
    expect(bundle.cluster.services.map((s) => `${s.metadata.namespace}/${s.spec.clusterIP}`)).toEqual([`shop/${(svc.spec as { clusterIP: string }).clusterIP}`, `other/${(svc.spec as { clusterIP: string }).clusterIP}`]);
  });

  it('reports two live pods with one IP, but not host-network or finished pods sharing one', async () => {
    const list = await clusterList();
    const pod = byKind(list.items, 'Pod');
    const ip = (pod.status as { podIP: string }).podIP;
    const twin = structuredClone(pod);
    twin.metadata.name = 'web-2';
    list.items.push(twin);
    const host = structuredClone(pod);
    host.metadata.name = 'node-exporter';
    (host.spec as Record<string, unknown>).hostNetwork = true;
    list.items.push(host, structuredClone(host));
    (list.items.at(-1)!.metadata as { name: string }).name = 'node-exporter-2';
    const done = structuredClone(pod);
    done.metadata.name = 'job-1';
    (done.status as Record<string, unknown>).phase = 'Succeeded';
    list.items.push(done);
    const { problems } = await load(list);
    expect(lines(problems)).toEqual([`warning: cluster.json: $.items[${list.items.indexOf(twin)}].status: pod IP ${ip} is also the IP of pod "shop"/"web-1" ($.items[${list.items.indexOf(pod)}])`]);
  });

  it('reports EndpointSlice endpoints that are not IPs of the slice type, or name a pod not in the List', async () => {
    const list = await clusterList();
    const slice = byKind(list.items, 'EndpointSlice');
    const endpoints = slice.endpoints as Record<string, unknown>[];
    endpoints.push({ addresses: ['web.shop.svc', '10.244.1.300'], targetRef: { kind: 'Pod', name: 'gone-1', namespace: 'shop' } });
    endpoints.push({ addresses: ['10.244.1.9'], targetRef: { kind: 'Pod', name: 'gone-2' } });
    // Not pods, or the pod is there: no warning.
    endpoints.push({ addresses: ['10.244.1.10'], targetRef: { kind: 'Node', name: 'n7' } });
    endpoints.push({ addresses: ['10.244.1.5'], targetRef: { kind: 'Pod', name: 'web-1', namespace: 'shop' } });
    const v6 = structuredClone(slice);
    v6.metadata.name = 'web-v6';
    v6.addressType = 'IPv6';
    v6.endpoints = [{ addresses: ['fd00::5', '10.244.1.5'] }];
    list.items.push(v6);
    const { bundle, problems } = await load(list);
    const s = list.items.indexOf(slice);
    expect(lines(problems)).toEqual([
      `warning: cluster.json: $.items[${s}].endpoints[1].addresses[0]: is not an IPv4 address (the slice's addressType)`,
      `warning: cluster.json: $.items[${s}].endpoints[1].addresses[1]: is not an IPv4 address (the slice's addressType)`,
      `warning: cluster.json: $.items[${s}].endpoints[1].targetRef: names pod "shop"/"gone-1", which is not in cluster.json`,
      `warning: cluster.json: $.items[${s}].endpoints[2].targetRef: names pod "shop"/"gone-2", which is not in cluster.json`,
      `warning: cluster.json: $.items[${list.items.length - 1}].endpoints[0].addresses[1]: is not an IPv6 address (the slice's addressType)`,
    ]);
    // Warnings leave the data as it was read, and a strict read does not refuse the bundle for them.
    expect(bundle.cluster.endpointSlices).toHaveLength(2);
    await expect(readBundle(dir)).resolves.toBeDefined();
  });

  it('records an item left out as invalid in cluster.rejected, with its reason', async () => {
    const list = await clusterList();
    const svc = byKind(list.items, 'Service');
    (svc.spec as { ports: { port: unknown }[] }).ports[0]!.port = 'eighty';
    list.items.push({ kind: 'Pod', metadata: { namespace: 'shop' }, spec: {} });
    const { bundle, problems } = await load(list);
    const i = list.items.indexOf(svc);
    expect(bundle.cluster.services).toEqual([]);
    expect(bundle.cluster.rejected).toEqual([
      { kind: 'Service', namespace: 'shop', name: 'web', path: `$.items[${i}]`, reason: `$.items[${i}].spec.ports[0].port: Invalid input: expected number, received string` },
      { kind: 'Pod', namespace: 'shop', path: `$.items[${list.items.length - 1}]`, reason: `$.items[${list.items.length - 1}].metadata.name: Invalid input: expected string, received undefined` },
    ]);
    expect(problems.every((p) => p.severity === undefined)).toBe(true);
    await expect(readBundle(dir)).rejects.toThrow(/spec\.ports\[0\]\.port/);
  });
});
