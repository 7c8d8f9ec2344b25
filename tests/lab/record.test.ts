// Recording: the lab's cluster.json plus the real agent's snapshot of every node make a bundle that passes
// readBundle (strict), and the snapshots show what the lab wired.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundle, sectionText } from '@patchbay/bundle';
import { assertLabCapable, loadScenario, withLab } from '@patchbay/lab';
import { leftovers } from './flows.js';

const pexec = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const prefixes = new Set<string>();
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'pb-bundle-'));
  dirs.push(d);
  return d;
};

beforeAll(() => assertLabCapable());
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  expect(leftovers(prefixes)).toEqual([]);
});

describe('record', () => {
  it('writes a bundle of flannel-vxlan that readBundle accepts, with every node observed', async () => {
    const dir = tmp();
    await withLab(loadScenario('flannel-vxlan'), {}, async (lab) => {
      prefixes.add(lab.prefix);
      await lab.record(dir);
      const b = await readBundle(dir);
      expect(b.snapshots.map((s) => s.nodeName)).toEqual(['n1', 'n2', 'n3']);
      expect(b.cluster.pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort()).toEqual(lab.plan.pods.map((p) => p.key).sort());
      expect(b.cluster.services).toHaveLength(lab.scenario.services.length);
      const n1 = b.snapshots[0]!;
      // The pods of n1 are found from its host namespace, and no pod of another node is.
      const names = n1.namespaces.flatMap((ns) => (ns as { names?: string[] }).names ?? []);
      for (const p of lab.plan.pods.filter((x) => x.node.name === 'n1')) expect(names).toContain(p.netns);
      for (const p of lab.plan.pods.filter((x) => x.node.name !== 'n1')) expect(names).not.toContain(p.netns);
      // The lab's per-node CNI files reach the agent: the configuration, and each pod named by libcni's cache.
      expect(n1.cni.configs.map((c: { path: string }) => path.basename(c.path))).toEqual(['10-flannel.conflist']);
      const podOf = (netns: string) => (n1.namespaces.find((ns) => ((ns as { names?: string[] }).names ?? []).includes(netns)) as { pod?: { namespace: string; name: string } } | undefined)?.pod;
      for (const p of lab.plan.pods.filter((x) => x.node.name === 'n1')) expect(podOf(p.netns)).toMatchObject({ namespace: p.pod.namespace, name: p.pod.name });
      const save = n1.iptables.map((d) => sectionText(d.save, b.blobs)).join('\n');
      expect(save).toContain('-A KUBE-SERVICES -d 10.96.0.30/32 -p tcp -m comment --comment "shop/checkout:http has no endpoints"');
      expect(save).toContain('FLANNEL-POSTRTG');
      const links = JSON.stringify(n1.host);
      expect(links).toContain('flannel.1');
      expect(links).toContain('cni0');
    });
  });

  for (const name of ['host-gw', 'calico-routed', 'nftables']) {
    it(`writes a valid bundle of ${name}, with its CNI's devices and kube-proxy mode visible`, async () => {
      const dir = tmp();
      await withLab(loadScenario(name), {}, async (lab) => {
        prefixes.add(lab.prefix);
        await lab.record(dir);
      });
      const b = await readBundle(dir);
      expect(b.snapshots.map((s) => s.nodeName)).toEqual(['n1', 'n2', 'n3']);
      const n1 = b.snapshots[0]!;
      const host = JSON.stringify(n1.host);
      if (name === 'calico-routed') {
        expect(host).toMatch(/"ifname":"cali[0-9a-f]{11}"/);
        expect(host).toContain('"type":"blackhole","dst":"10.244.1.0/24"');
        expect(n1.cni.configs.map((c: { path: string }) => path.basename(c.path))).toEqual(['10-calico.conflist']);
      } else if (name === 'host-gw') {
        expect(host).toContain('"ifname":"cni0"');
        expect(host).not.toContain('flannel.1');
        expect(host).toContain('"dst":"10.244.2.0/24","gateway":"192.0.2.12"');
      } else {
        expect(host).toContain('"ifname":"flannel.1"');
      }
      if (name === 'nftables') {
        expect(JSON.stringify(n1.nft)).toContain('"kube-proxy"');
      } else {
        const save = n1.iptables.map((d) => sectionText(d.save, b.blobs)).join('\n');
        expect(save).toContain(':KUBE-SERVICES');
      }
    });
  }

  it('`npm run lab -- record flannel-vxlan DIR --fault missing-route` records the fault (the route is gone from n1)', async () => {
    const dir = tmp();
    const { stdout } = await pexec(`${root}node_modules/.bin/tsx`, [`${root}packages/lab/src/cli.ts`, 'record', 'flannel-vxlan', dir, '--fault', 'missing-route'], { cwd: root });
    expect(stdout).toContain(`recorded flannel-vxlan (faults: missing-route) to ${dir}`);
    const b = await readBundle(dir);
    const routes = (s: (typeof b.snapshots)[number]) => JSON.stringify((s.host as { routes?: unknown }).routes);
    expect(routes(b.snapshots[0]!)).not.toContain('"dst":"10.244.2.0/24"');
    expect(routes(b.snapshots[0]!)).toContain('"dst":"10.244.3.0/24"');
    expect(routes(b.snapshots[2]!)).toContain('"dst":"10.244.2.0/24"');
    expect(b.meta?.source).toBe('lab flannel-vxlan (faults: missing-route)');
  });
});
