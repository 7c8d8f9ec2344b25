import { createHash } from 'node:crypto';

// Chain and set names exactly as kube-proxy derives them (pkg/proxy/iptables and pkg/proxy/nftables). They are
// stable hashes of the service port, so a reader can map a chain back to its Service by hashing API objects.

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (standard alphabet) of the first `chars` characters' worth of bytes; no padding needed. */
function base32Prefix(bytes: Uint8Array, chars: number): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
      if (out.length === chars) return out;
    }
  }
  return out;
}

function hashPrefix(input: string, chars: number): string {
  return base32Prefix(createHash('sha256').update(input).digest(), chars);
}

export type L4Proto = 'tcp' | 'udp' | 'sctp';

/** `namespace/name:portName`, or `namespace/name` for an unnamed port (ServicePortName.String()). */
export function servicePortName(namespace: string, name: string, portName?: string): string {
  return portName ? `${namespace}/${name}:${portName}` : `${namespace}/${name}`;
}

/** The 16-character suffix shared by KUBE-SVC/SVL/EXT/FW chains of one service port. */
export function serviceChainHash(spn: string, protocol: L4Proto): string {
  return hashPrefix(spn + protocol, 16);
}

export type ServiceChainRole = 'SVC' | 'SVL' | 'EXT' | 'FW';

export function serviceChainName(role: ServiceChainRole, spn: string, protocol: L4Proto): string {
  return `KUBE-${role}-${serviceChainHash(spn, protocol)}`;
}

/** KUBE-SEP-… for one endpoint ("IP:port") of a service port. */
export function endpointChainName(spn: string, protocol: L4Proto, endpoint: string): string {
  return `KUBE-SEP-${hashPrefix(spn + protocol + endpoint, 16)}`;
}

// nftables mode: "<HASH8>-<base>" where base is readable and HASH8 hashes the base itself.

/** `ns/svc/proto/portName` (portName empty for an unnamed port). */
export function nftServiceBase(namespace: string, name: string, protocol: L4Proto, portName?: string): string {
  return `${namespace}/${name}/${protocol}/${portName ?? ''}`;
}

/** `<service base>__<IP>/<port>`; IPv6 colons become dots, as kube-proxy writes them. */
export function nftEndpointBase(serviceBase: string, ip: string, port: number): string {
  return `${serviceBase}__${ip.replaceAll(':', '.')}/${port}`;
}

/** HASH8-base, truncated like kube-proxy's hashAndTruncate to nft's 256-byte name limit. */
export function nftHashedName(base: string): string {
  const name = `${hashPrefix(base, 8)}-${base}`;
  return name.length > 256 - 16 ? `${name.slice(0, 256 - 16 - 3)}...` : name;
}

export type NftServiceRole = 'service' | 'local' | 'external' | 'firewall';

export function nftServiceChainName(role: NftServiceRole, serviceBase: string): string {
  return `${role}-${nftHashedName(serviceBase)}`;
}

export function nftEndpointChainName(endpointBase: string): string {
  return `endpoint-${nftHashedName(endpointBase)}`;
}

export function nftAffinitySetName(endpointBase: string): string {
  return `affinity-${nftHashedName(endpointBase)}`;
}
