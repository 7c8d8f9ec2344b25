import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { parseIpvsadm, parseIpvsadmWithWarnings } from './parse.js';

const header = 'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';

describe('parseIpvsadm', () => {
  it('reads services, flags, persistence and real servers', () => {
    const text =
      header +
      'TCP  10.96.120.15:80 rr\n' +
      '  -> 10.244.1.5:8080              Masq    1      0          3\n' +
      '  -> 10.244.2.7:8080              Masq    1      1          0\n' +
      'TCP  10.96.0.50:80 rr persistent 10800 mask 255.255.255.0\n' +
      'UDP  10.96.0.10:53 wlc ops\n' +
      '  -> 10.244.2.9:53                Route   0      0          0\n' +
      'FWM  7 sh (sh-fallback,sh-port)\n' +
      '  -> 10.244.1.5:0                 Tunnel  3      0          0\n' +
      'TCP  [fd00:10:96::a]:443 rr\n' +
      '  -> [fd00:10:244:1::5]:6443      Local   1      0          0\n';
    const s = parseIpvsadm(text, { strict: true });
    expect(s).toHaveLength(5);
    expect(s[0]).toMatchObject({ protocol: 'tcp', family: 'ipv4', vip: '10.96.120.15', port: 80, fwmark: null, scheduler: 'rr', flags: [], persistent: null, onePacket: false, line: 4, origin: 'ipvsadm -Ln / TCP 10.96.120.15:80' });
    expect(s[0]!.realServers).toEqual([
      { address: '10.244.1.5', port: 8080, forward: 'masq', weight: 1, activeConns: 0, inactiveConns: 3, raw: '  -> 10.244.1.5:8080              Masq    1      0          3', line: 5 },
      { address: '10.244.2.7', port: 8080, forward: 'masq', weight: 1, activeConns: 1, inactiveConns: 0, raw: '  -> 10.244.2.7:8080              Masq    1      1          0', line: 6 },
    ]);
    expect(s[1]).toMatchObject({ persistent: 10800, persistenceMask: '255.255.255.0', realServers: [] });
    expect(s[2]).toMatchObject({ protocol: 'udp', scheduler: 'wlc', onePacket: true, realServers: [{ forward: 'route', weight: 0 }] });
    expect(s[3]).toMatchObject({ protocol: null, vip: null, port: null, fwmark: 7, scheduler: 'sh', flags: ['sh-fallback', 'sh-port'], realServers: [{ forward: 'tunnel', port: 0 }], origin: 'ipvsadm -Ln / FWM 7' });
    expect(s[4]).toMatchObject({ family: 'ipv6', vip: 'fd00:10:96::a', port: 443, realServers: [{ address: 'fd00:10:244:1::5', port: 6443, forward: 'local' }], origin: 'ipvsadm -Ln / TCP [fd00:10:96::a]:443' });
  });

  it('reads the /proc/net/ip_vs hex form', () => {
    const text =
      'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n' +
      'TCP  0A607814:0050 rr \n' +
      '  -> 0AF40105:1F90      Masq    1      0          3         \n' +
      'TCP  0A600032:0050 rr persistent 10800 FFFFFFFF\n' +
      'FWM  00000010 sh \n';
    const s = parseIpvsadm(text, { strict: true });
    expect(s[0]).toMatchObject({ vip: '10.96.120.20', port: 80, realServers: [{ address: '10.244.1.5', port: 8080, inactiveConns: 3 }] });
    expect(s[1]).toMatchObject({ vip: '10.96.0.50', persistent: 10800, persistenceMask: 'FFFFFFFF' });
    expect(s[2]).toMatchObject({ fwmark: 16 });
  });

  it('warns about unknown service options (lenient) and throws in strict mode', () => {
    const text = `${header}TCP  10.96.0.1:443 rr frobnicate\n`;
    expect(parseIpvsadmWithWarnings(text).warnings).toEqual([{ line: 4, message: 'unknown service option frobnicate: TCP  10.96.0.1:443 rr frobnicate' }]);
    expect(() => parseIpvsadm(text, { strict: true })).toThrow(new ParseError(4, 'unknown service option frobnicate', 'TCP  10.96.0.1:443 rr frobnicate'));
  });

  const bad: Array<[string, string, string]> = [
    ['real server first', `${header}  -> 10.244.1.5:8080 Masq 1 0 0\n`, 'line 4: real server before any virtual service:   -> 10.244.1.5:8080 Masq 1 0 0'],
    ['short real server', `${header}TCP  10.96.0.1:443 rr\n  -> 10.244.1.5:8080 Masq 1\n`, 'line 5: bad real server line (want "-> ADDR:PORT FORWARD WEIGHT ACTIVE INACTIVE"):   -> 10.244.1.5:8080 Masq 1'],
    ['bad vip', `${header}TCP  10.96.0.1 rr\n`, 'line 4: bad virtual address 10.96.0.1: TCP  10.96.0.1 rr'],
    ['no scheduler', `${header}TCP  10.96.0.1:443\n`, 'line 4: virtual service without a scheduler: TCP  10.96.0.1:443'],
    ['garbage', 'hello\n', 'line 1: not an ipvsadm line: hello'],
    ['bad counts', `${header}TCP  10.96.0.1:443 rr\n  -> 10.244.1.5:8080 Masq 1 x 0\n`, 'line 5: weight and connection counts must be whole numbers:   -> 10.244.1.5:8080 Masq 1 x 0'],
  ];
  it.each(bad)('rejects %s', (_n, text, message) => {
    expect(() => parseIpvsadm(text)).toThrow(new ParseError(0, '', '').constructor as typeof ParseError);
    expect(() => parseIpvsadm(text)).toThrow(message);
  });
});
