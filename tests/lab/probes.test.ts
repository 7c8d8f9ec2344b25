// The probe itself: each outcome comes from what the kernel did, within the time limit, and probes refuse to
// run outside the lab's namespaces.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertLabCapable, loadScenario, startLab, type Lab } from '@patchbay/lab';
import { leftovers } from './flows.js';

let lab: Lab;
beforeAll(async () => {
  assertLabCapable();
  lab = await startLab(loadScenario('flannel-vxlan'));
});
afterAll(async () => {
  await lab?.teardown();
  expect(leftovers([lab.prefix])).toEqual([]);
});

const client = () => lab.podNetns('shop', 'client-0');

describe('probe outcomes', () => {
  it('delivered: TCP, UDP and ICMP, naming the pod that answered (TCP/UDP)', async () => {
    expect(await lab.probe(client(), { ip: '10.244.2.3', port: 8080, proto: 'tcp' })).toMatchObject({ outcome: 'delivered', server: 'api-0' });
    expect(await lab.probe(client(), { ip: '10.244.2.4', port: 53, proto: 'udp' })).toMatchObject({ outcome: 'delivered', server: 'dns-0' });
    const icmp = await lab.probe(client(), { ip: '10.244.2.3', proto: 'icmp' });
    expect(icmp.outcome).toBe('delivered');
    expect(icmp.detail).toContain('from 10.244.2.3');
  });

  it('refused: a closed TCP port answers RST, a closed UDP port ICMP port unreachable', async () => {
    expect(await lab.probe(client(), { ip: '10.244.2.3', port: 9999, proto: 'tcp' })).toMatchObject({ outcome: 'refused', server: null });
    expect(await lab.probe(client(), { ip: '10.244.2.3', port: 9999, proto: 'udp' })).toMatchObject({ outcome: 'refused', server: null });
  });

  it('unreachable: an unused address on the pod subnet fails ARP and the kernel reports EHOSTUNREACH', async () => {
    const r = await lab.probe(client(), { ip: '10.244.1.200', port: 80, proto: 'tcp' }, { timeoutMs: 6000 });
    expect(r).toMatchObject({ outcome: 'unreachable', server: null });
    expect(r.detail).toContain('EHOSTUNREACH');
  });

  it('timeout: packets into the void end within the limit', async () => {
    const t0 = performance.now();
    const r = await lab.probe(client(), { ip: '10.244.9.9', port: 80, proto: 'tcp' }, { timeoutMs: 800 });
    const took = performance.now() - t0;
    expect(r).toMatchObject({ outcome: 'timeout', server: null });
    expect(took).toBeGreaterThanOrEqual(800);
    expect(took).toBeLessThan(800 + 5000);
    expect((await lab.probe(client(), { ip: '10.244.9.9', proto: 'icmp' }, { timeoutMs: 800 })).outcome).toBe('timeout');
  });

  it('large payloads are acknowledged byte for byte', async () => {
    const r = await lab.probe(client(), { ip: '10.244.3.2', port: 5432, proto: 'tcp' }, { size: 100_000 });
    expect(r).toMatchObject({ outcome: 'delivered', server: 'db-0' });
    expect(r.detail).toContain('server acknowledged 65000');
  });

  it('refuses namespaces that are not the lab’s, and bad targets', async () => {
    await expect(lab.probe('pbffff-n1', { ip: '10.244.2.3', port: 80, proto: 'tcp' })).rejects.toThrow(/not a namespace of lab/);
    await expect(lab.exec('some-other-ns', 'ip', ['link'])).rejects.toThrow(/not a namespace of lab/);
    await expect(lab.probe(client(), { ip: '10.244.2.3', proto: 'tcp' })).rejects.toThrow(/needs a port/);
    await expect(lab.probe(client(), { ip: '10.244.2', port: 80, proto: 'tcp' })).rejects.toThrow();
    expect(() => lab.podNetns('shop', 'nope')).toThrow(/has no pod shop\/nope/);
  });
});
