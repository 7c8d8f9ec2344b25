import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { ipsetContains, parseIpsetSave, parseIpsetSaveWithWarnings } from './parse.js';

const text = [
  'create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x11135078',
  'add KUBE-CLUSTER-IP 10.96.0.10,udp:53',
  'add KUBE-CLUSTER-IP 10.96.120.15,tcp:80',
  'create KUBE-LOOP-BACK hash:ip,port,ip family inet hashsize 1024 maxelem 65536',
  'add KUBE-LOOP-BACK 10.244.1.5,tcp:8080,10.244.1.5',
  'create KUBE-NODE-PORT-TCP bitmap:port range 0-65535',
  'add KUBE-NODE-PORT-TCP 30080',
  'create cali40all-ipam-pools hash:net family inet hashsize 1024 maxelem 1048576 comment',
  'add cali40all-ipam-pools 10.244.0.0/16 comment "pool default"',
  'add cali40all-ipam-pools 10.244.99.0/24 nomatch',
  'create KUBE-6-CLUSTER-IP hash:ip,port family inet6 hashsize 1024 maxelem 65536',
  'add KUBE-6-CLUSTER-IP fd00:10:96::a,udp:53',
  'create KUBE-LOAD-BALANCER-SOURCE-CIDR hash:ip,port,net family inet hashsize 1024 maxelem 65536 timeout 0',
  'add KUBE-LOAD-BALANCER-SOURCE-CIDR 203.0.113.10,tcp:443,198.51.100.0/24 timeout 0',
  '',
].join('\n');

describe('parseIpsetSave', () => {
  const sets = parseIpsetSave(text, { strict: true });

  it('reads sets with type, dimensions, options and members', () => {
    expect([...sets.keys()]).toEqual(['KUBE-CLUSTER-IP', 'KUBE-LOOP-BACK', 'KUBE-NODE-PORT-TCP', 'cali40all-ipam-pools', 'KUBE-6-CLUSTER-IP', 'KUBE-LOAD-BALANCER-SOURCE-CIDR']);
    const c = sets.get('KUBE-CLUSTER-IP')!;
    expect(c).toMatchObject({ type: 'hash:ip,port', dimensions: ['ip', 'port'], family: 'inet', line: 1 });
    expect(c.options).toMatchObject({ family: 'inet', hashsize: '1024', maxelem: '65536' });
    expect(c.members[0]).toEqual({ entry: '10.96.0.10,udp:53', parts: [{ dim: 'ip', from: '10.96.0.10', to: '10.96.0.10' }, { dim: 'port', proto: 'udp', lo: 53, hi: 53 }], nomatch: false, line: 2, raw: 'add KUBE-CLUSTER-IP 10.96.0.10,udp:53' });
    expect(sets.get('cali40all-ipam-pools')!.members.map((m) => [m.entry, m.nomatch, m.comment])).toEqual([
      ['10.244.0.0/16', false, 'pool default'],
      ['10.244.99.0/24', true, undefined],
    ]);
    expect(sets.get('KUBE-NODE-PORT-TCP')!.family).toBeNull();
    expect(sets.get('KUBE-LOAD-BALANCER-SOURCE-CIDR')!.members[0]!.timeout).toBe(0);
  });

  it('ipsetContains: hash:ip,port checks address, protocol and port', () => {
    const s = sets.get('KUBE-CLUSTER-IP')!;
    expect(ipsetContains(s, '10.96.0.10', { proto: 'udp', port: 53 })).toBe(true);
    expect(ipsetContains(s, '10.96.0.10', { proto: 'tcp', port: 53 })).toBe(false);
    expect(ipsetContains(s, '10.96.0.11', { proto: 'udp', port: 53 })).toBe(false);
    expect(ipsetContains(s, '10.96.0.10')).toBe(false);
  });

  it('ipsetContains: hash:ip,port,ip (hairpin), hash:ip,port,net, IPv6', () => {
    expect(ipsetContains(sets.get('KUBE-LOOP-BACK')!, '10.244.1.5', { proto: 'tcp', port: 8080 }, '10.244.1.5')).toBe(true);
    expect(ipsetContains(sets.get('KUBE-LOOP-BACK')!, '10.244.1.5', { proto: 'tcp', port: 8080 }, '10.244.1.6')).toBe(false);
    expect(ipsetContains(sets.get('KUBE-LOAD-BALANCER-SOURCE-CIDR')!, '203.0.113.10', { proto: 'tcp', port: 443 }, '198.51.100.77')).toBe(true);
    expect(ipsetContains(sets.get('KUBE-LOAD-BALANCER-SOURCE-CIDR')!, '203.0.113.10', { proto: 'tcp', port: 443 }, '192.0.2.1')).toBe(false);
    expect(ipsetContains(sets.get('KUBE-6-CLUSTER-IP')!, 'fd00:10:96:0::a', { proto: 'udp', port: 53 })).toBe(true);
  });

  it('ipsetContains: hash:net with nomatch exceptions, bitmap:port without protocol', () => {
    const pools = sets.get('cali40all-ipam-pools')!;
    expect(ipsetContains(pools, '10.244.1.5')).toBe(true);
    expect(ipsetContains(pools, '10.244.99.5')).toBe(false);
    expect(ipsetContains(pools, '10.245.0.1')).toBe(false);
    const np = sets.get('KUBE-NODE-PORT-TCP')!;
    expect(ipsetContains(np, 30080)).toBe(true);
    expect(ipsetContains(np, { proto: 'tcp', port: 30080 })).toBe(true);
    expect(ipsetContains(np, 30081)).toBe(false);
  });

  it('hash:ip members may be ranges', () => {
    const s = parseIpsetSave('create r hash:ip family inet\nadd r 10.0.0.1-10.0.0.5\n').get('r')!;
    expect(ipsetContains(s, '10.0.0.3')).toBe(true);
    expect(ipsetContains(s, '10.0.0.6')).toBe(false);
  });

  it('warns about unknown member options', () => {
    expect(parseIpsetSaveWithWarnings('create r hash:ip\nadd r 10.0.0.1 shiny\n').warnings).toEqual([{ line: 2, message: 'unknown member option shiny: add r 10.0.0.1 shiny' }]);
  });

  const bad: Array<[string, string, string]> = [
    ['add before create', 'add X 10.0.0.1\n', 'line 1: add to set X, which was not created before: add X 10.0.0.1'],
    ['wrong arity', 'create X hash:ip,port\nadd X 10.0.0.1\n', 'line 2: member 10.0.0.1 has 1 parts, set X (hash:ip,port) has 2: add X 10.0.0.1'],
    ['bad ip', 'create X hash:ip\nadd X 10.0.0.300\n', 'line 2: "10.0.0.300" is not a valid ip in set X: add X 10.0.0.300'],
    ['bad port', 'create X bitmap:port range 0-65535\nadd X 70000\n', 'line 2: "70000" is not a valid port in set X: add X 70000'],
    ['unknown dimension', 'create X hash:foo\n', 'line 1: unknown dimension "foo" in set type hash:foo: create X hash:foo'],
    ['garbage', 'flush\n', 'line 1: not an ipset save line (want "create ..." or "add ..."): flush'],
    ['duplicate', 'create X hash:ip\ncreate X hash:ip\n', 'line 2: set X created twice: create X hash:ip'],
  ];
  it.each(bad)('rejects %s', (_n, input, message) => {
    let err: unknown;
    try {
      parseIpsetSave(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParseError);
    expect((err as Error).message).toBe(message);
  });
});
