// Rule counters show *why* a fault changes a flow, not only that it does: the packets that real probes send are
// counted on the rules the fault description names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertLabCapable, loadScenario, withLab, type Lab } from '@patchbay/lab';
import { leftovers } from './flows.js';

const prefixes = new Set<string>();
beforeAll(() => assertLabCapable());
afterAll(() => expect(leftovers(prefixes)).toEqual([]));

const sum = async (lab: Lab, node: string, pick: (rule: string, chain: string) => boolean) =>
  (await lab.counters(node)).filter((c) => pick(c.rule, c.chain)).reduce((s, c) => s + c.packets, 0);

describe('fault mechanisms, seen in rule counters', () => {
  it("asymmetric-return (host-gw): n3 masquerades n2's UDP reply and drops the SYN-ACK as INVALID", async () => {
    await withLab(loadScenario('host-gw'), { faults: ['asymmetric-return'] }, async (lab) => {
      prefixes.add(lab.prefix);
      const masq = (rule: string, chain: string) => chain === 'FLANNEL-POSTRTG' && rule.includes('-s 10.244.0.0/16 ! -d 224.0.0.0/4');
      // Real kube-proxy 1.36 counts these drops in an nfacct object too: match the rule by its state and verdict.
      const invalid = (rule: string, chain: string) => chain === 'KUBE-FORWARD' && /--ctstate INVALID .*-j DROP/.test(rule);
      expect(await sum(lab, 'n3', masq)).toBe(0);
      expect(await sum(lab, 'n3', invalid)).toBe(0);
      const client = lab.podNetns('shop', 'client-0');
      expect((await lab.probe(client, { ip: '10.244.2.4', port: 53, proto: 'udp' })).outcome).toBe('timeout');
      expect(await sum(lab, 'n3', masq)).toBe(1);
      expect((await lab.probe(client, { ip: '10.244.2.3', port: 8080, proto: 'tcp' })).outcome).toBe('timeout');
      expect(await sum(lab, 'n3', invalid)).toBeGreaterThanOrEqual(1);
    });
  });

  it('drop-rule: the DROP rule on n3 counts the SYNs of a pod-to-db connection; the node itself is not counted', async () => {
    await withLab(loadScenario('flannel-vxlan'), { faults: ['drop-rule'] }, async (lab) => {
      prefixes.add(lab.prefix);
      const drop = (rule: string, chain: string) => chain === 'FORWARD' && rule.includes('-d 10.244.3.2/32 -p tcp -j DROP');
      expect((await lab.probe(lab.podNetns('shop', 'client-0'), { ip: '10.244.3.2', port: 5432, proto: 'tcp' })).outcome).toBe('timeout');
      const afterPod = await sum(lab, 'n3', drop);
      expect(afterPod).toBeGreaterThanOrEqual(1);
      expect((await lab.probe(lab.nodeNetns('n3'), { ip: '10.244.3.2', port: 5432, proto: 'tcp' })).outcome).toBe('delivered');
      expect(await sum(lab, 'n3', drop)).toBe(afterPod);
    });
  });

  it("stale-service-rule: cart's DNAT still fires on n1, for an endpoint the API no longer lists", async () => {
    await withLab(loadScenario('flannel-vxlan'), { faults: ['stale-service-rule'] }, async (lab) => {
      prefixes.add(lab.prefix);
      const dnat = (rule: string) => rule.includes('-j DNAT --to-destination 10.244.3.3:8080');
      expect((await lab.probe(lab.podNetns('shop', 'client-0'), { ip: '10.96.0.60', port: 80, proto: 'tcp' })).outcome).toBe('timeout');
      expect(await sum(lab, 'n1', dnat)).toBe(1);
      // The real EndpointSlice controller emptied cart's slice when the API deleted the pod.
      const list = (await lab.clusterList()) as { items: { kind: string; metadata: { name: string; labels?: Record<string, string> }; endpoints?: unknown[] | null }[] };
      const slice = list.items.find((i) => i.kind === 'EndpointSlice' && i.metadata.labels?.['kubernetes.io/service-name'] === 'cart');
      expect(slice, 'cart has an EndpointSlice').toBeDefined();
      expect(slice!.endpoints ?? []).toEqual([]);
    });
  });
});
