import { describe, expect, it } from 'vitest';
import { parseIpsetSave, parseIptablesSave } from '@patchbay/parse';
import { IptablesEvaluator } from './evaluate.js';
import { TraceBudget } from '../../limits.js';
import type { HookContext, NfPacket } from '../types.js';
import { ipsetMember } from '../registry.js';

const pkt = (over: Partial<NfPacket> = {}): NfPacket => ({ src: '10.244.1.2', dst: '10.96.0.10', sport: 40000, dport: 80, proto: 'tcp', mark: 0, ...over });

function ctx(over: Partial<HookContext> = {}): HookContext {
  return {
    model: null as never,
    node: null as never,
    hook: 'prerouting',
    inDev: 'cni0',
    outDev: null,
    physIn: null,
    physOut: null,
    bridged: false,
    ct: { state: 'NEW', dir: 'ORIGINAL', orig: { src: '10.244.1.2', dst: '10.96.0.10', sport: 40000, dport: 80 }, dnat: false, snat: false },
    isLocal: (ip) => ip === '192.0.2.11' || ip === '10.244.1.1',
    masqueradeSource: () => '192.0.2.11',
    rpfilter: () => true,
    inDevAddress: () => '10.244.1.1',
    ipsetMember: () => null,
    warn: () => undefined,
    budget: new TraceBudget(),
    ...over,
  };
}

/**
 * Freezes the parsed model before any evaluator sees it: the parser shares match and target objects across
 * rules, and the registry shares one parsed ruleset across nodes, so a write from the evaluator would change
 * other rules' meaning. In strict-mode ESM a write to a frozen object throws, and the test fails.
 */
function deepFreeze<T>(value: T): T {
  // Frozen first, so a shared object is walked once: being frozen marks it as seen (the parser itself freezes
  // only an empty array, which has nothing below it).
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
  return value;
}

/** Runs one table's built-in chain over a dump with a single table. */
function run(table: string, chain: string, rules: string[], p = pkt(), c = ctx(), extraChains: string[] = [], policy = 'ACCEPT') {
  const text = `*${table}\n:${chain} ${policy} [0:0]\n${extraChains.map((x) => `:${x} - [0:0]`).join('\n')}\n${rules.join('\n')}\nCOMMIT\n`;
  const rs = deepFreeze(parseIptablesSave(text, { strict: false }));
  const ev = new IptablesEvaluator(rs);
  return ev.runBase(table, rs.tables[table]!.chains[chain]!, c, p);
}

const verdictOf = (rules: string[], p?: NfPacket, c?: HookContext) => run('filter', 'FORWARD', rules, p, c).map((o) => o.verdict);

describe('iptables matches', () => {
  it('-s / -d with prefixes and negation', () => {
    expect(verdictOf(['-A FORWARD -s 10.244.1.0/24 -j DROP'])).toEqual(['drop']);
    expect(verdictOf(['-A FORWARD ! -s 10.244.1.0/24 -j DROP'])).toEqual(['accept']);
    expect(verdictOf(['-A FORWARD -d 10.96.0.10/32 -j DROP'])).toEqual(['drop']);
    expect(verdictOf(['-A FORWARD -d 10.96.0.11/32 -j DROP'])).toEqual(['accept']);
  });
  it('-i / -o with + wildcards', () => {
    expect(verdictOf(['-A FORWARD -i cni+ -j DROP'])).toEqual(['drop']);
    expect(verdictOf(['-A FORWARD -i veth+ -j DROP'])).toEqual(['accept']);
    expect(verdictOf(['-A FORWARD ! -o eth0 -j DROP'], pkt(), ctx({ outDev: 'flannel.1' }))).toEqual(['drop']);
  });
  it('-p and tcp/udp ports, ranges', () => {
    expect(verdictOf(['-A FORWARD -p udp -j DROP'])).toEqual(['accept']);
    expect(verdictOf(['-A FORWARD -p tcp -m tcp --dport 80 -j DROP'])).toEqual(['drop']);
    expect(verdictOf(['-A FORWARD -p tcp -m tcp --dport 70:90 -j DROP'])).toEqual(['drop']);
    expect(verdictOf(['-A FORWARD -p tcp -m tcp ! --dport 80 -j DROP'])).toEqual(['accept']);
    expect(verdictOf(['-A FORWARD -p udp -m udp --dport 53 -j DROP'], pkt({ proto: 'udp', dport: 53 }))).toEqual(['drop']);
    expect(verdictOf(['-A FORWARD -p tcp -m tcp --syn -j DROP'])).toEqual(['drop']);
  });
  it('multiport', () => {
    expect(verdictOf(['-A FORWARD -p tcp -m multiport --dports 22,80,443 -j DROP'])).toEqual(['drop']);
    expect(verdictOf(['-A FORWARD -p tcp -m multiport --dports 22,443 -j DROP'])).toEqual(['accept']);
  });
  it('mark with a mask', () => {
    expect(verdictOf(['-A FORWARD -m mark --mark 0x4000/0x4000 -j DROP'], pkt({ mark: 0x4001 }))).toEqual(['drop']);
    expect(verdictOf(['-A FORWARD -m mark ! --mark 0x4000/0x4000 -j DROP'], pkt({ mark: 0x4001 }))).toEqual(['accept']);
  });
  it('conntrack states: NEW for the first packet, ESTABLISHED for the reply, DNAT once translated', () => {
    expect(verdictOf(['-A FORWARD -m conntrack --ctstate NEW -j DROP'])).toEqual(['drop']);
    const est = ctx({ ct: { ...ctx().ct, state: 'ESTABLISHED', dir: 'REPLY' } });
    expect(verdictOf(['-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j DROP'], pkt(), est)).toEqual(['drop']);
    expect(verdictOf(['-A FORWARD -m conntrack --ctstate INVALID -j DROP'], pkt(), est)).toEqual(['accept']);
    const dnat = ctx({ ct: { ...ctx().ct, dnat: true } });
    expect(verdictOf(['-A FORWARD -m conntrack --ctstate DNAT -j DROP'], pkt(), dnat)).toEqual(['drop']);
    expect(verdictOf(['-A FORWARD -m state --state NEW -j DROP'])).toEqual(['drop']);
  });
  it('addrtype LOCAL', () => {
    expect(verdictOf(['-A FORWARD -m addrtype --dst-type LOCAL -j DROP'], pkt({ dst: '192.0.2.11' }))).toEqual(['drop']);
    expect(verdictOf(['-A FORWARD -m addrtype --dst-type LOCAL -j DROP'])).toEqual(['accept']);
    expect(verdictOf(['-A FORWARD -m addrtype --src-type LOCAL -j DROP'], pkt({ src: '10.244.1.1' }))).toEqual(['drop']);
  });
  it('statistic random forks into weighted branches (kube-proxy 1/3, 1/2, rest)', () => {
    const out = run('nat', 'PREROUTING', [
      '-A PREROUTING -m statistic --mode random --probability 0.33333333349 -j DNAT --to-destination 10.244.1.5:8080',
      '-A PREROUTING -m statistic --mode random --probability 0.50000000000 -j DNAT --to-destination 10.244.2.5:8080',
      '-A PREROUTING -j DNAT --to-destination 10.244.3.5:8080',
    ]);
    const w = Object.fromEntries(out.map((o) => [o.pkt.dst, Math.round(o.weight * 1000) / 1000]));
    expect(w).toEqual({ '10.244.1.5': 0.333, '10.244.2.5': 0.333, '10.244.3.5': 0.333 });
  });
  it('statistic nth splits evenly', () => {
    const out = run('nat', 'PREROUTING', ['-A PREROUTING -m statistic --mode nth --every 2 --packet 0 -j DNAT --to-destination 10.244.1.5', '-A PREROUTING -j DNAT --to-destination 10.244.2.5']);
    expect(out.map((o) => o.weight)).toEqual([0.5, 0.5]);
  });
  it('comment and physdev (bridged traffic)', () => {
    expect(verdictOf(['-A FORWARD -m comment --comment "x y" -j DROP'])).toEqual(['drop']);
    const br = ctx({ bridged: true, physIn: 'veth1', physOut: 'veth2' });
    expect(verdictOf(['-A FORWARD -m physdev --physdev-is-bridged -j DROP'], pkt(), br)).toEqual(['drop']);
    expect(verdictOf(['-A FORWARD -m physdev --physdev-is-bridged -j DROP'])).toEqual(['accept']);
    expect(verdictOf(['-A FORWARD -m physdev --physdev-in veth+ --physdev-out veth2 -j DROP'], pkt(), br)).toEqual(['drop']);
  });
  it('set (ipset) membership by direction', () => {
    const sets = parseIpsetSave('create KUBE-CLUSTER-IP hash:ip,port family inet\nadd KUBE-CLUSTER-IP 10.96.0.10,tcp:80\n');
    const c = ctx({ ipsetMember: (name, dirs, p) => (sets.get(name) ? ipsetMember(sets.get(name)!, dirs, p) : null) });
    expect(verdictOf(['-A FORWARD -m set --match-set KUBE-CLUSTER-IP dst,dst -j DROP'], pkt(), c)).toEqual(['drop']);
    expect(verdictOf(['-A FORWARD -m set --match-set KUBE-CLUSTER-IP dst,dst -j DROP'], pkt({ dport: 81 }), c)).toEqual(['accept']);
    expect(verdictOf(['-A FORWARD -m set ! --match-set KUBE-CLUSTER-IP dst,dst -j DROP'], pkt({ dport: 81 }), c)).toEqual(['drop']);
    expect(verdictOf(['-A FORWARD -m set --match-set NOPE dst -j DROP'], pkt(), c)).toEqual(['unknown']);
  });
  it('recent: a first connection is in no list', () => {
    expect(verdictOf(['-A FORWARD -m recent --rcheck --seconds 10800 --reap --name X --mask 255.255.255.255 --rsource -j DROP'])).toEqual(['accept']);
  });
  it('a module the tracer cannot evaluate makes the outcome unknown, never a guess', () => {
    expect(verdictOf(['-A FORWARD -m owner --uid-owner 0 -j DROP'])).toEqual(['unknown']);
    expect(verdictOf(['-A FORWARD -m owner --uid-owner 0 -j LOG'])).toEqual(['accept']);
  });
});

describe('iptables targets', () => {
  it('ACCEPT, DROP, REJECT and the chain policy', () => {
    expect(verdictOf(['-A FORWARD -j ACCEPT', '-A FORWARD -j DROP'])).toEqual(['accept']);
    expect(verdictOf(['-A FORWARD -j REJECT --reject-with icmp-port-unreachable'])).toEqual(['reject']);
    expect(run('filter', 'FORWARD', [], pkt(), ctx(), [], 'DROP').map((o) => o.verdict)).toEqual(['drop']);
  });
  it('jump, RETURN and goto', () => {
    const r1 = run('filter', 'FORWARD', ['-A FORWARD -j A', '-A FORWARD -j DROP', '-A A -j RETURN'], pkt(), ctx(), ['A']);
    expect(r1.map((o) => o.verdict)).toEqual(['drop']);
    // goto: RETURN in B returns to FORWARD's caller (the policy), skipping the DROP after the goto.
    const r2 = run('filter', 'FORWARD', ['-A FORWARD -j A', '-A FORWARD -j DROP', '-A A -g B', '-A A -j ACCEPT', '-A B -j RETURN'], pkt(), ctx(), ['A', 'B']);
    expect(r2.map((o) => o.verdict)).toEqual(['drop']);
    const r3 = run('filter', 'FORWARD', ['-A FORWARD -g B', '-A FORWARD -j DROP', '-A B -j RETURN'], pkt(), ctx(), ['B']);
    expect(r3.map((o) => o.verdict)).toEqual(['accept']);
  });
  it('entering a chain again after it returned is no jump loop', () => {
    const out = run('filter', 'FORWARD', ['-A FORWARD -j X', '-A FORWARD -j X', '-A FORWARD -j DROP', '-A X -p udp -j ACCEPT'], pkt(), ctx(), ['X']);
    expect(out.map((o) => [o.verdict, o.reason])).toEqual([['drop', 'DROP in filter/FORWARD']]);
  });
  it('DNAT rewrites the destination and ends the nat chain', () => {
    const out = run('nat', 'PREROUTING', ['-A PREROUTING -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.244.2.3:8080', '-A PREROUTING -j DNAT --to-destination 1.1.1.1']);
    expect(out).toHaveLength(1);
    expect(out[0]!.pkt).toMatchObject({ dst: '10.244.2.3', dport: 8080 });
    expect(out[0]!.steps[0]!.evidence).toBe('-A PREROUTING -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.244.2.3:8080');
  });
  it('SNAT and MASQUERADE rewrite the source', () => {
    expect(run('nat', 'POSTROUTING', ['-A POSTROUTING -j SNAT --to-source 198.51.100.7'])[0]!.pkt.src).toBe('198.51.100.7');
    expect(run('nat', 'POSTROUTING', ['-A POSTROUTING -j MASQUERADE --random-fully'])[0]!.pkt.src).toBe('192.0.2.11');
  });
  it('MARK sets bits and later rules see them (kube-proxy masquerade mark)', () => {
    const out = run('nat', 'POSTROUTING', ['-A POSTROUTING -j MARK --set-xmark 0x4000/0x4000', '-A POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN', '-A POSTROUTING -j MARK --set-xmark 0x4000/0x0', '-A POSTROUTING -j MASQUERADE']);
    expect(out[0]!.pkt).toMatchObject({ src: '192.0.2.11', mark: 0 });
  });
  it('indexes long chains by destination with the same result as a scan', () => {
    const rules = Array.from({ length: 200 }, (_, i) => `-A PREROUTING -d 10.96.${i >> 8}.${i & 255}/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.244.9.${i & 255}:8080`);
    rules.splice(100, 0, '-A PREROUTING -p tcp -m tcp --dport 9999 -j DNAT --to-destination 10.244.8.8:1');
    expect(run('nat', 'PREROUTING', rules, pkt({ dst: '10.96.0.150' }))[0]!.pkt.dst).toBe('10.244.9.150');
    expect(run('nat', 'PREROUTING', rules, pkt({ dst: '10.96.0.150', dport: 9999 }))[0]!.pkt.dst).toBe('10.244.8.8');
  });
});

describe('a dump read chain by chain', () => {
  const HEADER = '# Generated by iptables-save v1.8.9 (nf_tables) on Sat Nov 21 14:00:00 2026';
  const dump = (rules: string[]) => [HEADER, '*filter', ':FORWARD ACCEPT [0:0]', ':SEEN - [0:0]', ':UNSEEN - [0:0]', ':BROKEN - [0:0]', ...rules, 'COMMIT', ''].join('\n');
  // Not deep-frozen: freezing walks, and so reads, every chain.
  const traceOf = (text: string, p: NfPacket) => {
    const warnings: string[] = [];
    const rs = parseIptablesSave(text);
    const ev = new IptablesEvaluator(rs);
    const out = ev.runBase('filter', rs.tables['filter']!.chains['FORWARD']!, ctx({ warn: (t) => warnings.push(t) }), p);
    return { out, warnings, rs };
  };

  it('a trace is told the parse warnings of the chains it reads, and of no other', () => {
    const text = dump([
      '-A FORWARD -d 10.96.0.10/32 -j SEEN',
      '-A FORWARD -d 10.96.0.11/32 -j UNSEEN',
      '-A SEEN -p tcp -m tcp --frobnicate 1 -j ACCEPT',
      '-A UNSEEN -m hashlimit --hashlimit-upto 5/sec -j DROP',
    ]);
    const { out, warnings, rs } = traceOf(text, pkt({ dst: '10.96.0.10' }));
    expect(out.map((o) => [o.verdict, o.reason])).toEqual([['unknown', 'rule needs -m tcp --frobnicate: -A SEEN -p tcp -m tcp --frobnicate 1 -j ACCEPT']]);
    expect(warnings).toEqual(['iptables-save line 9: unknown option --frobnicate for -m tcp: -A SEEN -p tcp -m tcp --frobnicate 1 -j ACCEPT']);
    // The same packet gives the same warnings on a second trace (nothing depends on what was read before).
    expect(traceOf(text, pkt({ dst: '10.96.0.10' })).warnings).toEqual(warnings);
    expect(rs.warnings.map((w) => w.line)).toEqual([9, 10]);
  });

  it('a chain whose rules cannot be read makes the outcome unknown, naming the line; other paths still evaluate', () => {
    const text = dump(['-A FORWARD -d 10.96.0.10/32 -j BROKEN', '-A FORWARD -d 10.96.0.11/32 -j DROP', '-A BROKEN -s /8 -j ACCEPT']);
    const broken = traceOf(text, pkt({ dst: '10.96.0.10' })).out;
    expect(broken.map((o) => o.verdict)).toEqual(['unknown']);
    expect(broken[0]!.reason).toBe('the rules of filter/BROKEN cannot be read: line 9: -s has an invalid address "/8": -A BROKEN -s /8 -j ACCEPT');
    expect(traceOf(text, pkt({ dst: '10.96.0.11' })).out.map((o) => o.verdict)).toEqual(['drop']);
  });
});
