import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadBundle } from '@patchbay/bundle';
import { NodeSnapshot, parseClusterList } from '@patchbay/schema';
import { describe, expect, it } from 'vitest';
import { undefinedIptablesTargets } from '../kubeProxy/checks.js';
import { IN_PLAN_NODES, nodeAddress, podBlock, podBlockPrefix } from './addressPlan.js';
import { generateCluster } from './generateCluster.js';
import { generateSnapshots } from './generateSnapshots.js';
import { ctime } from './iptablesTexts.js';
import { writeSyntheticBundle } from './writeSyntheticBundle.js';

const small = { nodes: 6, podsPerNode: 5, services: 120, seed: 7 };

describe('address plan', () => {
  it('keeps the first 506 nodes inside 192.0.2.0/24 and 198.51.100.0/24, all distinct', () => {
    const ips = Array.from({ length: IN_PLAN_NODES }, (_, i) => nodeAddress(i).ip);
    expect(new Set(ips).size).toBe(IN_PLAN_NODES);
    expect(ips.every((ip) => ip.startsWith('192.0.2.') || ip.startsWith('198.51.100.'))).toBe(true);
    expect(ips).not.toContain('192.0.2.1');
    expect(nodeAddress(IN_PLAN_NODES).ip.startsWith('198.18.')).toBe(true);
  });
  it('gives every node its own pod block inside 10.244.0.0/16', () => {
    expect(podBlockPrefix(200)).toBe(24);
    expect(podBlockPrefix(1000)).toBe(26);
    expect(podBlock(999, 26).cidr).toBe('10.244.249.192/26');
    expect(podBlock(3, 24)).toMatchObject({ cidr: '10.244.3.0/24', gateway: '10.244.3.1' });
    expect(() => generateCluster({ nodes: 1000, podsPerNode: 62, services: 0 })).toThrow(/does not fit/);
  });
});

describe('generateCluster', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = JSON.stringify(generateCluster(small).clusterList);
    expect(JSON.stringify(generateCluster(small).clusterList)).toBe(a);
    expect(JSON.stringify(generateCluster({ ...small, seed: 8 }).clusterList)).not.toBe(a);
  });

  it('produces a List that parses without problems into the same objects', () => {
    const { clusterList, cluster } = generateCluster(small);
    const parsed = parseClusterList('cluster.json', JSON.parse(JSON.stringify(clusterList)));
    expect(parsed.problems).toEqual([]);
    expect(parsed.cluster.pods).toHaveLength(30);
    expect(parsed.cluster.services).toHaveLength(122);
    expect(parsed.cluster.nodes).toHaveLength(cluster.nodes.length);
    expect(cluster.networkPolicies.length).toBeGreaterThan(0);
  });

  it('uses unique pod and service addresses inside their CIDRs', () => {
    const { cluster } = generateCluster({ nodes: 300, podsPerNode: 40, services: 2000 });
    const podIPs = cluster.pods.map((p) => p.status.podIP ?? '');
    expect(new Set(podIPs).size).toBe(podIPs.length);
    expect(podIPs.every((ip) => ip.startsWith('10.244.'))).toBe(true);
    const cips = cluster.services.map((s) => s.spec.clusterIP ?? '');
    expect(new Set(cips).size).toBe(cips.length);
    expect(cips.every((ip) => ip.startsWith('10.96.'))).toBe(true);
  });
});

describe('generateSnapshots', () => {
  it('produces valid NodeSnapshots with flannel wiring and a pod namespace per pod', () => {
    const { cluster } = generateCluster(small);
    const snaps = generateSnapshots(cluster);
    expect(snaps).toHaveLength(6);
    for (const s of snaps) expect(() => NodeSnapshot.parse(s)).not.toThrow();
    const s0 = snaps[0]!;
    expect(s0.namespaces).toHaveLength(5);
    expect(s0.host.links.find((l) => l.ifname === 'flannel.1')?.linkinfo?.info_kind).toBe('vxlan');
    // One flannel route, neighbour and FDB entry per remote node.
    expect(s0.host.routes.inet.filter((r) => r.dev === 'flannel.1' && r.table === undefined)).toHaveLength(5);
    expect(s0.host.neigh.filter((n) => n.dev === 'flannel.1')).toHaveLength(5);
    expect(s0.bridge.fdb.filter((f) => f.ifname === 'flannel.1').map((f) => f.dst)).toEqual(['192.0.2.3', '192.0.2.4', '192.0.2.5', '192.0.2.6', '192.0.2.7']);
    // Each host veth points at its pod namespace's nsid, and the pod's eth0 points back.
    const ns = s0.namespaces[2]!;
    const veth = s0.host.links.find((l) => l.link_netnsid === ns.nsid);
    const eth0 = ns.links.find((l) => l.ifname === 'eth0');
    expect(eth0?.link_index).toBe(veth?.ifindex);
    expect(veth?.master).toBe('cni0');
    expect(ns.routes.inet[0]).toMatchObject({ dst: 'default', gateway: '10.244.0.1', dev: 'eth0' });
    const pod = cluster.pods.find((p) => p.metadata.name === ns.pod?.name);
    expect(ns.addrs[1]?.addr_info[0]?.local).toBe(pod?.status.podIP);
  });

  it('carries kube-proxy rules as iptables-save -c text, identical on nodes without Local-policy endpoints', () => {
    const { cluster } = generateCluster(small);
    const snaps = generateSnapshots(cluster, { capturedAt: '2026-11-01T09:05:03Z' });
    const texts = snaps.map((s) => s.iptables[0]?.save as string);
    const special = new Set(
      cluster.services
        .filter((s) => s.spec.externalTrafficPolicy === 'Local')
        .flatMap((s) => cluster.endpointSlices.filter((e) => e.metadata.labels?.['kubernetes.io/service-name'] === s.metadata.name))
        .flatMap((e) => (e.endpoints ?? []).map((p) => p.nodeName)),
    );
    expect(special.size).toBeGreaterThan(0);
    const plain = snaps.map((s, i) => [s.nodeName, texts[i]] as const).filter(([n]) => !special.has(n));
    expect(plain.length).toBeGreaterThan(0);
    expect(new Set(plain.map(([, t]) => t)).size).toBe(1);
    const text = texts[0]!;
    expect(text.startsWith('# Generated by iptables-save v1.8.9 (nf_tables) on Sun Nov  1 09:05:03 2026\n*mangle\n')).toBe(true);
    expect(text).toContain('[0:0] -A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP"');
    expect(undefinedIptablesTargets(text.replaceAll('[0:0] ', ''))).toEqual([]);
    // What kube-proxy 1.36 writes where its nfacct counters exist: the INVALID drop and every NodePort rule counted.
    expect(text).toContain('[0:0] -A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name  ct_state_invalid_dropped_pkts -j DROP\n');
    const nodePortRules = text.split('\n').filter((l) => l.startsWith('[0:0] -A KUBE-NODEPORTS ') && / -j KUBE-EXT-/.test(l));
    const localhost = nodePortRules.filter((l) => l.includes(' -d 127.0.0.0/8 ') && l.includes('-m nfacct --nfacct-name  localhost_nps_accepted_pkts '));
    expect(localhost.length).toBeGreaterThan(0);
    expect(localhost.length * 2).toBe(nodePortRules.length);
  });

  it('formats dates like ctime', () => {
    expect(ctime('2026-11-21T14:15:20Z')).toBe('Sat Nov 21 14:15:20 2026');
  });
});

describe('writeSyntheticBundle', () => {
  it('writes a bundle that loadBundle reads without problems, storing identical rule text once', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pb-synth-'));
    try {
      const stats = await writeSyntheticBundle(dir, small);
      const { bundle, problems } = await loadBundle(dir);
      expect(problems).toEqual([]);
      expect(bundle.snapshots).toHaveLength(6);
      expect(bundle.cluster.services).toHaveLength(122);
      const blobs = await readdir(path.join(dir, 'blobs'));
      expect(blobs).toHaveLength(stats.distinctIptablesTexts);
      expect(stats.distinctIptablesTexts).toBeLessThan(6);
      expect(bundle.snapshots[0]?.iptables[0]?.save).toMatchObject({ bytes: expect.any(Number) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
