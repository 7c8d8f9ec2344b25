import { createHash } from 'node:crypto';

// Synthetic kube-proxy (iptables mode) rules for the bench, in the shape kube-proxy writes them (dataplane.md 1.3):
// one KUBE-SERVICES jump, one KUBE-SVC chain with a masquerade rule and one statistic rule per endpoint, and one
// KUBE-SEP chain (hairpin masquerade + DNAT) per endpoint. Used only when @patchbay/lab has no renderer yet.

const base32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function hash16(s: string): string {
  const bytes = createHash('sha256').update(s).digest();
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < 16) {
      out += base32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length >= 16) break;
  }
  return out;
}

export interface RuleSetSize {
  services: number;
  endpoints: number;
}

/** iptables-restore input for `services` ClusterIP services spread over `endpoints` pod endpoints. */
export function kubeProxyRestoreText({ services, endpoints }: RuleSetSize): string {
  const natChains: string[] = [':KUBE-SERVICES - [0:0]', ':KUBE-MARK-MASQ - [0:0]', ':KUBE-POSTROUTING - [0:0]', ':KUBE-NODEPORTS - [0:0]'];
  const natRules: string[] = [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
  ];
  let ep = 0;
  for (let s = 0; s < services; s += 1) {
    const ns = `ns${s % 50}`;
    const spn = `${ns}/svc${s}:http`;
    const svcHash = hash16(`${spn}tcp`);
    const cip = `10.96.${(s >> 8) & 255}.${s & 255}`;
    const n = Math.floor(((s + 1) * endpoints) / services) - Math.floor((s * endpoints) / services);
    natChains.push(`:KUBE-SVC-${svcHash} - [0:0]`);
    natRules.push(`-A KUBE-SERVICES -d ${cip}/32 -p tcp -m comment --comment "${spn} cluster IP" -m tcp --dport 80 -j KUBE-SVC-${svcHash}`);
    natRules.push(`-A KUBE-SVC-${svcHash} ! -s 10.244.0.0/16 -d ${cip}/32 -p tcp -m comment --comment "${spn} cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ`);
    for (let i = 0; i < n; i += 1, ep += 1) {
      const ip = `10.244.${(ep >> 8) & 255}.${(ep & 255) || 1}`;
      const sep = hash16(`${spn}tcp${ip}:8080`);
      natChains.push(`:KUBE-SEP-${sep} - [0:0]`);
      const prob = i < n - 1 ? ` -m statistic --mode random --probability ${(1 / (n - i)).toFixed(11)}` : '';
      natRules.push(`-A KUBE-SVC-${svcHash} -m comment --comment "${spn} -> ${ip}:8080"${prob} -j KUBE-SEP-${sep}`);
      natRules.push(`-A KUBE-SEP-${sep} -s ${ip}/32 -m comment --comment ${spn} -j KUBE-MARK-MASQ`);
      natRules.push(`-A KUBE-SEP-${sep} -p tcp -m comment --comment ${spn} -m tcp -j DNAT --to-destination ${ip}:8080`);
    }
  }
  natRules.push('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS');
  const filter = [
    '*filter',
    ':KUBE-FORWARD - [0:0]',
    ':KUBE-SERVICES - [0:0]',
    '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
    'COMMIT',
  ];
  const mangle = ['*mangle', ':KUBE-IPTABLES-HINT - [0:0]', 'COMMIT'];
  return [...mangle, '*nat', ...natChains, ...natRules, 'COMMIT', ...filter, ''].join('\n');
}
