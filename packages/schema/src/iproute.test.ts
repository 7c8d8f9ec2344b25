import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BridgeFdb, BridgeLink, IpAddr, IpLink, IpNeigh, IpRoute, IpRule } from './iproute.js';

// Real output captured from lab namespaces (see ../testdata/iproute/VERSION for the iproute2 and kernel).
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../testdata/iproute/${name}`, import.meta.url), 'utf8'));

describe('iproute2 JSON schemas on real output', () => {
  it('reads `ip -d -j link` of a node: bridge, veth with its peer namespace, vxlan with VNI and port', () => {
    const links = z.array(IpLink).parse(fixture('link-node.json'));
    const byName = new Map(links.map((l) => [l.ifname, l]));
    expect(byName.get('cni0')?.linkinfo?.info_kind).toBe('bridge');
    const veth = byName.get('vethab12cd34');
    expect(veth?.linkinfo?.info_kind).toBe('veth');
    expect(veth?.master).toBe('cni0');
    expect(typeof veth?.link_netnsid).toBe('number');
    const vx = byName.get('flannel.1');
    expect(vx?.linkinfo?.info_kind).toBe('vxlan');
    expect(vx?.linkinfo?.info_data).toMatchObject({ id: 1, local: '192.0.2.10', port: 8472, learning: false });
    expect(vx?.mtu).toBe(1450);
  });

  it('reads the pod side of a veth pair', () => {
    const links = z.array(IpLink).parse(fixture('link-pod.json'));
    const eth0 = links.find((l) => l.ifname === 'eth0');
    expect(eth0?.linkinfo?.info_kind).toBe('veth');
    expect(eth0?.link_netnsid).toBeTypeOf('number');
  });

  it('reads addresses, routes of every table, rules, neighbours, FDB and bridge ports', () => {
    const addrs = z.array(IpAddr).parse(fixture('addr-node.json'));
    expect(addrs.find((a) => a.ifname === 'cni0')?.addr_info[0]).toMatchObject({ family: 'inet', local: '10.244.1.1', prefixlen: 24 });

    const routes = z.array(IpRoute).parse(fixture('route-node.json'));
    expect(routes.find((r) => r.dst === '10.244.2.0/24')).toMatchObject({ gateway: '10.244.2.0', dev: 'flannel.1', flags: ['onlink'] });
    expect(routes.find((r) => r.dst === '10.244.9.0/24')?.type).toBe('blackhole');
    expect(routes.find((r) => r.dst === '10.244.8.0/24')?.type).toBe('unreachable');
    expect(routes.find((r) => r.dst === '10.244.7.0/24')?.table).toBe('100');
    expect(routes.some((r) => r.table === 'local' && r.type === 'local')).toBe(true);
    z.array(IpRoute).parse(fixture('route6-node.json'));

    const rules = z.array(IpRule).parse(fixture('rule-node.json'));
    expect(rules.find((r) => r.priority === 9)).toMatchObject({ fwmark: '0x200', fwmask: '0xf00', table: '100' });
    const inverted = rules.find((r) => r.priority === 100);
    expect(inverted && 'not' in inverted).toBe(true);
    expect(inverted).toMatchObject({ src: '10.244.0.0', srclen: 16 });

    const neigh = z.array(IpNeigh).parse(fixture('neigh-node.json'));
    expect(neigh[0]).toMatchObject({ dst: '10.244.2.0', dev: 'flannel.1', lladdr: '0a:58:0a:f4:02:00', state: ['PERMANENT'] });

    const fdb = z.array(BridgeFdb).parse(fixture('fdb-node.json'));
    expect(fdb.find((f) => f.ifname === 'flannel.1' && f.mac === '0a:58:0a:f4:02:00')).toMatchObject({ dst: '192.0.2.11', state: 'permanent' });

    const ports = z.array(BridgeLink).parse(fixture('bridge-link-node.json'));
    expect(ports.find((p) => p.ifname === 'vethab12cd34')?.master).toBe('cni0');
  });

  it('keeps fields it does not type', () => {
    const links = z.array(IpLink).parse(fixture('link-node.json'));
    expect(links[0]).toHaveProperty('txqlen');
  });

  it('names the field that is wrong', () => {
    const r = IpLink.safeParse({ ifindex: '7', ifname: 'eth0', flags: [], mtu: 1500, operstate: 'UP' });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['ifindex: Invalid input: expected number, received string']);
    const missing = IpRoute.safeParse({ dev: 'eth0' });
    expect(missing.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['dst: Invalid input: expected string, received undefined']);
  });

  it('names every wrong or missing field of each shape, with its path', () => {
    const issues = (r: { error?: { issues: { path: PropertyKey[]; message: string }[] } }) => r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues(IpAddr.safeParse({ ifindex: 2, ifname: 'eth0', addr_info: [{ family: 'inet', local: '10.244.1.2', prefixlen: '24' }] }))).toEqual([
      'addr_info.0.prefixlen: Invalid input: expected number, received string',
    ]);
    expect(issues(IpRule.safeParse({ src: 'all', table: 'main', fwmark: 512 }))).toEqual([
      'priority: Invalid input: expected number, received undefined',
      'fwmark: Invalid input: expected string, received number',
    ]);
    expect(issues(IpNeigh.safeParse({ dst: '10.244.2.0', lladdr: 'aa:bb:cc:dd:ee:ff', state: 'PERMANENT' }))).toEqual([
      'dev: Invalid input: expected string, received undefined',
      'state: Invalid input: expected array, received string',
    ]);
    expect(issues(BridgeFdb.safeParse({ mac: '0a:58:00:00:00:01', dst: '192.0.2.12', vlan: 'one' }))).toEqual([
      'ifname: Invalid input: expected string, received undefined',
      'vlan: Invalid input: expected number, received string',
    ]);
    expect(issues(BridgeLink.safeParse({ ifname: 'veth1', master: 'cni0' }))).toEqual(['ifindex: Invalid input: expected number, received undefined']);
  });
});
