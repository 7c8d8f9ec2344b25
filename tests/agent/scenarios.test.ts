import { existsSync } from 'node:fs';
import path from 'node:path';
import { assertLabCapable, loadScenario, startLab, type Lab } from '@patchbay/lab';
import type { NodeSnapshot } from '@patchbay/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentBin, agentSnapshot, inode, ipv6Settled, sh } from './fixture.js';

// The agent in every lab scenario: three nodes share this kernel; each node's snapshot must hold exactly its own
// pods, wired as the lab built them (expectations come from the lab's plan, not from the snapshot).

const SCENARIOS = ['flannel-vxlan', 'host-gw', 'calico-routed', 'nftables'] as const;

describe.each(SCENARIOS)('agent in lab scenario %s', (name) => {
  let lab: Lab;
  const snaps = new Map<string, NodeSnapshot>();

  beforeAll(async () => {
    assertLabCapable();
    if (!existsSync(path.join(path.dirname(agentBin), '../dist/cli.js'))) throw new Error('build the agent first: npm run build -w @patchbay/agent');
    lab = await startLab(loadScenario(name));
    // Snapshots are compared with the kernel's own listing later: take them once IPv6 has settled.
    await ipv6Settled([...lab.plan.nodes.map((n) => n.netns), ...lab.plan.pods.filter((p) => p.present).map((p) => p.netns)]);
    for (const node of lab.plan.nodes) snaps.set(node.name, await agentSnapshot(node.netns, ['--node-name', node.name]));
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  const podsOf = (node: string) => lab.plan.pods.filter((p) => p.present && p.node.name === node);

  it('each node holds exactly its own pod namespaces, each paired with its host-side veth', async () => {
    for (const node of lab.plan.nodes) {
      const s = snaps.get(node.name)!;
      expect(s.errors, node.name).toEqual([]);
      expect(s.host.names).toEqual([node.netns]);
      const pods = podsOf(node.name);
      expect(s.namespaces.map((n) => n.names[0]).sort(), node.name).toEqual(pods.map((p) => p.netns).sort());
      for (const p of pods) {
        const ns = s.namespaces.find((n) => n.names.includes(p.netns))!;
        expect(ns.id).toBe(`netns:${await inode(p.netns)}`);
        const veth = s.host.links.find((l) => l.ifname === p.hostVeth)!;
        expect(veth.linkinfo?.info_kind, p.key).toBe('veth');
        expect(veth.link_netnsid, p.key).toBe(ns.nsid);
        const eth0 = ns.links.find((l) => l.ifname === 'eth0')!;
        expect([eth0.ifindex, eth0.link_index]).toEqual([veth.link_index, veth.ifindex]);
        expect(ns.addrs.flatMap((a) => a.addr_info.map((i) => i.local))).toContain(p.ip);
      }
    }
  });

  it('reads the node routes, neighbours, bridge, tunnel and sysctls the CNI set up', () => {
    const cni = lab.plan.scenario.cni;
    for (const node of lab.plan.nodes) {
      const s = snaps.get(node.name)!;
      const remotes = lab.plan.nodes.filter((n) => n !== node);
      expect(s.host.sysctls).toMatchObject({ 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': '1', 'net.bridge.bridge-nf-call-iptables': '1' });
      expect(s.host.routes.inet).toContainEqual(expect.objectContaining({ dst: 'default', gateway: expect.any(String), dev: 'eth0' }));
      if (cni === 'flannel-vxlan' || cni === 'flannel-host-gw') {
        expect(s.bridge.ports.filter((p) => p.master === 'cni0').map((p) => p.ifname).sort()).toEqual(podsOf(node.name).map((p) => p.hostVeth).sort());
        for (const p of podsOf(node.name)) {
          const ns = s.namespaces.find((n) => n.names.includes(p.netns))!;
          expect(ns.routes.inet).toContainEqual(expect.objectContaining({ dst: 'default', gateway: node.gateway, dev: 'eth0' }));
        }
      }
      if (cni === 'flannel-vxlan') {
        const vx = s.host.links.find((l) => l.ifname === 'flannel.1')!;
        expect(vx.linkinfo?.info_data).toMatchObject({ id: 1, local: node.internalIP, port: 8472, learning: false });
        for (const r of remotes) {
          expect(s.bridge.fdb).toContainEqual(expect.objectContaining({ mac: r.vtepMac, ifname: 'flannel.1', dst: r.internalIP }));
          expect(s.host.routes.inet).toContainEqual(expect.objectContaining({ dst: r.podCIDR, gateway: r.network, dev: 'flannel.1', flags: ['onlink'] }));
          expect(s.host.neigh).toContainEqual(expect.objectContaining({ dst: r.network, dev: 'flannel.1', lladdr: r.vtepMac, state: ['PERMANENT'] }));
        }
      }
      if (cni === 'flannel-host-gw') {
        for (const r of remotes) expect(s.host.routes.inet).toContainEqual(expect.objectContaining({ dst: r.podCIDR, gateway: r.internalIP, dev: 'eth0' }));
      }
      if (cni === 'calico-routed') {
        expect(s.host.routes.inet).toContainEqual(expect.objectContaining({ type: 'blackhole', dst: node.podCIDR }));
        for (const p of podsOf(node.name)) {
          expect(s.host.routes.inet).toContainEqual(expect.objectContaining({ dst: p.ip, dev: p.hostVeth, scope: 'link' }));
          expect(s.host.sysctls[`net.ipv4.conf.${p.hostVeth}.proxy_arp`]).toBe('1');
          const ns = s.namespaces.find((n) => n.names.includes(p.netns))!;
          expect(ns.routes.inet).toContainEqual(expect.objectContaining({ dst: 'default', gateway: '169.254.1.1', dev: 'eth0' }));
        }
        for (const r of remotes) expect(s.host.routes.inet).toContainEqual(expect.objectContaining({ dst: r.podCIDR, gateway: r.internalIP, protocol: 'bird' }));
      }
    }
  });

  it('routes of every table, policy rules and neighbours are exactly what the kernel lists, in every namespace', async () => {
    const ipJson = async (netns: string, ...args: string[]) => JSON.parse((await sh('ip', ['-n', netns, '-j', ...args])) || '[]') as unknown[];
    // The agent reads IPv6 rules in its detailed batch (`ip -d -6`), so they are compared with the same flags. Neighbour
    // states age (REACHABLE -> STALE) between two reads; the entries themselves must be the same.
    const neighKey = (n: unknown) => {
      const { dst, dev, lladdr } = n as { dst: string; dev: string; lladdr?: string };
      return `${dst} ${dev} ${lladdr ?? '-'}`;
    };
    for (const node of lab.plan.nodes) {
      const s = snaps.get(node.name)!;
      const spaces = [{ netns: node.netns, state: s.host }, ...podsOf(node.name).map((p) => ({ netns: p.netns, state: s.namespaces.find((n) => n.names.includes(p.netns))! }))];
      for (const { netns, state } of spaces) {
        expect(state.routes.inet, `${netns} routes`).toEqual(await ipJson(netns, '-4', 'route', 'show', 'table', 'all'));
        expect(state.routes.inet6, `${netns} inet6 routes`).toEqual(await ipJson(netns, '-6', 'route', 'show', 'table', 'all'));
        expect(state.rules.inet, `${netns} rules`).toEqual(await ipJson(netns, '-4', 'rule'));
        expect(state.rules.inet6, `${netns} inet6 rules`).toEqual(await ipJson(netns, '-d', '-6', 'rule'));
        expect(state.neigh.map(neighKey).sort(), `${netns} neighbours`).toEqual((await ipJson(netns, 'neigh')).map(neighKey).sort());
      }
      // Not vacuous: every node has main and local routes, the default rules, and (in IPv6) link-local routes.
      expect(s.host.routes.inet.length, node.name).toBeGreaterThan(3);
      expect(s.host.rules.inet.map((r) => r.table)).toEqual(['local', 'main', 'default']);
      expect(s.host.routes.inet6.length, node.name).toBeGreaterThan(0);
    }
  });

  it("reads each node's kube-proxy rules from the right place", () => {
    for (const node of lab.plan.nodes) {
      const s = snaps.get(node.name)!;
      const v4 = s.iptables.find((d) => d.family === 'ipv4');
      expect(typeof v4?.save === 'string' && v4.save.length > 0, node.name).toBe(true);
      const nftTables = (s.nft && 'nftables' in s.nft ? s.nft.nftables : []).flatMap((i: unknown) =>
        i && typeof i === 'object' && 'table' in i ? [`${(i as { table: { family: string; name: string } }).table.family} ${(i as { table: { name: string } }).table.name}`] : [],
      );
      if (lab.plan.scenario.kubeProxy === 'nftables') {
        expect(nftTables).toContain('ip kube-proxy');
      } else {
        expect(v4!.save as string).toMatch(/^:KUBE-SERVICES /m);
        expect(s.iptablesBackendInUse).toBe(v4!.backend);
      }
    }
  });
});
