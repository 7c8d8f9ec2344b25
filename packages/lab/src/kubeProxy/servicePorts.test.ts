import { describe, expect, it } from 'vitest';
import { endpointsForNode } from './servicePorts.js';
import { smallCluster } from './testCluster.js';

const port = (node: string, spn: string) => {
  const sp = endpointsForNode(smallCluster(), node).find((p) => p.spn === spn);
  if (!sp) throw new Error(`no service port ${spn}`);
  return sp;
};

describe('endpointsForNode', () => {
  it('uses ready endpoints only, ignoring not-ready and terminating ones while any is ready', () => {
    const web = port('n1', 'shop/web:http');
    expect(web.allEndpoints.map((e) => e.endpoint)).toEqual(['10.244.1.5:8080', '10.244.1.9:8080', '10.244.2.7:8080', '10.244.2.8:8080']);
    expect(web.clusterEndpoints.map((e) => e.endpoint)).toEqual(['10.244.1.5:8080', '10.244.2.7:8080']);
  });

  it('takes the target port from the slice port of the same name and protocol', () => {
    const dns = port('n1', 'kube-system/kube-dns:metrics');
    expect(dns.clusterEndpoints.map((e) => e.port)).toEqual([9153, 9153]);
    expect(port('n1', 'shop/cart').clusterEndpoints.map((e) => e.endpoint)).toEqual(['10.244.1.11:7070', '10.244.2.12:7070']);
  });

  it('marks endpoints on the programmed node as local', () => {
    expect(port('n1', 'shop/web:http').localEndpoints.map((e) => e.ip)).toEqual(['10.244.1.5']);
    expect(port('n2', 'shop/web:http').localEndpoints.map((e) => e.ip)).toEqual(['10.244.2.7']);
    expect(port('n1', 'shop/api:http').localEndpoints).toEqual([]);
  });

  it('falls back to serving+terminating endpoints when none is ready', () => {
    const cluster = smallCluster();
    const slice = cluster.endpointSlices.find((s) => s.metadata.name.startsWith('web-'));
    for (const ep of slice?.endpoints ?? []) ep.conditions = { ready: false, serving: ep.addresses[0] === '10.244.2.8', terminating: true };
    const web = endpointsForNode(cluster, 'n1').find((p) => p.spn === 'shop/web:http');
    expect(web?.clusterEndpoints.map((e) => e.endpoint)).toEqual(['10.244.2.8:8080']);
  });

  it('reads policies, node ports, LB fields and affinity', () => {
    const api = port('n1', 'shop/api:http');
    expect([api.externalPolicyLocal, api.internalPolicyLocal, api.nodePort, api.healthCheckNodePort]).toEqual([true, false, 30081, 32000]);
    expect(port('n1', 'shop/internal:http').internalPolicyLocal).toBe(true);
    const front = port('n1', 'shop/front:http');
    expect([front.loadBalancerIPs, front.loadBalancerSourceRanges, front.externalIPs]).toEqual([['198.51.100.250'], ['192.0.2.0/24'], ['198.51.100.251']]);
    expect(port('n1', 'shop/cart').affinityTimeout).toBe(10800);
    expect(port('n1', 'shop/web:http').affinityTimeout).toBeNull();
  });

  it('skips headless and ExternalName services', () => {
    const cluster = smallCluster();
    const web = cluster.services.find((s) => s.metadata.name === 'web');
    if (web) web.spec.clusterIP = 'None';
    expect(endpointsForNode(cluster, 'n1').some((p) => p.name === 'web')).toBe(false);
  });
});
