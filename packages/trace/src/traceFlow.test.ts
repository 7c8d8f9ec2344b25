import { describe, expect, it } from 'vitest';
import { Trace, type NodeSnapshotInput } from '@patchbay/schema';
import { traceFlow, TraceInputError } from './index.js';
import { kitCluster, twoNodeShop } from '../test/kit.js';

const endpoints = (t: Trace) => t.paths.filter((p) => p.verdict === 'delivered').map((p) => p.endpoint?.pod).sort();

describe('traceFlow over a flannel VXLAN cluster', () => {
  const { model } = twoNodeShop();

  it('pod to pod on another node: VXLAN there, reply back', () => {
    const t = traceFlow(model, { from: 'pod/shop/client-0', to: 'pod/shop/api-0', proto: 'tcp', port: 8080 });
    expect(Trace.parse(t)).toBeTruthy();
    expect(t.verdict, JSON.stringify(t, null, 1)).toBe('delivered');
    const stages = t.paths[0]!.hops.map((h) => h.stage);
    expect(stages).toContain('tunnel');
    expect(t.paths[0]!.reply?.verdict).toBe('delivered');
  });

  it('pod to service: two weighted paths, one per endpoint', () => {
    const t = traceFlow(model, { from: 'pod/shop/client-0', to: 'svc/shop/web:80', proto: 'tcp' });
    expect(t.verdict, JSON.stringify(t.paths.map((p) => [p.verdict, (p as never as { reason: string }).reason]))).toBe('delivered');
    expect(endpoints(t)).toEqual(['shop/web-0', 'shop/web-1']);
    expect(t.paths.map((p) => p.weight).sort()).toEqual([0.5, 0.5]);
    expect(t.paths.every((p) => p.endpoint?.port === 8080)).toBe(true);
    const ev = t.paths.flatMap((p) => p.hops.map((h) => h.evidence)).join('\n');
    expect(ev).toMatch(/-j DNAT --to-destination 10\.244\.1\.3:8080/);
  });

  it('a service with no endpoints is rejected', () => {
    const t = traceFlow(model, { from: 'pod/shop/client-0', to: 'svc/shop/checkout:80', proto: 'tcp' });
    expect(t.verdict).toBe('rejected');
  });

  it('NodePort from another node reaches the endpoint, masqueraded', () => {
    const t = traceFlow(model, { from: 'node/n1', to: '192.0.2.12:30080', proto: 'tcp' });
    expect(t.verdict, JSON.stringify(t.paths.map((p) => (p as never as { reason: string }).reason))).toBe('delivered');
    expect(endpoints(t)).toEqual(['shop/api-0']);
  });

  it('bad input is a clear error', () => {
    expect(() => traceFlow(model, { from: 'pod/shop/nope', to: 'pod/shop/api-0', proto: 'tcp', port: 80 })).toThrow(/unknown pod shop\/nope/);
    expect(() => traceFlow(model, { from: 'pod/shop/client-0', to: 'svc/shop/web:81', proto: 'tcp' })).toThrow(/has no port 81/);
    expect(() => traceFlow(model, { from: 'pod/shop/client-0', to: 'svc/shop/nope:80', proto: 'tcp' })).toThrow(TraceInputError);
    expect(() => traceFlow(model, { from: 'pod//x', to: 'svc/shop/web:80', proto: 'tcp' })).toThrow(/source: invalid endpoint/);
    expect(() => traceFlow(model, { from: 'pod/shop/client-0', to: '10.244.2.3', proto: 'tcp' })).toThrow(/needs a port/);
  });
});

describe('traceFlow: wiring variants and faults', () => {
  it('host-gw: routes via the other node address, over the underlay', () => {
    const { model } = twoNodeShop({ mode: 'host-gw' });
    const t = traceFlow(model, { from: 'pod/shop/client-0', to: 'pod/shop/api-0', proto: 'tcp', port: 8080 });
    expect(t.verdict).toBe('delivered');
    expect(t.paths[0]!.hops.some((h) => h.stage === 'link' && h.action.includes('underlay'))).toBe(true);
    expect(t.paths[0]!.hops.some((h) => h.stage === 'tunnel')).toBe(false);
  });

  it('a missing VXLAN FDB entry drops the frame (no underlay destination)', () => {
    const { model } = twoNodeShop({ tweak: (n, s) => n === 'n1' && (s.bridge.fdb = (s.bridge.fdb as { ifname: string }[]).filter((f) => f.ifname !== 'flannel.1') as never) });
    const t = traceFlow(model, { from: 'pod/shop/client-0', to: 'pod/shop/api-0', proto: 'tcp', port: 8080 });
    expect(t.verdict).toBe('dropped');
    expect(t.summary).toMatch(/no FDB entry/);
  });

  it("a down host-side veth drops traffic to that pod", () => {
    const { model } = twoNodeShop({
      tweak: (n, s) => {
        if (n !== 'n2') return;
        for (const l of s.host.links as { ifname: string; flags: string[] }[]) if (l.ifname === 'veth11') l.flags = ['BROADCAST', 'MULTICAST'];
      },
    });
    const t = traceFlow(model, { from: 'pod/shop/client-0', to: 'pod/shop/api-0', proto: 'tcp', port: 8080 });
    expect(t.verdict).toBe('dropped');
    expect(t.summary).toMatch(/veth11/);
  });

  it('strict rp_filter drops packets that arrive where the route back does not point', () => {
    // n2 sends to n1's pods directly over eth0 while n1's route back to n2's pods is flannel.1.
    const { model } = twoNodeShop({
      rpFilter: 1,
      tweak: (n, s) => {
        if (n !== 'n2') return;
        const r = (s.host.routes.inet as { dst: string; gateway?: string; dev?: string; flags?: string[] }[]).find((x) => x.dst === '10.244.1.0/24')!;
        r.gateway = '192.0.2.11';
        r.dev = 'eth0';
        r.flags = [];
      },
    });
    const t = traceFlow(model, { from: 'pod/shop/api-0', to: 'pod/shop/web-0', proto: 'tcp', port: 8080 });
    expect(t.verdict).toBe('dropped');
    expect(t.paths[0]!.hops.some((h) => h.stage === 'rpfilter')).toBe(true);
  });

  it('a DROP rule in FORWARD drops forwarded TCP, not the node itself', () => {
    const { model } = twoNodeShop({ extraFilterForward: { n2: ['-A FORWARD -d 10.244.2.3/32 -p tcp -j DROP'] } });
    expect(traceFlow(model, { from: 'pod/shop/client-0', to: 'pod/shop/api-0', proto: 'tcp', port: 8080 }).verdict).toBe('dropped');
    expect(traceFlow(model, { from: 'node/n2', to: 'pod/shop/api-0', proto: 'tcp', port: 8080 }).verdict).toBe('delivered');
  });

  it('without br_netfilter, a pod calling its own node-local service endpoint gets an un-NATed reply (fails)', () => {
    const { model } = twoNodeShop({ brNetfilter: false });
    const t = traceFlow(model, { from: 'pod/shop/client-0', to: 'svc/shop/web:80', proto: 'tcp' });
    expect(t.verdict).toBe('partial');
    const local = t.paths.find((p) => p.endpoint?.pod === 'shop/web-0')!;
    expect(local.verdict).toBe('dropped');
    expect(local.reply?.verdict).toBe('dropped');
    expect(t.paths.find((p) => p.endpoint?.pod === 'shop/web-1')!.verdict).toBe('delivered');
  });

  it('a node without a snapshot makes the path unknown, with a warning', () => {
    const { model } = twoNodeShop({ tweak: () => {} });
    model.nodes.get('n2')!.observed = false;
    const t = traceFlow(model, { from: 'pod/shop/client-0', to: 'pod/shop/web-1', proto: 'tcp', port: 8080 });
    expect(t.verdict).toBe('unknown');
    expect(t.warnings.join('\n')).toMatch(/n2.*(not observed|no snapshot)/);
  });

  it('NetworkPolicy is judged beside the dataplane: flannel does not enforce it', () => {
    const { model } = twoNodeShop();
    model.networkPolicies.push({ kind: 'NetworkPolicy', metadata: { namespace: 'shop', name: 'deny-api' }, spec: { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Ingress'] } } as never);
    const t = traceFlow(model, { from: 'pod/shop/client-0', to: 'svc/shop/api:80', proto: 'tcp' });
    expect(t.verdict).toBe('delivered');
    expect((t.paths[0] as { policy?: { allowed: boolean } }).policy?.allowed).toBe(false);
    expect((t as { policy?: { enforced: boolean | null } }).policy?.enforced).toBe(false);
    expect(t.warnings.join('\n')).toMatch(/does not enforce NetworkPolicy/);
  });

  it('every trace validates against the Trace schema', () => {
    const { model } = twoNodeShop();
    for (const q of [
      { from: 'pod/shop/client-0', to: 'svc/shop/web:http', proto: 'tcp' as const },
      { from: 'node/n2', to: '192.0.2.11:30080', proto: 'tcp' as const },
      { from: 'pod/shop/web-1', to: '8.8.8.8:53', proto: 'udp' as const },
      { from: 'pod/shop/web-1', to: 'pod/shop/web-0', proto: 'icmp' as const },
    ]) {
      const t = traceFlow(model, q);
      expect(() => Trace.parse(t)).not.toThrow();
    }
    expect(traceFlow(model, { from: 'pod/shop/web-1', to: '8.8.8.8:53', proto: 'udp' }).verdict).toBe('left-cluster');
  });
});

describe('traceFlow: kube-proxy in IPVS mode', () => {
  // This machine's kernel has no ip_vs, so no lab can run IPVS: the state below is what kube-proxy's IPVS mode
  // leaves (VIPs on the kube-ipvs0 dummy, so they are local; virtual servers in ipvsadm -Ln --exact).
  const IPVSADM = [
    'IP Virtual Server version 1.2.1 (size=4096)',
    'Prot LocalAddress:Port Scheduler Flags',
    '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
    'TCP  10.96.0.10:80 rr',
    '  -> 10.244.1.3:8080              Masq    1      0          0',
    '  -> 10.244.2.2:8080              Masq    3      0          0',
    'TCP  10.96.0.30:80 rr',
    '',
  ].join('\n');
  const ipvsNode = (_: string, s: NodeSnapshotInput) => {
    s.ipvs = IPVSADM;
    s.host.links = [...(s.host.links as unknown[]), { ifindex: 50, ifname: 'kube-ipvs0', flags: ['BROADCAST', 'NOARP'], mtu: 1500, operstate: 'DOWN', link_type: 'ether', linkinfo: { info_kind: 'dummy' } }] as never;
    s.host.addrs = [...s.host.addrs, ...['10.96.0.10', '10.96.0.30'].map((ip) => ({ ifindex: 50, ifname: 'kube-ipvs0', addr_info: [{ family: 'inet', local: ip, prefixlen: 32, scope: 'global', label: 'kube-ipvs0' }] }))];
    s.host.routes.inet = [...s.host.routes.inet, ...['10.96.0.10', '10.96.0.30'].map((ip) => ({ type: 'local', dst: ip, dev: 'kube-ipvs0', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: ip, flags: [] }))];
  };
  const { model } = twoNodeShop({ kubeProxy: false, tweak: ipvsNode });

  it('is detected from kube-ipvs0 and the virtual servers', () => {
    expect([...model.nodes.values()].map((n) => n.kubeProxy.mode)).toEqual(['ipvs', 'ipvs']);
  });

  it('a virtual server forks into its real servers, weighted as the scheduler weights them', () => {
    const t = traceFlow(model, { from: 'pod/shop/client-0', to: 'svc/shop/web:80', proto: 'tcp' });
    expect(t.verdict, JSON.stringify(t.paths.map((p) => [p.verdict, (p as never as { reason: string }).reason]))).toBe('delivered');
    const byPod = Object.fromEntries(t.paths.map((p) => [p.endpoint?.pod, p.weight]));
    expect(byPod).toEqual({ 'shop/web-0': 0.25, 'shop/web-1': 0.75 });
    for (const p of t.paths) {
      const ipvs = p.hops.find((h) => h.stage === 'ipvs' || h.action.includes('Masq'))!;
      expect(ipvs.evidence).toContain('TCP  10.96.0.10:80 rr');
      expect(ipvs.evidence).toContain(`-> ${p.endpoint!.ip}:8080`);
      expect(p.hops.at(-1)!.packet.dst).toBe(p.endpoint!.ip);
      expect(p.reply?.verdict).toBe('delivered');
    }
  });

  it('a virtual server without real servers drops new connections', () => {
    const t = traceFlow(model, { from: 'pod/shop/client-0', to: 'svc/shop/checkout:80', proto: 'tcp' });
    expect(t.verdict).toBe('dropped');
    expect((t.paths[0] as { reason?: string }).reason).toContain('IPVS virtual server 10.96.0.30:80 has no real servers');
    expect(t.paths[0]!.hops.at(-1)!.evidence).toContain('TCP  10.96.0.30:80 rr');
  });
});

describe('traceFlow: a return path through a third node (conntrack there sees only the reply)', () => {
  // n2 routes n1's pods via n3, which forwards them on and, like flannel's FLANNEL-POSTRTG, masquerades pod
  // traffic that is neither from nor to its own pods.
  const nodes = [
    { name: 'n1', ip: '192.0.2.11', podCIDR: '10.244.1.0/24' },
    { name: 'n2', ip: '192.0.2.12', podCIDR: '10.244.2.0/24' },
    { name: 'n3', ip: '192.0.2.13', podCIDR: '10.244.3.0/24' },
  ];
  const pods = [
    { namespace: 'shop', name: 'client-0', node: 'n1', ip: '10.244.1.2', ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' as const }] },
    { namespace: 'shop', name: 'dns-0', node: 'n2', ip: '10.244.2.4', labels: { app: 'dns' }, ports: [{ containerPort: 53, protocol: 'UDP' as const }, { containerPort: 5353 }] },
  ];
  const cluster = (masquerade: boolean) =>
    kitCluster(nodes, pods, [], {
      mode: 'host-gw',
      tweak: (node, s) => {
        if (node === 'n2') s.host.routes.inet = s.host.routes.inet.map((r) => (r.dst === '10.244.1.0/24' ? { ...r, gateway: '192.0.2.13' } : r));
        if (node === 'n3' && masquerade) {
          const dump = s.iptables[0]!;
          const nat = (dump.save as string).indexOf('COMMIT', (dump.save as string).indexOf('*nat'));
          dump.save = `${(dump.save as string).slice(0, nat)}-A POSTROUTING -s 10.244.0.0/16 ! -d 10.244.3.0/24 -j MASQUERADE --random-fully\n${(dump.save as string).slice(nat)}`;
        }
      },
    }).model;

  it('UDP: the reply is a new connection there and is masqueraded, so the client discards it', () => {
    const t = traceFlow(cluster(true), { from: 'pod/shop/client-0', to: '10.244.2.4:53', proto: 'udp' });
    expect(t.verdict).toBe('dropped');
    const masq = t.paths[0]!.reply!.hops.find((h) => h.node === 'n3' && h.action.includes('MASQUERADE'));
    expect(masq?.evidence).toBe('-A POSTROUTING -s 10.244.0.0/16 ! -d 10.244.3.0/24 -j MASQUERADE --random-fully');
    expect((t.paths[0]!.reply as { reason?: string }).reason).toMatch(/arrives from 192\.0\.2\.13:\d+, not 10\.244\.2\.4:53/);
  });

  it('UDP without that masquerade: the reply comes back', () => {
    expect(traceFlow(cluster(false), { from: 'pod/shop/client-0', to: '10.244.2.4:53', proto: 'udp' }).verdict).toBe('delivered');
  });

  it('TCP: kube-proxy drops the SYN-ACK there as INVALID (no SYN seen)', () => {
    const t = traceFlow(cluster(false), { from: 'pod/shop/client-0', to: '10.244.2.4:5353', proto: 'tcp' });
    expect(t.verdict).toBe('dropped');
    const drop = t.paths[0]!.reply!.hops.at(-1)!;
    expect([drop.node, drop.evidence]).toEqual(['n3', expect.stringMatching(/-A KUBE-FORWARD -m conntrack --ctstate INVALID .*-j DROP/)]);
  });

  it("TCP the other way: the SYN crosses n3 and the SYN-ACK does not, so n3 drops the client's ACK as INVALID", () => {
    const t = traceFlow(cluster(false), { from: 'pod/shop/dns-0', to: '10.244.1.2:80', proto: 'tcp' });
    expect(t.verdict).toBe('dropped');
    const reply = t.paths[0]!.reply!;
    expect(reply.verdict).toBe('dropped');
    expect((reply as { reason?: string }).reason).toMatch(/saw the SYN but not the SYN-ACK/);
    const ack = reply.hops.filter((h) => h.action.startsWith('handshake ACK') || /INVALID .*-j DROP/.test(h.evidence));
    expect(ack.map((h) => h.node)).toEqual(['n3', 'n3']);
    expect(ack.at(-1)!.evidence).toMatch(/-A KUBE-FORWARD -m conntrack --ctstate INVALID .*-j DROP/);
    // UDP has no handshake: the same path works.
    expect(traceFlow(cluster(false), { from: 'pod/shop/dns-0', to: '10.244.1.2:53', proto: 'udp' }).verdict).toBe('delivered');
  });

  it('ICMP: an echo reply without its request is INVALID there too', () => {
    const t = traceFlow(cluster(false), { from: 'pod/shop/client-0', to: '10.244.2.4', proto: 'icmp' });
    expect(t.verdict).toBe('dropped');
    expect(t.paths[0]!.reply!.hops.at(-1)!.node).toBe('n3');
  });
});
