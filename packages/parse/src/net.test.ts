import { describe, expect, it } from 'vitest';
import {
  cidrContains,
  formatIPv4,
  ifaceMatches,
  ipFamily,
  longestPrefixMatch,
  markMatches,
  normaliseProto,
  parseCidr,
  parseIPv4,
  parseIPv6,
  parseMarkMask,
  parsePortRange,
  parseUint32,
  portInRange,
  protoNumber,
} from './net.js';

describe('net helpers', () => {
  it('parseIPv4 / formatIPv4', () => {
    expect(parseIPv4('10.96.0.1')).toBe(0x0a600001);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    for (const bad of ['10.96.0', '10.96.0.256', '10.096.0.1', '1.2.3.4.5', 'a.b.c.d', '', '1..2.3']) expect(parseIPv4(bad)).toBeNull();
    expect(formatIPv4(0xc0000201)).toBe('192.0.2.1');
  });

  it('parseIPv6', () => {
    expect(parseIPv6('::1')).toBe(1n);
    expect(parseIPv6('fd00::a')).toBe((0xfd00n << 112n) | 0xan);
    expect(parseIPv6('::ffff:192.0.2.1')).toBe((0xffffn << 32n) | 0xc0000201n);
    expect(parseIPv6('fd00::1::2')).toBeNull();
    expect(parseIPv6('10.0.0.1')).toBeNull();
    expect(ipFamily('fd00::1')).toBe('ipv6');
    expect(ipFamily('10.0.0.1')).toBe('ipv4');
    expect(ipFamily('x')).toBeNull();
  });

  it('parseCidr and cidrContains (IPv4, IPv6, dotted masks, host bits)', () => {
    expect(parseCidr('10.244.1.5/24')).toMatchObject({ family: 'ipv4', addr: '10.244.1.5', prefixLen: 24, network: 0x0af40100 });
    expect(parseCidr('10.0.0.0/33')).toBeNull();
    expect(cidrContains('10.244.0.0/16', '10.244.3.4')).toBe(true);
    expect(cidrContains('10.244.0.0/16', '10.245.0.1')).toBe(false);
    expect(cidrContains('0.0.0.0/0', '1.2.3.4')).toBe(true);
    expect(cidrContains('10.96.0.1', '10.96.0.1')).toBe(true);
    expect(cidrContains('10.0.0.0/255.0.255.0', '10.9.0.7')).toBe(true);
    expect(cidrContains('10.0.0.0/255.0.255.0', '10.9.1.7')).toBe(false);
    expect(cidrContains('fd00:10:244::/56', 'fd00:10:244:1::5')).toBe(true);
    expect(cidrContains('fd00:10:244::/64', 'fd00:10:244:1::5')).toBe(false);
    expect(cidrContains('10.0.0.0/8', 'fd00::1')).toBe(false);
  });

  it('longestPrefixMatch', () => {
    expect(longestPrefixMatch(['0.0.0.0/0', '10.244.0.0/16', '10.244.1.0/24'], '10.244.1.9')).toBe(2);
    expect(longestPrefixMatch(['10.244.0.0/16'], '192.0.2.1')).toBe(-1);
  });

  it('ports', () => {
    expect(parsePortRange('80')).toEqual({ lo: 80, hi: 80 });
    expect(parsePortRange('1000:2000')).toEqual({ lo: 1000, hi: 2000 });
    expect(parsePortRange('1000-2000')).toEqual({ lo: 1000, hi: 2000 });
    expect(parsePortRange(':1024')).toEqual({ lo: 0, hi: 1024 });
    expect(parsePortRange('2000:1000')).toBeNull();
    expect(parsePortRange('70000')).toBeNull();
    expect(portInRange({ lo: 80, hi: 90 }, 85)).toBe(true);
    expect(portInRange({ lo: 80, hi: 90 }, 91)).toBe(false);
  });

  it('marks', () => {
    expect(parseMarkMask('0x4000/0x4000')).toEqual({ value: 0x4000, mask: 0x4000 });
    expect(parseMarkMask('16384')).toEqual({ value: 16384, mask: 0xffffffff });
    expect(parseMarkMask('0x1/zz')).toBeNull();
    expect(markMatches({ value: 0x4000, mask: 0x4000 }, 0x4001)).toBe(true);
    expect(markMatches({ value: 0x4000, mask: 0x4000 }, 0x1)).toBe(false);
    expect(markMatches({ value: 0x10000, mask: 0xffff0000 }, 0x1ffff)).toBe(true);
    expect(parseUint32('0xffffffff')).toBe(0xffffffff);
    expect(parseUint32('0x100000000')).toBeNull();
  });

  it('interfaces and protocols', () => {
    expect(ifaceMatches('veth+', 'veth1234')).toBe(true);
    expect(ifaceMatches('veth+', 'eth0')).toBe(false);
    expect(ifaceMatches('cni0', 'cni0')).toBe(true);
    expect(normaliseProto(6)).toBe('tcp');
    expect(normaliseProto('UDP')).toBe('udp');
    expect(normaliseProto('icmpv6')).toBe('ipv6-icmp');
    expect(protoNumber('sctp')).toBe(132);
    expect(protoNumber('17')).toBe(17);
  });
});
