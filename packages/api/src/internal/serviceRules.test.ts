import { describe, expect, it } from 'vitest';
import { NodeSnapshot } from '@patchbay/schema';
import { realSnapshot } from '../../../schema/src/testSnapshot.js';
import { testModel } from '../../../topology/testdata/model.js';
import { serviceRulesOnNode } from './serviceRules.js';

// `ipvsadm -Ln` as kube-proxy's IPVS mode leaves it: one virtual server per service port, weighted real servers.
const IPVS = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.96.0.1:443 rr
  -> 192.0.2.11:6443              Masq    1      0          0
TCP  10.96.0.10:80 rr
  -> 10.244.0.5:8080              Masq    3      0          0
  -> 10.244.1.5:8080              Masq    1      0          0
`;

describe('serviceRulesOnNode', () => {
  it('reads an IPVS virtual server and its weighted real servers', () => {
    const model = testModel();
    const n1 = model.nodes.get('n1');
    const svc = model.services.get('shop/web');
    if (!n1 || !svc) throw new Error('fixture');
    n1.kubeProxy = { mode: 'ipvs', evidence: 'test' };
    n1.snapshot = { ...NodeSnapshot.parse(realSnapshot()), ipvs: IPVS };
    const r = serviceRulesOnNode(n1, svc, new Map());
    expect(r.note).toBeNull();
    expect(r.chains).toEqual([{ table: 'ipvs', chain: 'TCP  10.96.0.10:80 rr', rules: ['TCP  10.96.0.10:80 rr', '-> 10.244.0.5:8080              Masq    3      0          0', '-> 10.244.1.5:8080              Masq    1      0          0'] }]);
    expect(r.endpoints.map((e) => [e.ip, e.port, e.share])).toEqual([
      ['10.244.0.5', 8080, 0.75],
      ['10.244.1.5', 8080, 0.25],
    ]);
  });

  it('says why when a node has no rules to read', () => {
    const model = testModel();
    const n3 = model.nodes.get('n3');
    const svc = model.services.get('shop/web');
    if (!n3 || !svc) throw new Error('fixture');
    expect(serviceRulesOnNode(n3, svc, new Map()).note).toBe('node not observed: its rules are unknown');
  });
});
