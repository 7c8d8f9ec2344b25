import { describe, expect, it } from 'vitest';
import { undefinedIptablesTargets } from './checks.js';
import { renderIptablesFromPorts, renderIptablesRules, statisticProbability } from './iptables.js';
import { endpointChainName, serviceChainName } from './names.js';
import { endpointsForNode } from './servicePorts.js';
import { nodeOptions, smallCluster } from './testCluster.js';

const rules = (node: 'n1' | 'n2') => renderIptablesRules(smallCluster(), nodeOptions(node));
const linesOf = (text: string, pattern: string) => text.split('\n').filter((l) => l.includes(pattern));

describe('renderIptablesRules', () => {
  it('prints probabilities as iptables-save does after the 2^31 rounding', () => {
    expect([2, 3, 4, 5].map(statisticProbability)).toEqual(['0.50000000000', '0.33333333349', '0.25000000000', '0.20000000019']);
  });

  it('jumps only to declared chains', () => {
    expect(undefinedIptablesTargets(rules('n1'))).toEqual([]);
    expect(undefinedIptablesTargets(rules('n2'))).toEqual([]);
  });

  it('writes ClusterIP, masquerade, balancing and DNAT rules like the reference example', () => {
    const text = rules('n1');
    expect(text).toContain(
      '-A KUBE-SERVICES -d 10.96.120.15/32 -p tcp -m comment --comment "shop/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-67NZLRHBNDSAWJRO',
    );
    expect(text).toContain(
      '-A KUBE-SVC-67NZLRHBNDSAWJRO ! -s 10.244.0.0/16 -d 10.96.120.15/32 -p tcp -m comment --comment "shop/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ',
    );
    expect(text).toContain(
      '-A KUBE-SVC-67NZLRHBNDSAWJRO -m comment --comment "shop/web:http -> 10.244.1.5:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-34ZZ2QFGO32YYXXO',
    );
    expect(text).toContain('-A KUBE-SVC-67NZLRHBNDSAWJRO -m comment --comment "shop/web:http -> 10.244.2.7:8080" -j KUBE-SEP-DYSIX5QMVXZZP7LU');
    expect(text).toContain('-A KUBE-SEP-34ZZ2QFGO32YYXXO -s 10.244.1.5/32 -m comment --comment "shop/web:http" -j KUBE-MARK-MASQ');
    expect(text).toContain('-A KUBE-SEP-34ZZ2QFGO32YYXXO -p tcp -m comment --comment "shop/web:http" -m tcp -j DNAT --to-destination 10.244.1.5:8080');
    const services = linesOf(text, '-A KUBE-SERVICES ');
    expect(services.at(-1)).toContain('kubernetes service nodeports; NOTE: this must be the last rule in this chain');
  });

  it('rejects services without endpoints in filter and writes no nat chains for them', () => {
    const text = rules('n1');
    expect(text).toContain(
      '-A KUBE-SERVICES -d 10.96.44.201/32 -p tcp -m comment --comment "shop/legacy:https has no endpoints" -m tcp --dport 443 -j REJECT --reject-with icmp-port-unreachable',
    );
    expect(text).toContain('--comment "shop/legacy:https has no endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30443 -j REJECT');
    expect(text).not.toContain(serviceChainName('SVC', 'shop/legacy:https', 'tcp'));
  });

  it('handles externalTrafficPolicy Local per node', () => {
    const svl = serviceChainName('SVL', 'shop/api:http', 'tcp');
    const ext = serviceChainName('EXT', 'shop/api:http', 'tcp');
    const n1 = rules('n1');
    expect(n1).toContain('--comment "shop/api:http has no local endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30081 -j DROP');
    expect(n1).not.toContain(svl);
    expect(linesOf(n1, `-A ${ext} `)).toHaveLength(3);
    const n2 = rules('n2');
    expect(n2).toContain(`-A ${ext} -j ${svl}`);
    expect(n2).not.toContain('shop/api:http has no local endpoints');
    expect(n2).toContain('-A KUBE-NODEPORTS -p tcp -m comment --comment "shop/api:http health check node port" -m tcp --dport 32000 -j ACCEPT');
  });

  it('drops ClusterIP traffic for internalTrafficPolicy Local without local endpoints', () => {
    expect(rules('n1')).toContain('--comment "shop/internal:http has no local endpoints" -m tcp --dport 8080 -j DROP');
    expect(rules('n2')).toContain(`-j ${serviceChainName('SVL', 'shop/internal:http', 'tcp')}`);
  });

  it('writes ClientIP affinity with -m recent', () => {
    const sep = endpointChainName('shop/cart', 'tcp', '10.244.1.11:7070');
    const text = rules('n1');
    expect(text).toContain(`-m recent --rcheck --seconds 10800 --reap --name ${sep} --mask 255.255.255.255 --rsource -j ${sep}`);
    expect(text).toContain(`-A ${sep} -p tcp -m comment --comment "shop/cart" -m recent --set --name ${sep} --mask 255.255.255.255 --rsource -m tcp -j DNAT`);
  });

  it('routes LoadBalancer traffic through the FW chain and drops the rest in KUBE-PROXY-FIREWALL', () => {
    const fw = serviceChainName('FW', 'shop/front:http', 'tcp');
    const text = rules('n1');
    expect(text).toContain(`-d 198.51.100.250/32 -p tcp -m comment --comment "shop/front:http loadbalancer IP" -m tcp --dport 80 -j ${fw}`);
    expect(text).toContain(`-A ${fw} -s 192.0.2.0/24 -m comment --comment "shop/front:http loadbalancer IP" -j KUBE-EXT-`);
    expect(text).toContain(`-A KUBE-PROXY-FIREWALL -d 198.51.100.250/32 -p tcp -m comment --comment "shop/front:http traffic not accepted by ${fw}"`);
    expect(text).toContain('-d 198.51.100.251/32 -p tcp -m comment --comment "shop/front:http external IP"');
    expect(text).toContain(`-A ${fw} -m comment --comment "other traffic to shop/front:http will be dropped by KUBE-PROXY-FIREWALL"\n`);
    // The node (192.0.2.11 is inside the source range) reaches the VIP with the VIP as source.
    expect(text).toContain(`-A ${fw} -s 198.51.100.250/32 -m comment --comment "shop/front:http loadbalancer IP" -j KUBE-EXT-`);
  });

  it("feeds kube-proxy's nfacct counters only when the node's kernel has nfacct", () => {
    const plain = rules('n2');
    expect(plain).not.toContain('nfacct');
    const text = renderIptablesRules(smallCluster(), nodeOptions('n2', { nfacct: true }));
    expect(text).toContain('-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name  ct_state_invalid_dropped_pkts -j DROP');
    // Each NodePort with endpoints gets a localhost twin, first; a NodePort without endpoints gets none.
    const ext = serviceChainName('EXT', 'shop/api:http', 'tcp');
    expect(linesOf(text, '-A KUBE-NODEPORTS ').filter((l) => l.includes('"shop/api:http"'))).toEqual([
      `-A KUBE-NODEPORTS -d 127.0.0.0/8 -p tcp -m comment --comment "shop/api:http" -m tcp --dport 30081 -m nfacct --nfacct-name  localhost_nps_accepted_pkts -j ${ext}`,
      `-A KUBE-NODEPORTS -p tcp -m comment --comment "shop/api:http" -m tcp --dport 30081 -j ${ext}`,
    ]);
    expect(linesOf(text, 'localhost_nps_accepted_pkts').some((l) => l.includes('shop/legacy'))).toBe(false);
    expect(undefinedIptablesTargets(text)).toEqual([]);
  });

  it('uses the configured masquerade bit', () => {
    const text = renderIptablesRules(smallCluster(), nodeOptions('n1', { masqueradeBit: 15 }));
    expect(text).toContain('-A KUBE-MARK-MASQ -j MARK --set-xmark 0x8000/0x8000');
    expect(text).toContain('-A KUBE-POSTROUTING -m mark ! --mark 0x8000/0x8000 -j RETURN');
  });

  it('drops per-endpoint comments above 1000 endpoints, like kube-proxy', () => {
    const ports = endpointsForNode(smallCluster(), 'n1');
    const web = ports.find((p) => p.spn === 'shop/web:http');
    if (!web) throw new Error('fixture');
    const many = Array.from({ length: 1001 }, (_, i) => ({ ...web.allEndpoints[0]!, ip: `10.244.9.${i % 250}`, endpoint: `10.244.9.${i % 250}:${8000 + i}` }));
    const text = renderIptablesFromPorts([{ ...web, allEndpoints: many, clusterEndpoints: many.slice(0, 2) }], nodeOptions('n1'));
    expect(text).not.toContain('shop/web:http ->');
    expect(text).toContain('--comment "shop/web:http cluster IP"');
  });

  it('prefixes counters for iptables-save -c', () => {
    const text = renderIptablesFromPorts(endpointsForNode(smallCluster(), 'n1'), nodeOptions('n1'), { saveCounters: true });
    expect(linesOf(text, '-A ').every((l) => l.startsWith('[0:0] -A '))).toBe(true);
  });

  it('rejects bad options with a message naming the field', () => {
    expect(() => renderIptablesRules(smallCluster(), nodeOptions('n1', { clusterCIDR: '10.244.0.0' }))).toThrow(/clusterCIDR/);
  });
});
