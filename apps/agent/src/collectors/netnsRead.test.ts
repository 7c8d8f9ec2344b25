import { describe, expect, it } from 'vitest';
import { RunError } from '../run.js';
import { fakeRun, testdata } from '../testing/fakes.js';
import { ipCommand, readNetns, splitBatchOutput, sysctlsFromNetconf } from './netnsRead.js';

describe('readNetns', () => {
  it('enters a namespace by name with ip -n, and by path with nsenter', () => {
    expect(ipCommand({ kind: 'name', name: 'pbx-p1' }, ['-j'])).toEqual(['ip', ['-n', 'pbx-p1', '-j']]);
    expect(ipCommand({ kind: 'path', path: '/proc/42/ns/net' }, ['-j'])).toEqual(['nsenter', ['--net=/proc/42/ns/net', '--', 'ip', '-j']]);
  });

  it('sends one batch of commands per process and splits the JSON documents back', async () => {
    const run = fakeRun({
      'ip -n p -j -force -b -': testdata('bridge-node/p1.main.json'),
      'ip -n p -d -6 -j -force -b -': testdata('bridge-node/p1.detail.json'),
    });
    const r = await readNetns(run, { kind: 'name', name: 'p' });
    expect(r.errors).toEqual([]);
    expect(run.calls.map((c) => c.input)).toEqual([
      'addr show\nneigh show\nroute show table all root 0.0.0.0/0\nroute show table all root ::/0\nnetconf show\nrule show\n',
      'link show\nrule show\n',
    ]);
    expect(r.links.map((l) => l.ifname)).toEqual(['lo', 'eth0']);
    expect(r.links[1]!.link_netnsid).toBe(0);
    expect(r.routes.inet.map((x) => x.dst)).toContain('default');
    expect(r.routes.inet6.every((x) => x.dst.includes(':') || x.dst === 'default')).toBe(true);
    expect(r.rules.inet6.map((x) => x.table)).toEqual(['local', 'main']);
  });

  it('keeps what a failing batch printed and names the mismatch when documents are missing', async () => {
    const main = testdata('bridge-node/p1.main.json').split('\n').slice(0, 3).join('\n');
    const run = fakeRun({
      'ip -j -force -b -': () => new RunError('ip: Command failed -:4', 'exit', main, 'Command failed -:4', 1),
      'ip -d -6 -j -force -b -': testdata('bridge-node/p1.detail.json'),
    });
    const r = await readNetns(run, { kind: 'self' });
    expect(r.unreadable).toBe(false);
    expect(r.links).toHaveLength(2);
    expect(r.addrs).toEqual([]);
    expect(r.errors).toEqual(['ip: Command failed -:4', expect.stringMatching(/^ip batch printed 3 JSON documents for 6 commands/)]);
  });

  it('reports a schema mismatch item by item instead of dropping the namespace', async () => {
    const run = fakeRun({
      'ip -j -force -b -': '[]\n[]\n[{"dst":"default"},{"gateway":"x"}]\n[]\n[]\n[]\n',
      'ip -d -6 -j -force -b -': '[]\n[]\n',
    });
    const r = await readNetns(run, { kind: 'self' });
    expect(r.routes.inet).toHaveLength(1);
    expect(r.errors).toEqual([expect.stringMatching(/^route -4\[1\]: dst: /)]);
  });

  it('splits on lines and marks an unterminated array', () => {
    expect(splitBatchOutput('[1]\n[{"a":2}]\n[\n')).toEqual([[1], [{ a: 2 }], undefined]);
  });

  it('maps netconf to sysctl(8) keys', () => {
    expect(
      sysctlsFromNetconf([
        { family: 'inet', interface: 'all', forwarding: true, rp_filter: 'loose', proxy_neigh: false },
        { family: 'inet', interface: 'cali1', forwarding: true, rp_filter: 'strict', proxy_neigh: true },
        { family: 'inet6', interface: 'eth0', forwarding: false },
      ]),
    ).toEqual({
      'net.ipv4.conf.all.forwarding': '1',
      'net.ipv4.conf.all.rp_filter': '2',
      'net.ipv4.conf.all.proxy_arp': '0',
      'net.ipv4.ip_forward': '1',
      'net.ipv4.conf.cali1.forwarding': '1',
      'net.ipv4.conf.cali1.rp_filter': '1',
      'net.ipv4.conf.cali1.proxy_arp': '1',
      'net.ipv6.conf.eth0.forwarding': '0',
    });
  });
});
