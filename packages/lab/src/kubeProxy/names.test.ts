import { describe, expect, it } from 'vitest';
import {
  endpointChainName,
  nftEndpointBase,
  nftEndpointChainName,
  nftServiceBase,
  nftServiceChainName,
  serviceChainHash,
  serviceChainName,
  servicePortName,
} from './names.js';

// Values checked against kube-proxy's own tests (dataplane.md 1.2 and 2.1).
describe('iptables chain names', () => {
  it('hashes service port names like kube-proxy', () => {
    expect(serviceChainHash('ns1/svc1:p80', 'tcp')).toBe('XPGD46QRK7WJZT7O');
    expect(serviceChainName('SVC', 'default/kubernetes:https', 'tcp')).toBe('KUBE-SVC-NPX46M4PTMTKRN6Y');
    expect(serviceChainName('SVC', 'kube-system/kube-dns:dns', 'udp')).toBe('KUBE-SVC-TCOU7JCQXEZGVUNU');
    expect(serviceChainName('EXT', 'kube-system/kube-dns:dns-tcp', 'tcp')).toBe('KUBE-EXT-ERIFXISQEP7F7OF4');
  });
  it('hashes endpoints with IP:port appended', () => {
    expect(endpointChainName('ns1/svc1:p80', 'tcp', '10.180.0.1:80')).toBe('KUBE-SEP-SXIVWICOYRO3J4NJ');
  });
  it('shares one suffix across SVC, SVL, EXT and FW', () => {
    const roles = (['SVC', 'SVL', 'EXT', 'FW'] as const).map((r) => serviceChainName(r, 'ns1/svc1:p80', 'tcp').split('-').at(-1));
    expect(new Set(roles).size).toBe(1);
  });
  it('names unnamed ports without a colon', () => {
    expect(servicePortName('shop', 'web')).toBe('shop/web');
    expect(servicePortName('shop', 'web', 'http')).toBe('shop/web:http');
  });
});

describe('nftables chain names', () => {
  it('hashes the readable base into an 8-character prefix', () => {
    const base = nftServiceBase('ns1', 'svc1', 'tcp', 'p80');
    expect(base).toBe('ns1/svc1/tcp/p80');
    expect(nftServiceChainName('service', base)).toBe('service-ULMVA6XW-ns1/svc1/tcp/p80');
    expect(nftEndpointChainName(nftEndpointBase(base, '10.180.0.1', 80))).toBe('endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80');
    expect(nftServiceChainName('service', nftServiceBase('default', 'kubernetes', 'tcp', 'https'))).toBe(
      'service-2QRHZV4L-default/kubernetes/tcp/https',
    );
  });
});
