import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '@patchbay/parse';
import { filterTable, iptablesWith, nftChainRuleset, nftForwardLoop } from '../test/hostile.js';
import { twoNodeShop } from '../test/kit.js';
import { TraceBudget, type TraceLimits } from './limits.js';
import { IPTABLES_MAX_DEPTH, IptablesEvaluator } from './netfilter/iptables/evaluate.js';
import { NFT_MAX_DEPTH, NftEvaluator } from './netfilter/nft/evaluate.js';
import type { HookContext, HookOutcome, NfPacket } from './netfilter/types.js';
import { traceFlow } from './traceFlow.js';

// Issue #25, defect 2: a bundle is untrusted input. Rulesets no kernel accepts (jump loops, nesting past the
// jump stack) or built to fan out must end `unknown`, naming the cause, within the trace's budget. Each test
// also guards against a hang with its timeout (generous: the machine is shared); none asserts a speed.
const HANG_GUARD = 30_000;

const pkt: NfPacket = { src: '10.244.1.2', dst: '10.244.2.3', sport: 40000, dport: 8080, proto: 'tcp', mark: 0 };

function ctx(limits: Partial<TraceLimits> = {}): HookContext {
  return {
    model: null as never,
    node: null as never,
    hook: 'forward',
    inDev: 'cni0',
    outDev: 'flannel.1',
    physIn: null,
    physOut: null,
    bridged: false,
    ct: { state: 'NEW', dir: 'ORIGINAL', orig: { src: pkt.src, dst: pkt.dst, sport: pkt.sport, dport: pkt.dport }, dnat: false, snat: false },
    isLocal: () => false,
    masqueradeSource: () => '192.0.2.11',
    rpfilter: () => true,
    inDevAddress: () => null,
    ipsetMember: () => null,
    warn: () => undefined,
    budget: new TraceBudget(limits),
  };
}

/** filter/FORWARD of a dump with the given chains and rules. */
function forward(chains: string[], rules: string[], limits: Partial<TraceLimits> = {}): HookOutcome[] {
  const rs = parseIptablesSave(filterTable(chains, rules), { strict: false });
  return new IptablesEvaluator(rs).runBase('filter', rs.tables['filter']!.chains['FORWARD']!, ctx(limits), pkt);
}

function nftForward(ruleset: { nftables: unknown[] }, limits: Partial<TraceLimits> = {}): HookOutcome[] {
  const ev = new NftEvaluator(ruleset as never);
  expect(ev.warnings).toEqual([]);
  return ev.baseChains('forward')[0]!.run(ctx(limits), pkt);
}

const summary = (out: HookOutcome[]) => out.map((o) => [o.verdict, o.reason]);

describe('issue 25: iptables jump loops and depth', () => {
  it('a two-chain loop is unknown, naming the loop, and the jump that closes it is a step', { timeout: HANG_GUARD }, () => {
    const out = forward(['KUBE-A', 'KUBE-B'], ['-A FORWARD -j KUBE-A', '-A KUBE-A -j KUBE-B', '-A KUBE-B -j KUBE-A']);
    expect(out).toHaveLength(1);
    expect(out[0]!.verdict).toBe('unknown');
    expect(out[0]!.reason).toMatch(/^jump loop in iptables filter: KUBE-A -> KUBE-B -> KUBE-A \(/);
    expect(out[0]!.steps.map((s) => s.action)).toEqual(['jump KUBE-A', 'jump KUBE-B', 'jump KUBE-A: jump loop']);
    expect(out[0]!.steps.at(-1)!.evidence).toBe('-A KUBE-B -j KUBE-A');
  });
  it('a chain that jumps to itself', { timeout: HANG_GUARD }, () => {
    const out = forward(['KUBE-A'], ['-A FORWARD -j KUBE-A', '-A KUBE-A -p tcp -j KUBE-A']);
    expect(summary(out)).toEqual([['unknown', expect.stringMatching(/^jump loop in iptables filter: KUBE-A -> KUBE-A /)]]);
  });
  it('a goto loop, which never grows the jump stack', { timeout: HANG_GUARD }, () => {
    const out = forward(['A', 'B'], ['-A FORWARD -j A', '-A A -g B', '-A B -g A']);
    expect(summary(out)).toEqual([['unknown', expect.stringMatching(/^jump loop in iptables filter: A -> B -> A /)]]);
  });
  it('a loop on one load-balanced branch leaves the other branch decided', { timeout: HANG_GUARD }, () => {
    const out = forward(['L'], ['-A FORWARD -m statistic --mode random --probability 0.25 -j L', '-A FORWARD -j DROP', '-A L -j L']);
    expect(out.map((o) => [o.verdict, o.weight]).sort()).toEqual([
      ['drop', 0.75],
      ['unknown', 0.25],
    ]);
  });
  it(`a chain of jumps nesting past ${IPTABLES_MAX_DEPTH} chains is unknown; one within it is followed`, { timeout: HANG_GUARD }, () => {
    const chainOf = (n: number) => {
      const names = Array.from({ length: n }, (_, i) => `C${i}`);
      return forward(names, ['-A FORWARD -j C0', ...names.map((c, i) => (i + 1 < n ? `-A ${c} -j C${i + 1}` : `-A ${c} -j DROP`))]);
    };
    const deep = chainOf(IPTABLES_MAX_DEPTH + 50);
    expect(deep).toHaveLength(1);
    expect(deep[0]!.verdict).toBe('unknown');
    expect(deep[0]!.reason).toContain(`would nest more than ${IPTABLES_MAX_DEPTH} chains deep`);
    expect(deep[0]!.reason).toContain(`entering C${IPTABLES_MAX_DEPTH - 1} `);
    // The base chain is on the path too: 255 user chains below FORWARD still fit.
    expect(summary(chainOf(IPTABLES_MAX_DEPTH - 1))).toEqual([['drop', `DROP in filter/C${IPTABLES_MAX_DEPTH - 2}`]]);
  });
  it('a loop through many chains is named by its ends, not every link', { timeout: HANG_GUARD }, () => {
    const names = Array.from({ length: 40 }, (_, i) => `L${i}`);
    const out = forward(names, ['-A FORWARD -j L0', ...names.map((c, i) => `-A ${c} -j L${(i + 1) % 40}`)]);
    expect(out[0]!.reason).toMatch(/^jump loop in iptables filter: L0 -> L1 -> L2 -> L3 -> … 33 more … -> L37 -> L38 -> L39 -> L0 \(/);
  });
});

describe('issue 25: iptables fan-out against the trace budget', () => {
  // 1,000 jumps to a chain of 1,000 rules that all match: a million kept steps before this fix.
  const rules = [...Array.from({ length: 1000 }, () => '-A FORWARD -j FAN'), ...Array.from({ length: 1000 }, (_, i) => `-A FAN -m comment --comment "r${i}"`)];

  it('stops at the rule budget, naming it', { timeout: HANG_GUARD }, () => {
    const out = forward(['FAN'], rules, { maxRuleVisits: 20_000 });
    expect(summary(out)).toEqual([['unknown', 'the trace stopped after looking at 20000 rules (its rule budget) before this path was decided']]);
  });
  it('stops at the kept-steps budget with the default limits, naming it', { timeout: HANG_GUARD }, () => {
    const out = forward(['FAN'], rules);
    expect(summary(out)).toEqual([['unknown', 'the trace stopped after keeping 300000 steps (its memory budget) before this path was decided']]);
    expect(out[0]!.steps.length).toBeLessThanOrEqual(300_001);
  });
  it('a statistic fork bomb (2^40 branches) ends in one unknown outcome whose weight completes the rest', { timeout: HANG_GUARD }, () => {
    const bomb = Array.from({ length: 40 }, () => '-A FORWARD -m statistic --mode random --probability 0.5 -j MARK --set-xmark 0x1/0x1');
    const out = forward([], bomb);
    const unknown = out.filter((o) => o.verdict === 'unknown');
    expect(unknown).toHaveLength(1);
    expect(unknown[0]!.reason).toMatch(/^the trace stopped after (keeping|looking at) \d+ (steps|rules)/);
    expect(out.reduce((s, o) => s + o.weight, 0)).toBeCloseTo(1, 9);
  });
  it('stops at the deadline, naming it (a clock that moves a second per read)', { timeout: HANG_GUARD }, () => {
    let t = 0;
    const out = forward(['FAN'], rules, { deadlineMs: 5_000, now: () => (t += 1000) });
    expect(summary(out)).toEqual([['unknown', 'the trace stopped at its deadline (5000 ms) before this path was decided']]);
  });
});

describe('issue 25: the deadline', () => {
  it('counts the trace\'s own work, not the one-time parse of a ruleset it is the first to need', () => {
    let t = 0;
    const budget = new TraceBudget({ deadlineMs: 5_000, now: () => t });
    budget.untimed(() => (t += 60_000));
    expect(budget.check()).toBeNull();
    t += 4_999;
    expect(budget.check()).toBeNull();
    t += 1;
    expect(budget.check()).toBe('the trace stopped at its deadline (5000 ms) before this path was decided');
    // Once spent, it stays spent.
    expect(budget.visit()).toBe(budget.check());
  });
});

describe('issue 25: nft jump loops, depth and forks', () => {
  it('a jump loop (forward -> a -> b -> a) is unknown, naming the loop', { timeout: HANG_GUARD }, () => {
    expect(summary(nftForward(nftForwardLoop()))).toEqual([['unknown', expect.stringMatching(/^jump loop in nft ip loop: a -> b -> a \(/)]]);
  });
  it('a goto loop and a self-jump', { timeout: HANG_GUARD }, () => {
    expect(summary(nftForward(nftChainRuleset(['a', 'b'], { verb: 'goto', loopTo: 'a' })))).toEqual([['unknown', expect.stringMatching(/^jump loop in nft ip loop: a -> b -> a /)]]);
    expect(summary(nftForward(nftChainRuleset(['a'], { loopTo: 'a' })))).toEqual([['unknown', expect.stringMatching(/^jump loop in nft ip loop: a -> a /)]]);
  });
  it(`nesting past the kernel's jump stack (${NFT_MAX_DEPTH}) is unknown; ${NFT_MAX_DEPTH} chains deep is followed`, { timeout: HANG_GUARD }, () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);
    const deep = nftForward(nftChainRuleset(names(NFT_MAX_DEPTH + 1)));
    expect(summary(deep)).toEqual([['unknown', expect.stringContaining(`entering c${NFT_MAX_DEPTH} would nest more than ${NFT_MAX_DEPTH} chains below the base chain`)]]);
    expect(nftForward(nftChainRuleset(names(NFT_MAX_DEPTH))).map((o) => o.verdict)).toEqual(['accept']);
  });
  it('a numgen vmap whose branch enters a loop: that branch is unknown, the other is followed', { timeout: HANG_GUARD }, () => {
    const T = { family: 'ip', table: 'loop' };
    const rs = nftChainRuleset(['a'], { loopTo: 'a' });
    rs.nftables.push(
      { chain: { ...T, name: 'lb', handle: 90 } },
      { chain: { ...T, name: 'ok', handle: 91 } },
      { rule: { ...T, chain: 'forward', handle: 92, expr: [{ goto: { target: 'lb' } }] } },
      { rule: { ...T, chain: 'lb', handle: 93, expr: [{ vmap: { key: { numgen: { mode: 'random', mod: 2, offset: 0 } }, data: { set: [[0, { jump: { target: 'a' } }], [1, { goto: { target: 'ok' } }]] } } }] } },
      { rule: { ...T, chain: 'ok', handle: 94, expr: [{ drop: null }] } },
    );
    // The forward chain's first rule jumps to `a` (the loop) for every packet: drop that rule to reach `lb`.
    rs.nftables = rs.nftables.filter((x) => !(typeof x === 'object' && x !== null && 'rule' in x && (x as { rule: { handle: number } }).rule.handle === 3));
    const out = nftForward(rs);
    expect(out.map((o) => [o.verdict, o.weight]).sort()).toEqual([
      ['drop', 0.5],
      ['unknown', 0.5],
    ]);
    expect(out.find((o) => o.verdict === 'unknown')!.reason).toMatch(/^jump loop in nft ip loop: a -> a /);
  });
  it('numgen mod 4294967295 is unknown instead of allocating four billion branches', { timeout: HANG_GUARD }, () => {
    const T = { family: 'ip', table: 'loop' };
    const rs = nftChainRuleset([]);
    rs.nftables.push({ rule: { ...T, chain: 'forward', handle: 5, expr: [{ vmap: { key: { numgen: { mode: 'random', mod: 4294967295, offset: 0 } }, data: { set: [[0, { accept: null }]] } } }] } });
    rs.nftables = rs.nftables.filter((x) => !(typeof x === 'object' && x !== null && 'rule' in x && (x as { rule: { handle: number } }).rule.handle === 3));
    expect(summary(nftForward(rs))).toEqual([['unknown', expect.stringContaining('numgen mod 4294967295 (the tracer follows 1 to 65536 branches)')]]);
  });
  it('a wide nft fan-out stops at the rule budget', { timeout: HANG_GUARD }, () => {
    const T = { family: 'ip', table: 'loop' };
    const rs = nftChainRuleset([]);
    rs.nftables = rs.nftables.filter((x) => !(typeof x === 'object' && x !== null && 'rule' in x && (x as { rule: { handle: number } }).rule.handle === 3));
    rs.nftables.push({ chain: { ...T, name: 'fan', handle: 7 } });
    for (let i = 0; i < 1000; i++) rs.nftables.push({ rule: { ...T, chain: 'forward', handle: 100 + i, expr: [{ jump: { target: 'fan' } }] } });
    for (let i = 0; i < 1000; i++) rs.nftables.push({ rule: { ...T, chain: 'fan', handle: 2000 + i, expr: [{ counter: { packets: 0, bytes: 0 } }] } });
    expect(summary(nftForward(rs, { maxRuleVisits: 50_000 }))).toEqual([['unknown', 'the trace stopped after looking at 50000 rules (its rule budget) before this path was decided']]);
  });
});

describe('issue 25: a whole trace over a looping bundle', () => {
  const looping = () =>
    twoNodeShop({
      tweak: (node, snap) => {
        if (node !== 'n1') return;
        const dump = snap.iptables[0]!;
        dump.save = iptablesWith(dump.save as string, ['KUBE-A', 'KUBE-B'], ['-A FORWARD -j KUBE-A', '-A KUBE-A -j KUBE-B', '-A KUBE-B -j KUBE-A']);
      },
    });

  it('is unknown, with the loop as a hop and in the warnings', { timeout: HANG_GUARD }, () => {
    const { model } = looping();
    const t = traceFlow(model, { from: 'pod/shop/client-0', to: 'pod/shop/api-0', proto: 'tcp', port: 8080 });
    expect(t.verdict).toBe('unknown');
    expect(t.paths).toHaveLength(1);
    const hop = t.paths[0]!.hops.at(-1)!;
    expect(hop).toMatchObject({ node: 'n1', netns: 'host', stage: 'netfilter', action: 'iptables-nft filter/KUBE-B: jump KUBE-A: jump loop', evidence: '-A KUBE-B -j KUBE-A' });
    expect(t.warnings).toContainEqual(expect.stringMatching(/^unknown: jump loop in iptables-nft filter: KUBE-A -> KUBE-B -> KUBE-A /));
    expect(t.summary).toMatch(/^Unknown: .*KUBE-A -> KUBE-B -> KUBE-A/);
  });
  it('a deadline of 0 ms ends every path unknown at its first hook, naming the deadline', { timeout: HANG_GUARD }, () => {
    const { model } = twoNodeShop();
    const t = traceFlow(model, { from: 'pod/shop/client-0', to: 'svc/shop/web:80', proto: 'tcp' }, { deadlineMs: 0 });
    expect(t.verdict).toBe('unknown');
    expect(t.paths.map((p) => (p as { reason?: string }).reason)).toEqual(['the trace stopped at its deadline (0 ms) before this path was decided']);
    // The same query within the default limits is decided (the limits are no bar to a real ruleset).
    expect(traceFlow(model, { from: 'pod/shop/client-0', to: 'svc/shop/web:80', proto: 'tcp' }).verdict).toBe('delivered');
  });
});
