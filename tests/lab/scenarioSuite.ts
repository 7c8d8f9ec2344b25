// One suite per built-in "shop" scenario: bring it up, probe the flow matrix, check load balancing, session
// affinity and rule counters, then bring it up once per applicable fault and check exactly the intended flows
// changed. Every lab is torn down; afterAll checks none of this file's namespaces remain.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULTS, assertLabCapable, loadScenario, startLab, withLab, type FaultName, type Lab } from '@patchbay/lab';
import { expectMatrix, expected, leftovers, runMatrix } from './flows.js';

export function scenarioSuite(name: string): void {
  const prefixes = new Set<string>();
  const scenario = loadScenario(name);
  const run = <T>(faults: string[], fn: (lab: Lab) => Promise<T>) =>
    withLab(scenario, { faults }, async (lab) => {
      prefixes.add(lab.prefix);
      return fn(lab);
    });

  beforeAll(() => {
    // Not skipped when incapable: a lab test that cannot run fails, with the reason.
    assertLabCapable();
  });

  afterAll(() => {
    expect(leftovers(prefixes), 'lab namespaces left behind').toEqual([]);
  });

  describe(`scenario ${name}`, () => {
    // The three fault-free checks share one lab (each lab now brings up a control plane and kube-proxy): the
    // reject counter is read first, while nothing else has touched it.
    let shared: Lab | null = null;
    const baseline = async <T>(fn: (lab: Lab) => Promise<T>): Promise<T> => {
      shared ??= await startLab(scenario);
      prefixes.add(shared.prefix);
      return fn(shared);
    };
    afterAll(async () => {
      await shared?.teardown();
    });

    // Real kube-proxy puts counters on its iptables rules (iptables always counts) but writes none in its nft
    // table: in nftables mode the check is that its own map sends checkout to its reject chain.
    it(scenario.kubeProxy === 'nftables' ? "sends a service without endpoints to kube-proxy's reject chain, and refuses" : "counts a real packet on kube-proxy's no-endpoints reject rule", async () => {
      await baseline(async (lab) => {
        const client = lab.podNetns('shop', 'client-0');
        if (scenario.kubeProxy === 'nftables') {
          const r = await lab.exec(lab.nodeNetns('n1'), 'nft', ['list', 'map', 'ip', 'kube-proxy', 'no-endpoint-services']);
          expect(r.code, r.stderr).toBe(0);
          expect(r.stdout).toMatch(/10\.96\.0\.30 \. tcp \. 80 comment "shop\/checkout:http" : goto reject-chain/);
          expect((await lab.probe(client, { ip: '10.96.0.30', port: 80, proto: 'tcp' })).outcome).toBe('refused');
          return;
        }
        const isReject = (c: { rule: string; chain: string; source: string }) => c.rule.includes('shop/checkout:http has no endpoints');
        const before = (await lab.counters('n1')).filter(isReject);
        expect(before.length, 'the reject rule exists').toBeGreaterThan(0);
        expect(before.reduce((s, c) => s + c.packets, 0)).toBe(0);
        const r = await lab.probe(client, { ip: '10.96.0.30', port: 80, proto: 'tcp' });
        expect(r.outcome).toBe('refused');
        const after = (await lab.counters('n1')).filter(isReject);
        expect(after.reduce((s, c) => s + c.packets, 0)).toBeGreaterThanOrEqual(1);
        // The other nodes saw nothing of it.
        const n2 = (await lab.counters('n2')).filter(isReject);
        expect(n2.reduce((s, c) => s + c.packets, 0)).toBe(0);
      });
    });

    it('delivers, refuses and drops each flow as the scenario intends', async () => {
      await baseline(async (lab) => expectMatrix(await runMatrix(lab), expected()));
    });

    it('load-balances the web ClusterIP over both endpoints, keeps web-sticky on one (ClientIP affinity)', async () => {
      await baseline(async (lab) => {
        const from = lab.podNetns('shop', 'client-0');
        const seen = new Set<string | null>();
        for (let i = 0; i < 12; i++) seen.add((await lab.probe(from, { ip: '10.96.0.10', port: 80, proto: 'tcp' })).server);
        expect([...seen].sort()).toEqual(['web-0', 'web-1']);
        const sticky = new Set<string | null>();
        for (let i = 0; i < 6; i++) sticky.add((await lab.probe(from, { ip: '10.96.0.11', port: 80, proto: 'tcp' })).server);
        expect(sticky.size).toBe(1);
        expect(['web-0', 'web-1']).toContain([...sticky][0]);
      });
    });

    const cni = scenario.cni;
    for (const fault of Object.values(FAULTS).filter((f) => f.cni.includes(cni))) {
      it(`fault ${fault.name} changes exactly the flows it should`, async () => {
        await run([fault.name as FaultName], async (lab) => expectMatrix(await runMatrix(lab), expected(fault.name, cni)));
      });
    }
  });
}
