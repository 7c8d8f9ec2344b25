import { describe, expect, it } from 'vitest';
import { testModel } from '../testdata/model.js';
import { buildNodeWiring, UnknownNodeError } from './nodeWiring.js';

describe('buildNodeWiring', () => {
  it('draws each pod namespace with its eth0, the veth cable to the host end, the bridge, routing and tunnel', () => {
    const w = buildNodeWiring(testModel(), 'n1');
    const byId = new Map(w.nodes.map((n) => [n.id, n]));
    expect(byId.get('n1/pod/shop/web-1/dev/eth0')).toMatchObject({ parent: 'n1/pod/shop/web-1', kind: 'device' });
    expect(byId.get('n1/host/dev/veth1a')).toMatchObject({ parent: 'n1/host', role: 'veth' });
    expect(byId.get('n1/host/dev/cni0')).toMatchObject({ role: 'bridge' });
    expect(byId.has('n1/host/dev/lo')).toBe(false);
    const edges = w.edges.map((e) => `${e.kind} ${e.source} ${e.target}`);
    expect(edges).toContain('veth n1/host/dev/veth1a n1/pod/shop/web-1/dev/eth0');
    expect(edges).toContain('master n1/host/dev/veth1a n1/host/dev/cni0');
    expect(edges).toContain('underlay n1/host/dev/flannel.1 n1/host/dev/eth0');
    expect(edges).toContain('route n1/host/routing n1/host/dev/flannel.1');
    // The host end of a veth sits right under its pod.
    expect(byId.get('n1/host/dev/veth1a')?.x).toBe(byId.get('n1/pod/shop/web-1/dev/eth0')?.x);
    for (const e of w.edges) {
      expect(byId.has(e.source)).toBe(true);
      expect(byId.has(e.target)).toBe(true);
    }
  });

  it('gives the same wiring as tables', () => {
    const w = buildNodeWiring(testModel(), 'n1');
    expect(w.pods).toEqual([
      { pod: 'kube-system/dns-1', netns: 'pod/kube-system/dns-1', ip: '10.244.0.6', hostNetwork: false, eth0: 'n1/pod/kube-system/dns-1/dev/eth0', hostVeth: 'n1/host/dev/veth1b', hostVethName: 'veth1b' },
      { pod: 'shop/web-1', netns: 'pod/shop/web-1', ip: '10.244.0.5', hostNetwork: false, eth0: 'n1/pod/shop/web-1/dev/eth0', hostVeth: 'n1/host/dev/veth1a', hostVethName: 'veth1a' },
    ]);
    expect(w.routes.filter((r) => r.netns === 'host').map((r) => r.text)).toEqual([
      'default via 192.0.2.1 dev eth0',
      '192.0.2.0/24 dev eth0 proto kernel scope link',
      '10.244.0.0/24 dev cni0 proto kernel scope link',
      '10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink',
    ]);
    expect(w.rules.filter((r) => r.netns === 'host').map((r) => r.text)).toEqual(['0: from all lookup local', '32766: from all lookup main']);
    expect(w.devices.find((d) => d.name === 'flannel.1')?.vxlan).toMatchObject({ vni: 1, dev: 'eth0' });
    expect(w.neighbours[0]).toEqual({ netns: 'host', dst: '192.0.2.1', dev: 'eth0', lladdr: '02:00:00:00:00:01', state: 'REACHABLE' });
  });

  it('names an unknown node', () => {
    expect(() => buildNodeWiring(testModel(), 'nope')).toThrow(UnknownNodeError);
    expect(() => buildNodeWiring(testModel(), 'nope')).toThrow('no node named "nope" in this cluster');
  });

  it('shows a node that was not observed as empty, not as an error', () => {
    const w = buildNodeWiring(testModel(), 'n3');
    expect(w.observed).toBe(false);
    expect(w.nodes).toEqual([]);
  });
});
