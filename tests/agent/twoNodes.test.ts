import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { NodeSnapshot } from '@patchbay/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PODS, agentBin, assertCapable, agentSnapshot, buildFixture, inode, type Fixture } from './fixture.js';

// Two lab nodes share this kernel; each snapshot must hold exactly its own pods, paired with the right veths.

let fx: Fixture;
const snaps: Record<string, NodeSnapshot> = {};

beforeAll(async () => {
  await assertCapable();
  if (!existsSync(path.join(path.dirname(agentBin), '../dist/cli.js'))) throw new Error('build the agent first: npm run build -w @patchbay/agent');
  fx = await buildFixture();
  for (const node of ['n1', 'n2']) {
    snaps[node] = await agentSnapshot(fx.ns(node), ['--node-name', node, '--cni-results-dir', fx.cniResultsDir]);
  }
});

afterAll(async () => {
  await fx?.teardown();
});

describe('agent in a two-node fixture', () => {
  it('each node holds exactly its own pod namespaces (and the macvlan child), never the other node or the underlay', async () => {
    for (const node of ['n1', 'n2'] as const) {
      const s = snaps[node]!;
      const expected = [...PODS[node], ...(node === 'n1' ? ['m1'] : [])].map(fx.ns).sort();
      expect(s.namespaces.flatMap((n) => n.names).sort()).toEqual(expected);
      for (const n of s.namespaces.filter((x) => x.names.length)) expect(n.id).toBe(`netns:${await inode(n.names[0]!)}`);
      // n1 also holds the unnamed namespaces behind veth-u1 and with mv-u2 and mv-u3; n2 does not.
      expect(s.namespaces.filter((x) => x.names.length === 0).length).toBe(node === 'n1' ? 3 : 0);
      expect(s.host.names).toEqual([fx.ns(node)]);
      expect(s.host.inode).toBe(await inode(fx.ns(node)));
      expect(s.nodeName).toBe(node);
    }
    const m1 = snaps.n1!.namespaces.find((n) => n.names.includes(fx.ns('m1')))!;
    expect(m1.foundBy[0]).toMatchObject({ method: 'nsid', detail: expect.stringContaining('mv-m1 (macvlan)') });
  });

  it('finds the namespaces with no name holding macvlan children of ours, through /proc/PID/ns/net, each with its nsid', async () => {
    const s = snaps.n1!;
    const eth0 = s.host.links.find((l) => l.ifname === 'eth0')!;
    const seen = new Set<number | null>();
    for (const [proc, dev, addr] of [
      [fx.unnamedMacvlan, 'mv-u2', '192.0.2.23'],
      [fx.unnamedMacvlan2, 'mv-u3', '192.0.2.24'],
    ] as const) {
      const inode = statSync(`/proc/${proc.pid}/ns/net`).ino;
      const u = s.namespaces.find((n) => n.id === `netns:${inode}`)!;
      expect(u, dev).toBeDefined();
      expect(u.foundBy.map((f) => f.method)).toEqual(['nsid', 'proc']);
      expect(u.foundBy[0]!.detail).toContain(`${dev} (macvlan)`);
      const mv = u.links.find((l) => l.ifname === dev)!;
      expect(mv.link_index).toBe(eth0.ifindex);
      expect(u.addrs.flatMap((a) => a.addr_info.map((i) => i.local))).toContain(addr);
      // Two unnamed nsids, two such namespaces: which is which only the kernel can say.
      expect(u.nsid, dev).toBe(fx.n1NsidOf.get(proc.pid!));
      expect(s.host.links.some((l) => l.link_netnsid === u.nsid)).toBe(false);
      expect(snaps.n2!.namespaces.some((n) => n.id === `netns:${inode}`)).toBe(false);
      seen.add(u.nsid);
    }
    expect(seen.size).toBe(2);
  });

  it('finds a namespace with no name through /proc/PID/ns/net, by its veth pair', async () => {
    const s = snaps.n1!;
    const u = s.namespaces.find((n) => n.id === `netns:${statSync(`/proc/${fx.unnamed.pid}/ns/net`).ino}`)!;
    expect(u).toBeDefined();
    expect(u.foundBy.map((f) => f.method)).toEqual(['veth-peer', 'proc']);
    expect(u.foundBy[1]!.detail).toMatch(/^\/proc\/\d+\/ns\/net$/);
    const veth = s.host.links.find((l) => l.ifname === 'veth-u1')!;
    expect(u.nsid).toBe(veth.link_netnsid);
    expect(u.addrs.flatMap((a) => a.addr_info.map((i) => i.local))).toContain('10.244.1.9');
  });

  it('pairs each host-side veth with the pod namespace holding its peer', () => {
    for (const node of ['n1', 'n2'] as const) {
      const s = snaps[node]!;
      for (const pod of PODS[node]) {
        const hostVeth = s.host.links.find((l) => l.ifname === `veth-${pod}`)!;
        const ns = s.namespaces.find((n) => n.names.includes(fx.ns(pod)))!;
        expect(ns.nsid, pod).toBe(hostVeth.link_netnsid);
        const eth0 = ns.links.find((l) => l.ifname === 'eth0')!;
        expect(eth0.ifindex).toBe(hostVeth.link_index);
        expect(eth0.link_index).toBe(hostVeth.ifindex);
        expect(ns.foundBy.map((f) => f.method)).toEqual(expect.arrayContaining(['veth-peer', 'netns-name']));
      }
    }
  });

  it('names pods from the CNI result cache, only on their own node', () => {
    const p1 = snaps.n1!.namespaces.find((n) => n.names.includes(fx.ns('p1')))!;
    expect(p1.pod).toEqual({ namespace: 'shop', name: 'web-1', containerId: 'c-p1' });
    expect(snaps.n1!.cni.results.map((r) => path.basename(r.path))).toEqual(['cbr0-c-p1-eth0']);
    expect(snaps.n2!.cni.results.map((r) => path.basename(r.path))).toEqual(['cbr0-c-q1-eth0']);
  });

  it('lists bridge ports, VXLAN details and FDB destinations', () => {
    const s = snaps.n1!;
    expect(s.bridge.ports.filter((p) => p.master === 'cni0').map((p) => p.ifname).sort()).toEqual(['veth-p1', 'veth-p2', 'veth-p3', 'veth-u1']);
    const vx = s.host.links.find((l) => l.ifname === 'flannel.1')!;
    expect(vx.linkinfo?.info_kind).toBe('vxlan');
    expect(vx.linkinfo?.info_data).toMatchObject({ id: 1, local: '192.0.2.11', port: 8472, link: 'eth0', learning: false });
    expect(s.bridge.fdb).toContainEqual(expect.objectContaining({ mac: '02:aa:00:00:00:02', ifname: 'flannel.1', dst: '192.0.2.12' }));
  });

  it('reads routes, neighbours, rules and sysctls as built', () => {
    const s = snaps.n1!;
    expect(s.host.routes.inet).toContainEqual(expect.objectContaining({ dst: '10.244.2.0/24', gateway: '10.244.2.0', dev: 'flannel.1', flags: ['onlink'] }));
    expect(s.host.routes.inet).toContainEqual(expect.objectContaining({ dst: 'default', gateway: '192.0.2.12', table: '100' }));
    expect(s.host.neigh).toContainEqual(expect.objectContaining({ dst: '10.244.2.0', dev: 'flannel.1', lladdr: '02:aa:00:00:00:02', state: ['PERMANENT'] }));
    expect(s.host.rules.inet).toContainEqual(expect.objectContaining({ priority: 100, src: '10.244.1.0', srclen: 24, table: '100' }));
    expect(s.host.rules.inet6.map((r) => r.table)).toEqual(['local', 'main']);
    expect(s.host.sysctls['net.ipv4.ip_forward']).toBe('1');
    expect(s.host.sysctls['net.ipv4.conf.cni0.rp_filter']).toMatch(/^[012]$/);
    const p2 = s.namespaces.find((n) => n.names.includes(fx.ns('p2')))!;
    expect(p2.addrs.find((a) => a.ifname === 'eth0')!.addr_info.map((a) => a.local)).toContain('10.244.1.3');
    expect(p2.routes.inet).toContainEqual(expect.objectContaining({ dst: 'default', gateway: '10.244.1.1', dev: 'eth0' }));
    expect(p2.sysctls['net.ipv4.ip_forward']).toBe('0');
  });

  it('reads each node’s own iptables and nft state', () => {
    const n1 = snaps.n1!;
    expect(n1.iptables.map((d) => `${d.family}/${d.backend}`)).toEqual(['ipv4/nft']);
    expect(n1.iptables[0]!.save).toMatch(/-A KUBE-SERVICES -d 10\.96\.0\.10\/32/);
    expect(n1.iptablesBackendInUse).toBe('nft');
    const n2 = snaps.n2!;
    expect(n2.iptables).toEqual([]);
    const nft = n2.nft && 'nftables' in n2.nft ? n2.nft.nftables : [];
    const tables = nft.flatMap((i: unknown) => (i && typeof i === 'object' && 'table' in i ? [(i as { table: { name: string } }).table.name] : []));
    expect(tables).toEqual(['kube-proxy']);
    expect(n1.errors).toEqual([]);
    expect(n2.errors).toEqual([]);
  });
});
