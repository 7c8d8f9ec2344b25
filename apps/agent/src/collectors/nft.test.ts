import { describe, expect, it } from 'vitest';
import { RunError } from '../run.js';
import { fakeRun } from '../testing/fakes.js';
import { readNft } from './nft.js';

const meta = { metainfo: { version: '1.0.6', json_schema_version: 1 } };
const kp = JSON.stringify({ nftables: [meta, { table: { family: 'ip', name: 'kube-proxy', handle: 7 } }, { chain: { family: 'ip', table: 'kube-proxy', name: 'services' } }] });
const absent = (t: string) => () => new RunError(`nft -j list table ${t}: Error: No such file or directory`, 'exit', '', '', 1);

describe('readNft', () => {
  it('lists the whole ruleset while iptables-nft holds few rules', async () => {
    const run = fakeRun({ 'nft -j list ruleset': JSON.stringify({ nftables: [meta] }) });
    const r = await readNft(run, { compatRules: 10, fullListingLimit: 100 });
    expect(r).toEqual({ ruleset: { nftables: [meta] }, errors: [], mode: 'full' });
  });
  it('lists known native tables only above the limit, and says so', async () => {
    const table: Record<string, string | (() => RunError)> = {};
    for (const t of ['ip6 kube-proxy', 'ip flannel-ipv4', 'ip6 flannel-ipv6', 'ip calico', 'ip6 calico', 'inet cilium', 'inet mine']) table[`nft -j list table ${t}`] = absent(t);
    table['nft -j list table ip kube-proxy'] = kp;
    const run = fakeRun(table);
    const r = await readNft(run, { compatRules: 150_000, fullListingLimit: 100, extraTables: [['inet', 'mine']] });
    expect(r.mode).toBe('tables');
    expect(r.ruleset?.nftables).toEqual(JSON.parse(kp).nftables);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/iptables-nft tables hold 150000 rules.*present: ip kube-proxy\)/);
    // The admin learns how to add a table the agent does not know.
    expect(r.errors[0]).toContain('--nft-table FAMILY:NAME');
    expect(run.calls.some((c) => c.args.join(' ') === '-j list ruleset')).toBe(false);
  });
  it('reports output that is not an nftables document', async () => {
    const r = await readNft(fakeRun({ 'nft -j list ruleset': '{"tables": []}' }), { compatRules: 0, fullListingLimit: 1 });
    expect(r.ruleset).toBeNull();
    expect(r.errors[0]).toMatch(/^nft -j list ruleset: /);
  });
});
