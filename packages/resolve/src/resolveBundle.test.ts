import { describe, expect, it } from 'vitest';
import { kitCluster, twoNodeShop } from '../../trace/test/kit.js';

describe('resolveBundle', () => {
  const { model } = twoNodeShop();

  it('labels namespaces as trace hops name them and links each pod to its namespace', () => {
    expect(model.namespaces.get('n1/host')?.label).toBe('host');
    const pod = model.pods.get('shop/client-0')!;
    expect(pod.netns).toBe('n1/pod/shop/client-0');
    expect(model.namespaces.get(pod.netns!)).toMatchObject({ kind: 'pod', pod: 'shop/client-0', label: 'pod/shop/client-0' });
  });
  it('links veth peers across namespaces and bridge ports to their bridge', () => {
    const pod = model.pods.get('shop/client-0')!;
    const host = model.devices.get(pod.hostDevice!)!;
    expect(host).toMatchObject({ netns: 'n1/host', kind: 'veth', master: 'n1/host/dev/cni0' });
    expect(model.devices.get(host.peer!)).toMatchObject({ netns: 'n1/pod/shop/client-0', name: 'eth0' });
  });
  it('maps VXLAN FDB entries to the remote node by underlay address', () => {
    const vx = model.devices.get('n1/host/dev/flannel.1')!.vxlan!;
    expect(vx).toMatchObject({ vni: 1, local: '192.0.2.11', port: 8472 });
    expect(vx.fdb).toEqual([expect.objectContaining({ dst: '192.0.2.12', node: 'n2' })]);
  });
  it('indexes who owns each address', () => {
    expect(model.addressOwners.get('10.244.2.3')).toEqual([{ kind: 'pod', pod: 'shop/api-0' }]);
    expect(model.addressOwners.get('10.96.0.10')).toEqual([{ kind: 'service', service: 'shop/web' }]);
    expect(model.addressOwners.get('192.0.2.12')).toContainEqual({ kind: 'node', node: 'n2', device: 'n2/host/dev/eth0' });
  });
  it('joins services to EndpointSlice endpoints and pods', () => {
    const web = model.services.get('shop/web')!;
    expect(web.endpoints.map((e) => [e.ip, e.pod, e.ports.http])).toEqual([
      ['10.244.1.3', 'shop/web-0', 8080],
      ['10.244.2.2', 'shop/web-1', 8080],
    ]);
    expect(model.services.get('shop/checkout')!.endpoints).toEqual([]);
  });
  it('detects the CNI and kube-proxy mode, and says flannel does not enforce NetworkPolicy', () => {
    const n = model.nodes.get('n1')!;
    expect(n.cni).toMatchObject({ kind: 'flannel-vxlan', enforcesNetworkPolicy: false });
    expect(n.kubeProxy.mode).toBe('iptables');
  });
  it('holds identical rulesets once', () => {
    const keys = new Set([...model.nodes.values()].map((n) => n.ruleset));
    expect(model.rulesets.size).toBe(keys.size);
    for (const rs of model.rulesets.values()) expect(rs.nodes.length).toBeGreaterThan(0);
  });
  it('finds a pod namespace through the CNI result cache when addresses do not say', () => {
    const { model: m } = twoNodeShop({
      tweak: (node, s) => {
        if (node !== 'n1') return;
        const ns = s.namespaces[0]!;
        ns.addrs = [];
        s.cni.results = [{ path: '/var/lib/cni/results/cbr0-abc-eth0', content: JSON.stringify({ kind: 'cniCacheV1', cniArgs: [['K8S_POD_NAMESPACE', 'shop'], ['K8S_POD_NAME', 'client-0']], result: { interfaces: [{ name: 'eth0', sandbox: `/var/run/netns/${ns.names?.[0]}` }], ips: [] } }) }];
      },
    });
    expect(m.pods.get('shop/client-0')!.netns).toBe('n1/pod/shop/client-0');
  });
  it('a node without a snapshot is not observed, with a warning', () => {
    const { model: m } = kitCluster(
      [
        { name: 'n1', ip: '192.0.2.11', podCIDR: '10.244.1.0/24' },
        { name: 'n2', ip: '192.0.2.12', podCIDR: '10.244.2.0/24', observed: false },
      ],
      [{ namespace: 'shop', name: 'a', node: 'n2', ip: '10.244.2.9' }],
      [],
    );
    expect(m.nodes.get('n2')).toMatchObject({ observed: false, snapshot: null });
    expect(m.warnings.join('\n')).toMatch(/node n2 has no snapshot/);
    expect(m.pods.get('shop/a')!.netns).toBeNull();
  });
});
