import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { nftBaseChains, nftRulesFromIptablesNft, parseNftRuleset } from './parse.js';
import type { NftStatement } from './types.js';

const table = { table: { family: 'ip', name: 't', handle: 1 } };
const chain = (name: string, extra: object = {}) => ({ chain: { family: 'ip', table: 't', name, handle: 2, ...extra } });
const rule = (expr: unknown[], extra: object = {}) => ({ rule: { family: 'ip', table: 't', chain: 'c', handle: 3, expr, ...extra } });

function one(expr: unknown[], opts = { strict: true }): { statements: NftStatement[]; text: string } {
  const m = parseNftRuleset({ nftables: [table, chain('c'), chain('x'), rule(expr)] }, opts);
  const r = m.tables[0]!.chains['c']!.rules[0]!;
  return { statements: r.statements, text: r.evidence.text };
}

describe('parseNftRuleset: objects', () => {
  it('reads tables, base chains (by hook/prio), regular chains, rules in array order with evidence', () => {
    const m = parseNftRuleset({
      nftables: [
        { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
        { table: { family: 'ip', name: 'kube-proxy', handle: 7, comment: 'rules for kube-proxy' } },
        { chain: { family: 'ip', table: 'kube-proxy', name: 'nat-prerouting', handle: 3, type: 'nat', hook: 'prerouting', prio: -100, policy: 'accept' } },
        { chain: { family: 'ip', table: 'kube-proxy', name: 'services', handle: 4 } },
        { rule: { family: 'ip', table: 'kube-proxy', chain: 'nat-prerouting', handle: 10, expr: [{ jump: { target: 'services' } }] } },
        { rule: { family: 'ip', table: 'kube-proxy', chain: 'services', handle: 11, expr: [{ counter: { packets: 3, bytes: 180 } }, { accept: null }] } },
        { rule: { family: 'ip', table: 'kube-proxy', chain: 'services', handle: 12, comment: 'last', expr: [{ drop: null }] } },
      ],
    });
    expect(m.metainfo).toEqual({ version: '1.0.6', releaseName: 'Lester Gooch #5', jsonSchemaVersion: 1 });
    const t = m.tables[0]!;
    expect(t).toMatchObject({ family: 'ip', name: 'kube-proxy', handle: 7, comment: 'rules for kube-proxy', managedBy: null });
    expect(t.chains['nat-prerouting']!.base).toEqual({ type: 'nat', hook: 'prerouting', prio: -100, policy: 'accept' });
    expect(t.chains['services']!.base).toBeNull();
    const rules = t.chains['services']!.rules;
    expect(rules.map((r) => r.index)).toEqual([0, 1]);
    expect(rules[0]!.counters).toEqual({ packets: 3, bytes: 180 });
    expect(rules[1]!.counters).toBeNull();
    expect(rules[1]!.comment).toBe('last');
    expect(rules[1]!.origin).toBe('nft / ip kube-proxy / services');
    expect(rules[1]!.evidence).toEqual({ text: 'drop comment "last"', family: 'ip', table: 'kube-proxy', chain: 'services', handle: 12 });
    expect(m.warnings).toEqual([]);
  });

  it('reads sets and maps with normalised elements (concat, protocol numbers, elem wrappers, verdicts)', () => {
    const m = parseNftRuleset({
      nftables: [
        table,
        chain('reject-chain'),
        chain('svc'),
        { set: { family: 'ip', table: 't', name: 'ips', handle: 5, type: 'ipv4_addr', flags: 'interval', elem: ['10.0.0.1', { prefix: { addr: '10.1.0.0', len: 16 } }, { range: ['10.2.0.1', '10.2.0.9'] }] } },
        { set: { family: 'ip', table: 't', name: 'aff', handle: 6, type: 'ipv4_addr', flags: ['dynamic', 'timeout'], timeout: 10800, elem: [{ elem: { val: '192.0.2.11', timeout: 10800, expires: 10790 } }] } },
        {
          map: {
            family: 'ip',
            table: 't',
            name: 'm',
            handle: 7,
            type: ['ipv4_addr', 'inet_proto', 'inet_service'],
            map: 'verdict',
            comment: 'c',
            elem: [
              [{ concat: ['10.96.0.10', 17, 53] }, { goto: { target: 'svc' } }],
              [{ elem: { val: { concat: ['10.96.44.201', 'tcp', 443] }, comment: 'shop/legacy:https' } }, { goto: { target: 'reject-chain' } }],
              [{ concat: ['10.96.0.11', 'udp', 53] }, { drop: null }],
            ],
          },
        },
      ],
    });
    const sets = m.tables[0]!.sets;
    expect(sets['ips']).toMatchObject({ kind: 'set', keyType: ['ipv4_addr'], dataType: null, flags: ['interval'] });
    expect(sets['ips']!.elements).toEqual([
      { key: { kind: 'value', value: '10.0.0.1' } },
      { key: { kind: 'prefix', addr: '10.1.0.0', len: 16 } },
      { key: { kind: 'range', from: { kind: 'value', value: '10.2.0.1' }, to: { kind: 'value', value: '10.2.0.9' } } },
    ]);
    expect(sets['aff']).toMatchObject({ timeout: 10800, flags: ['dynamic', 'timeout'], elements: [{ key: { kind: 'value', value: '192.0.2.11' }, timeout: 10800, expires: 10790 }] });
    expect(sets['m']).toMatchObject({ kind: 'map', keyType: ['ipv4_addr', 'inet_proto', 'inet_service'], dataType: 'verdict', comment: 'c' });
    expect(sets['m']!.elements).toEqual([
      { key: { kind: 'concat', parts: [{ kind: 'value', value: '10.96.0.10' }, { kind: 'value', value: 'udp' }, { kind: 'value', value: 53 }] }, value: { kind: 'verdict', verdict: 'goto', target: 'svc' } },
      {
        key: { kind: 'concat', parts: [{ kind: 'value', value: '10.96.44.201' }, { kind: 'value', value: 'tcp' }, { kind: 'value', value: 443 }] },
        comment: 'shop/legacy:https',
        value: { kind: 'verdict', verdict: 'goto', target: 'reject-chain' },
      },
      { key: { kind: 'concat', parts: [{ kind: 'value', value: '10.96.0.11' }, { kind: 'value', value: 'udp' }, { kind: 'value', value: 53 }] }, value: { kind: 'verdict', verdict: 'drop' } },
    ]);
  });

  it('marks iptables-nft tables (xt expressions or iptables built-in base chains)', () => {
    const m = parseNftRuleset({
      nftables: [
        { table: { family: 'ip', name: 'nat', handle: 1 } },
        { chain: { family: 'ip', table: 'nat', name: 'KUBE-SERVICES', handle: 2 } },
        { rule: { family: 'ip', table: 'nat', chain: 'KUBE-SERVICES', handle: 3, expr: [{ xt: { type: 'match', name: 'comment' } }, { accept: null }] } },
        { table: { family: 'ip6', name: 'filter', handle: 4 } },
        { chain: { family: 'ip6', table: 'filter', name: 'INPUT', handle: 5, type: 'filter', hook: 'input', prio: 0, policy: 'accept' } },
        { table: { family: 'inet', name: 'filter', handle: 6 } },
        { chain: { family: 'inet', table: 'filter', name: 'input', handle: 7, type: 'filter', hook: 'input', prio: 0, policy: 'accept' } },
      ],
    });
    expect(m.tables.map((t) => t.managedBy)).toEqual(['iptables-nft', 'iptables-nft', null]);
    expect(nftRulesFromIptablesNft(m).map((t) => `${t.family} ${t.name}`)).toEqual(['ip nat', 'ip6 filter']);
    expect(m.tables[0]!.chains['KUBE-SERVICES']!.rules[0]!.statements[0]).toEqual({ kind: 'xt', type: 'match', name: 'comment' });
  });

  it('accepts the JSON text as well as the parsed value', () => {
    expect(parseNftRuleset(JSON.stringify({ nftables: [table] })).tables[0]!.name).toBe('t');
  });
});

describe('parseNftRuleset: statements', () => {
  const cases: Array<[string, unknown[], NftStatement[], string]> = [
    [
      'payload match with prefix, negated',
      [{ match: { op: '!=', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr: '10.244.0.0', len: 16 } } } }],
      [{ kind: 'match', op: '!=', left: { kind: 'payload', protocol: 'ip', field: 'saddr' }, right: { kind: 'prefix', addr: '10.244.0.0', len: 16 } }],
      'ip saddr != 10.244.0.0/16',
    ],
    [
      'set reference',
      [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'daddr' } }, right: '@cluster-ips' } }, { reject: null }],
      [{ kind: 'match', op: '==', left: { kind: 'payload', protocol: 'ip', field: 'daddr' }, right: { kind: 'setref', name: 'cluster-ips' } }, { kind: 'reject', type: null, expr: null }],
      'ip daddr @cluster-ips reject',
    ],
    [
      'fib with string flags, ct state list',
      [{ match: { op: '==', left: { fib: { result: 'type', flags: 'saddr' } }, right: 'local' } }, { match: { op: 'in', left: { ct: { key: 'state' } }, right: ['established', 'related'] } }, { accept: null }],
      [
        { kind: 'match', op: '==', left: { kind: 'fib', result: 'type', flags: ['saddr'] }, right: { kind: 'value', value: 'local' } },
        { kind: 'match', op: 'in', left: { kind: 'ct', key: 'state' }, right: { kind: 'set', elements: [{ key: { kind: 'value', value: 'established' } }, { key: { kind: 'value', value: 'related' } }] } },
        { kind: 'accept' },
      ],
      'fib saddr type local ct state { established, related } accept',
    ],
    [
      'vmap with a named map',
      [{ vmap: { key: { concat: [{ payload: { protocol: 'ip', field: 'daddr' } }, { meta: { key: 'l4proto' } }, { payload: { protocol: 'th', field: 'dport' } }] }, data: '@service-ips' } }],
      [
        {
          kind: 'vmap',
          key: { kind: 'concat', parts: [{ kind: 'payload', protocol: 'ip', field: 'daddr' }, { kind: 'meta', key: 'l4proto' }, { kind: 'payload', protocol: 'th', field: 'dport' }] },
          data: { kind: 'setref', name: 'service-ips' },
        },
      ],
      'ip daddr . meta l4proto . th dport vmap @service-ips',
    ],
    [
      'numgen vmap with an anonymous map',
      [{ vmap: { key: { numgen: { mode: 'random', mod: 2, offset: 0 } }, data: { set: [[0, { goto: { target: 'x' } }], [1, { jump: { target: 'x' } }]] } } }],
      [
        {
          kind: 'vmap',
          key: { kind: 'numgen', mode: 'random', mod: 2, offset: 0 },
          data: {
            kind: 'set',
            elements: [
              { key: { kind: 'value', value: 0 }, value: { kind: 'verdict', verdict: 'goto', target: 'x' } },
              { key: { kind: 'value', value: 1 }, value: { kind: 'verdict', verdict: 'jump', target: 'x' } },
            ],
          },
        },
      ],
      'numgen random mod 2 vmap { 0 : goto x, 1 : jump x }',
    ],
    ['jump/goto/return/continue', [{ jump: { target: 'x' } }], [{ kind: 'jump', target: 'x' }], 'jump x'],
    ['goto', [{ goto: { target: 'x' } }], [{ kind: 'goto', target: 'x' }], 'goto x'],
    ['return', [{ return: null }], [{ kind: 'return' }], 'return'],
    ['drop', [{ drop: null }], [{ kind: 'drop' }], 'drop'],
    ['reject with type', [{ reject: { type: 'icmpx', expr: 'admin-prohibited' } }], [{ kind: 'reject', type: 'icmpx', expr: 'admin-prohibited' }], 'reject with icmpx type admin-prohibited'],
    ['dnat addr port', [{ dnat: { addr: '10.244.1.5', port: 8080 } }], [{ kind: 'dnat', family: null, addr: { kind: 'value', value: '10.244.1.5' }, port: { kind: 'value', value: 8080 }, flags: [] }], 'dnat to 10.244.1.5:8080'],
    [
      'dnat in inet with family',
      [{ dnat: { family: 'ip', addr: '10.244.1.5' } }],
      [{ kind: 'dnat', family: 'ip', addr: { kind: 'value', value: '10.244.1.5' }, port: null, flags: [] }],
      'dnat ip to 10.244.1.5',
    ],
    [
      'squashed >=1.36 dnat with numgen map of addr . port',
      [{ dnat: { family: 'ip', addr: { map: { key: { numgen: { mode: 'random', mod: 2, offset: 0 } }, data: { set: [[0, { concat: ['10.244.1.5', 8080] }], [1, { concat: ['10.244.2.7', 8080] }]] } } } } }],
      [
        {
          kind: 'dnat',
          family: 'ip',
          addr: {
            kind: 'map',
            key: { kind: 'numgen', mode: 'random', mod: 2, offset: 0 },
            data: {
              kind: 'set',
              elements: [
                { key: { kind: 'value', value: 0 }, value: { kind: 'concat', parts: [{ kind: 'value', value: '10.244.1.5' }, { kind: 'value', value: 8080 }] } },
                { key: { kind: 'value', value: 1 }, value: { kind: 'concat', parts: [{ kind: 'value', value: '10.244.2.7' }, { kind: 'value', value: 8080 }] } },
              ],
            },
          },
          port: null,
          flags: [],
        },
      ],
      'dnat ip to numgen random mod 2 map { 0 : 10.244.1.5 . 8080, 1 : 10.244.2.7 . 8080 }',
    ],
    ['snat', [{ snat: { addr: '192.0.2.11', flags: ['random', 'persistent'] } }], [{ kind: 'snat', family: null, addr: { kind: 'value', value: '192.0.2.11' }, port: null, flags: ['random', 'persistent'] }], 'snat to 192.0.2.11 random,persistent'],
    ['masquerade flags string', [{ masquerade: { flags: 'fully-random' } }], [{ kind: 'masquerade', port: null, flags: ['fully-random'] }], 'masquerade fully-random'],
    ['masquerade bare', [{ masquerade: null }], [{ kind: 'masquerade', port: null, flags: [] }], 'masquerade'],
    ['redirect', [{ redirect: { port: 15001 } }], [{ kind: 'redirect', port: { kind: 'value', value: 15001 }, flags: [] }], 'redirect to :15001'],
    [
      'mangle meta mark or',
      [{ mangle: { key: { meta: { key: 'mark' } }, value: { '|': [{ meta: { key: 'mark' } }, 16384] } } }],
      [{ kind: 'mangle', key: { kind: 'meta', key: 'mark' }, value: { kind: 'binop', op: '|', left: { kind: 'meta', key: 'mark' }, right: { kind: 'value', value: 16384 } } }],
      'meta mark set meta mark | 0x00004000',
    ],
    [
      'bitwise match',
      [{ match: { op: '==', left: { '&': [{ meta: { key: 'mark' } }, 16384] }, right: 0 } }, { return: null }],
      [{ kind: 'match', op: '==', left: { kind: 'binop', op: '&', left: { kind: 'meta', key: 'mark' }, right: { kind: 'value', value: 16384 } }, right: { kind: 'value', value: 0 } }, { kind: 'return' }],
      'meta mark & 0x00004000 == 0x00000000 return',
    ],
    [
      'set update',
      [{ set: { op: 'update', elem: { payload: { protocol: 'ip', field: 'saddr' } }, set: '@affinity-x' } }],
      [{ kind: 'setop', op: 'update', elem: { kind: 'payload', protocol: 'ip', field: 'saddr' }, set: 'affinity-x' }],
      'update @affinity-x { ip saddr }',
    ],
    ['counter', [{ counter: { packets: 5, bytes: 300 } }], [{ kind: 'counter', packets: 5, bytes: 300 }], 'counter packets 5 bytes 300'],
    ['named counter', [{ counter: 'cnt' }], [{ kind: 'counter', packets: 0, bytes: 0, name: 'cnt' }], 'counter name "cnt"'],
    ['notrack', [{ notrack: null }], [{ kind: 'notrack' }], 'notrack'],
    ['log', [{ log: { prefix: 'pb: ', level: 'warn' } }], [{ kind: 'log', prefix: 'pb: ', level: 'warn', group: null }], 'log prefix "pb: " level warn'],
    ['limit', [{ limit: { rate: 10, burst: 5, per: 'second' } }], [{ kind: 'limit', rate: 10, per: 'second', burst: 5, unit: 'packets', inv: false }], 'limit rate 10/second burst 5 packets'],
    [
      'range and anonymous set of ports',
      [{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: { set: [22, { range: [80, 90] }] } } }],
      [
        {
          kind: 'match',
          op: '==',
          left: { kind: 'payload', protocol: 'tcp', field: 'dport' },
          right: { kind: 'set', elements: [{ key: { kind: 'value', value: 22 } }, { key: { kind: 'range', from: { kind: 'value', value: 80 }, to: { kind: 'value', value: 90 } } }] },
        },
      ],
      'tcp dport { 22, 80-90 }',
    ],
    [
      'ct mark and raw payload',
      [{ match: { op: '==', left: { ct: { key: 'mark' } }, right: 16 } }, { match: { op: '==', left: { payload: { base: 'th', offset: 16, len: 16 } }, right: 53 } }],
      [
        { kind: 'match', op: '==', left: { kind: 'ct', key: 'mark' }, right: { kind: 'value', value: 16 } },
        { kind: 'match', op: '==', left: { kind: 'rawpayload', base: 'th', offset: 16, len: 16 }, right: { kind: 'value', value: 53 } },
      ],
      'ct mark 0x00000010 @th,16,16 53',
    ],
  ];
  it.each(cases)('%s', (_name, expr, statements, text) => {
    const r = one(expr);
    expect(r.statements).toEqual(statements);
    expect(r.text).toBe(text);
  });

  it('keeps an unknown statement verbatim with a warning, and throws in strict mode', () => {
    const expr = [{ queue: { num: 1 } }];
    const m = parseNftRuleset({ nftables: [table, chain('c'), rule(expr)] });
    expect(m.tables[0]!.chains['c']!.rules[0]!.statements).toEqual([{ kind: 'unknown', name: 'queue', raw: { queue: { num: 1 } } }]);
    expect(m.warnings).toEqual([{ line: 0, message: 'unknown statement "queue" kept verbatim', path: '$.nftables[2].rule.expr[0]' }]);
    expect(() => parseNftRuleset({ nftables: [table, chain('c'), rule(expr)] }, { strict: true })).toThrow('unknown statement "queue" kept verbatim: $.nftables[2].rule.expr[0]');
  });

  it('keeps an unknown expression verbatim with a warning', () => {
    const m = parseNftRuleset({ nftables: [table, chain('c'), rule([{ match: { op: '==', left: { rt: { key: 'nexthop' } }, right: '10.0.0.1' } }])] });
    expect(m.tables[0]!.chains['c']!.rules[0]!.statements[0]).toMatchObject({ kind: 'match', left: { kind: 'unknown', raw: { rt: { key: 'nexthop' } } } });
    expect(m.warnings[0]!.message).toBe('unknown expression "rt" kept verbatim');
  });

  it('reports jumps and vmap verdicts to undefined chains', () => {
    const m = parseNftRuleset({ nftables: [table, chain('c'), rule([{ jump: { target: 'nowhere' } }]), rule([{ vmap: { key: { numgen: { mode: 'random', mod: 1 } }, data: { set: [[0, { goto: { target: 'gone' } }]] } } }])] });
    expect(m.danglingJumps).toEqual([
      { family: 'ip', table: 't', chain: 'c', handle: 3, target: 'nowhere' },
      { family: 'ip', table: 't', chain: 'c', handle: 3, target: 'gone' },
    ]);
  });
});

describe('parseNftRuleset: bad input', () => {
  const cases: Array<[string, unknown, string]> = [
    ['not an object', 42, 'not nft -j output (want {"nftables": [...]}): $: Invalid input: expected object, received number'],
    ['no nftables key', { tables: [] }, 'not nft -j output (want {"nftables": [...]}): $.nftables: Invalid input: expected array, received undefined'],
    ['entry with two keys', { nftables: [{ table: {}, chain: {} }] }, 'each nftables entry must have exactly one key, found table, chain: $.nftables[0]'],
    ['table without name', { nftables: [{ table: { family: 'ip' } }] }, 'bad table: $.nftables[0].table.name: Invalid input: expected string, received undefined'],
    ['rule without expr', { nftables: [table, chain('c'), { rule: { family: 'ip', table: 't', chain: 'c' } }] }, 'bad rule: $.nftables[2].rule.expr: a rule needs an "expr" array of statements'],
    ['chain before table', { nftables: [chain('c')] }, 'chain c names table ip t, which is not defined before it: $.nftables[0].chain'],
    ['rule for missing chain', { nftables: [table, rule([])] }, 'rule names chain ip t c, which is not defined: $.nftables[1].rule'],
    ['bad JSON text', '{"nftables": [', 'nft -j output is not JSON'],
    ['base chain without prio', { nftables: [table, chain('c', { type: 'filter', hook: 'input' })] }, 'base chain c needs type and prio: $.nftables[1].chain'],
  ];
  it.each(cases)('%s', (_name, input, message) => {
    let err: unknown;
    try {
      parseNftRuleset(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).message.startsWith(message)).toBe(true);
  });
});

describe('nftBaseChains', () => {
  it('orders base chains of a hook by priority across tables, inet included, iptables-nft tables left out', () => {
    const m = parseNftRuleset({
      nftables: [
        { table: { family: 'ip', name: 'kube-proxy', handle: 1 } },
        { chain: { family: 'ip', table: 'kube-proxy', name: 'nat-prerouting', handle: 2, type: 'nat', hook: 'prerouting', prio: -100, policy: 'accept' } },
        { chain: { family: 'ip', table: 'kube-proxy', name: 'filter-prerouting-pre-dnat', handle: 3, type: 'filter', hook: 'prerouting', prio: -110, policy: 'accept' } },
        { chain: { family: 'ip', table: 'kube-proxy', name: 'filter-input', handle: 4, type: 'filter', hook: 'input', prio: 0, policy: 'accept' } },
        { table: { family: 'inet', name: 'fw', handle: 5 } },
        { chain: { family: 'inet', table: 'fw', name: 'pre', handle: 6, type: 'filter', hook: 'prerouting', prio: 0, policy: 'drop' } },
        { table: { family: 'ip', name: 'nat', handle: 7 } },
        { chain: { family: 'ip', table: 'nat', name: 'PREROUTING', handle: 8, type: 'nat', hook: 'prerouting', prio: -100, policy: 'accept' } },
      ],
    });
    expect(nftBaseChains(m, 'ip', 'prerouting').map((c) => `${c.table}/${c.name}`)).toEqual(['kube-proxy/filter-prerouting-pre-dnat', 'kube-proxy/nat-prerouting', 'fw/pre']);
    expect(nftBaseChains(m, 'ip6', 'prerouting').map((c) => c.name)).toEqual(['pre']);
  });

  it('normalises protocol numbers in l4proto matches', () => {
    const m = parseNftRuleset({ nftables: [table, chain('c'), rule([{ match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 6 } }])] });
    expect(m.tables[0]!.chains['c']!.rules[0]!.evidence.text).toBe('meta l4proto tcp');
  });
});
