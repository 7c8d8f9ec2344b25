import type { IpLink } from '@patchbay/schema';
import { describe, expect, it } from 'vitest';
import { childrenOf, indexCandidates, isHub, pairsWith, peerLinksByNsid } from './discovery.js';
import { fakeFs } from './testing/fakes.js';

const link = (o: Partial<IpLink> & { ifindex: number; ifname: string }): IpLink => ({ flags: [], mtu: 1500, operstate: 'UP', ...o });
const veth = (ifindex: number, ifname: string, peer: number, nsid: number) =>
  link({ ifindex, ifname, link_index: peer, link_netnsid: nsid, linkinfo: { info_kind: 'veth' } });

describe('discovery', () => {
  it('indexes namespaces by inode from names and processes, and spots our own names', async () => {
    const fs = fakeFs({
      inodes: {
        '/run/netns/pb1-n1': 10,
        '/run/netns/pb1-p1': 11,
        '/run/netns/alias': 11,
        '/proc/1/ns/net': 1,
        '/proc/20/ns/net': 11,
        '/proc/21/ns/net': 10,
        '/proc/22/ns/net': 12,
      },
    });
    const idx = await indexCandidates(fs, '/run/netns', '/proc', 10);
    expect(idx.selfNames).toEqual(['pb1-n1']);
    expect(idx.byInode.get(11)).toEqual({ inode: 11, names: ['alias', 'pb1-p1'], pids: [20] });
    expect(idx.byInode.get(12)).toEqual({ inode: 12, names: [], pids: [22] });
    expect(idx.byInode.has(10)).toBe(false);
  });

  it('groups our links by the nsid they point at', () => {
    const m = peerLinksByNsid([veth(5, 'veth-a', 2, 0), veth(6, 'veth-b', 2, 1), veth(7, 'veth-c', 3, 0), link({ ifindex: 1, ifname: 'lo' })]);
    expect([...m.entries()].map(([k, v]) => [k, v.map((l) => l.ifname)])).toEqual([
      [0, ['veth-a', 'veth-c']],
      [1, ['veth-b']],
    ]);
  });

  it('pairs veths only when every far end matches', () => {
    const ours = [veth(5, 'veth-a', 2, 0), veth(7, 'veth-c', 3, 0)];
    expect(pairsWith(ours, [veth(2, 'eth0', 5, 0), veth(3, 'eth1', 7, 0)])).toBe(true);
    expect(pairsWith(ours, [veth(2, 'eth0', 5, 0)])).toBe(false);
    // Same ifindex, other host end: another node's pod on the same kernel.
    expect(pairsWith(ours, [veth(2, 'eth0', 9, 0), veth(3, 'eth1', 7, 0)])).toBe(false);
  });

  it('finds macvlan/ipvlan children of our devices', () => {
    const ours = [link({ ifindex: 2, ifname: 'eth0' })];
    const theirs = [
      link({ ifindex: 3, ifname: 'mv0', link_index: 2, link_netnsid: 0, linkinfo: { info_kind: 'macvlan' } }),
      link({ ifindex: 4, ifname: 'mv1', link_index: 9, link_netnsid: 0, linkinfo: { info_kind: 'macvlan' } }),
      veth(5, 'eth1', 2, 0),
    ];
    expect(childrenOf(ours, theirs).map((l) => l.ifname)).toEqual(['mv0']);
  });

  it('treats a namespace linked to several others as a hub', () => {
    expect(isHub([veth(2, 'eth0', 5, 0)])).toBe(false);
    expect(isHub([veth(2, 'n1', 5, 0), veth(3, 'n2', 5, 1)])).toBe(true);
  });
});

describe('upstream links', () => {
  it('does not take a macvlan or VXLAN whose parent is elsewhere for a pod link', () => {
    const eth0 = link({ ifindex: 2, ifname: 'eth0', link_index: 4, link_netnsid: 0, linkinfo: { info_kind: 'macvlan' } });
    expect(peerLinksByNsid([eth0, veth(5, 'veth-a', 2, 1)]).has(0)).toBe(false);
  });
});
