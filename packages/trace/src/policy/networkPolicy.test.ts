import { describe, expect, it } from 'vitest';
import { NetworkPolicy } from '@patchbay/schema';
import { evaluateNetworkPolicy, policyTypes, type PolicyPeer } from './networkPolicy.js';

// The cases of the Kubernetes documentation's NetworkPolicy page ("Network Policies"), one by one.
const np = (ns: string, name: string, spec: unknown) => NetworkPolicy.parse({ kind: 'NetworkPolicy', metadata: { namespace: ns, name }, spec });
const nsLabels: Record<string, Record<string, string>> = {
  default: { 'kubernetes.io/metadata.name': 'default' },
  myproject: { 'kubernetes.io/metadata.name': 'myproject', project: 'myproject' },
  other: { 'kubernetes.io/metadata.name': 'other' },
};
const labelsOf = (ns: string) => nsLabels[ns] ?? { 'kubernetes.io/metadata.name': ns };
const pod = (ns: string, name: string, ip: string, labels: Record<string, string>, ports: PolicyPeer['pod'] extends infer P ? (P extends { containerPorts: infer C } ? C : never) : never = []): PolicyPeer => ({
  pod: { key: `${ns}/${name}`, namespace: ns, labels, containerPorts: ports },
  ip,
  node: null,
  podNode: 'n1',
});
const ext = (ip: string): PolicyPeer => ({ pod: null, ip, node: null, podNode: null });

const db = pod('default', 'db', '10.244.1.10', { role: 'db' }, [{ name: 'postgres', containerPort: 6379, protocol: 'TCP' }]);
const frontend = pod('default', 'fe', '10.244.1.11', { role: 'frontend' });
const other = pod('other', 'x', '10.244.2.12', { role: 'frontend' });
const proj = pod('myproject', 'p', '10.244.2.13', { app: 'p' });

// The documentation's "test-network-policy".
const testPolicy = np('default', 'test-network-policy', {
  podSelector: { matchLabels: { role: 'db' } },
  policyTypes: ['Ingress', 'Egress'],
  ingress: [
    {
      from: [{ ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } }, { namespaceSelector: { matchLabels: { project: 'myproject' } } }, { podSelector: { matchLabels: { role: 'frontend' } } }],
      ports: [{ protocol: 'TCP', port: 6379 }],
    },
  ],
  egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ protocol: 'TCP', port: 5978 }] }],
});

const ev = (policies: NetworkPolicy[], src: PolicyPeer, dst: PolicyPeer, proto: 'tcp' | 'udp' | 'icmp' = 'tcp', port: number | null = 6379) => evaluateNetworkPolicy(policies, labelsOf, src, dst, proto, port);

describe('NetworkPolicy (Kubernetes documentation cases)', () => {
  it('test-network-policy: frontend pods in the namespace reach db on 6379', () => {
    const r = ev([testPolicy], frontend, db);
    expect(r.ingress).toMatchObject({ isolated: true, allowed: true, allowedBy: ['default/test-network-policy'] });
  });
  it('test-network-policy: podSelector alone means the policy namespace only', () => {
    expect(ev([testPolicy], other, db).ingress?.allowed).toBe(false);
  });
  it('test-network-policy: namespaceSelector alone admits every pod of matching namespaces', () => {
    expect(ev([testPolicy], proj, db).ingress?.allowed).toBe(true);
  });
  it('test-network-policy: ipBlock with except', () => {
    expect(ev([testPolicy], ext('172.17.5.5'), db).ingress?.allowed).toBe(true);
    expect(ev([testPolicy], ext('172.17.1.5'), db).ingress?.allowed).toBe(false);
  });
  it('test-network-policy: only the listed port', () => {
    expect(ev([testPolicy], frontend, db, 'tcp', 5432).ingress?.allowed).toBe(false);
    expect(ev([testPolicy], frontend, db, 'udp', 6379).ingress?.allowed).toBe(false);
  });
  it('test-network-policy: egress from db only to 10.0.0.0/24:5978', () => {
    expect(ev([testPolicy], db, ext('10.0.0.5'), 'tcp', 5978).egress?.allowed).toBe(true);
    expect(ev([testPolicy], db, frontend, 'tcp', 80).egress).toMatchObject({ isolated: true, allowed: false });
  });
  it('namespaceSelector and podSelector in one element are ANDed; in two elements ORed', () => {
    const and = np('default', 'and', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { project: 'myproject' } }, podSelector: { matchLabels: { role: 'frontend' } } }] }] });
    const or = np('default', 'or', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { project: 'myproject' } } }, { podSelector: { matchLabels: { role: 'frontend' } } }] }] });
    expect(ev([and], proj, db).ingress?.allowed).toBe(false);
    expect(ev([and], pod('myproject', 'f', '10.244.3.3', { role: 'frontend' }), db).ingress?.allowed).toBe(true);
    expect(ev([or], proj, db).ingress?.allowed).toBe(true);
    expect(ev([or], frontend, db).ingress?.allowed).toBe(true);
  });
  it('default deny all ingress', () => {
    const deny = np('default', 'default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] });
    expect(ev([deny], frontend, db).ingress).toMatchObject({ isolated: true, allowed: false, policies: ['default/default-deny-ingress'] });
    // Egress is untouched by an ingress-only policy.
    expect(ev([deny], db, frontend).egress?.isolated).toBe(false);
  });
  it('allow all ingress', () => {
    const all = np('default', 'allow-all-ingress', { podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] });
    const deny = np('default', 'default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] });
    expect(ev([deny, all], other, db).ingress).toMatchObject({ allowed: true, allowedBy: ['default/allow-all-ingress'] });
  });
  it('default deny all egress needs policyTypes Egress', () => {
    const deny = np('default', 'default-deny-egress', { podSelector: {}, policyTypes: ['Egress'] });
    expect(ev([deny], db, frontend).egress?.allowed).toBe(false);
    const noTypes = np('default', 'no-types', { podSelector: {} });
    expect(policyTypes(noTypes)).toEqual(['Ingress']);
    expect(policyTypes(np('default', 'e', { podSelector: {}, egress: [] }))).toEqual(['Ingress', 'Egress']);
  });
  it('allow all egress', () => {
    const all = np('default', 'allow-all-egress', { podSelector: {}, egress: [{}], policyTypes: ['Egress'] });
    expect(ev([all], db, ext('8.8.8.8'), 'udp', 53).egress?.allowed).toBe(true);
  });
  it('default deny ingress and egress', () => {
    const deny = np('default', 'default-deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const r = ev([deny], frontend, db);
    expect(r.allowed).toBe(false);
    expect(r.egress?.allowed).toBe(false);
    expect(r.ingress?.allowed).toBe(false);
  });
  it('port ranges with endPort', () => {
    const p = np('default', 'multi-port-egress', { podSelector: { matchLabels: { role: 'db' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }] }] });
    expect(ev([p], db, ext('10.0.0.1'), 'tcp', 32500).egress?.allowed).toBe(true);
    expect(ev([p], db, ext('10.0.0.1'), 'tcp', 32769).egress?.allowed).toBe(false);
  });
  it('named ports resolve against the destination pod', () => {
    const p = np('default', 'named', { podSelector: { matchLabels: { role: 'db' } }, ingress: [{ ports: [{ port: 'postgres' }] }] });
    expect(ev([p], frontend, db, 'tcp', 6379).ingress?.allowed).toBe(true);
    expect(ev([p], frontend, db, 'tcp', 6380).ingress?.allowed).toBe(false);
  });
  it('matchExpressions', () => {
    const p = np('default', 'expr', { podSelector: { matchExpressions: [{ key: 'role', operator: 'In', values: ['db'] }] }, ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: 'role', operator: 'NotIn', values: ['frontend'] }] } }] }] });
    expect(ev([p], frontend, db).ingress?.allowed).toBe(false);
    expect(ev([p], pod('default', 'y', '10.244.1.40', { role: 'worker' }), db).ingress?.allowed).toBe(true);
  });
  it("traffic from the pod's own node is always allowed", () => {
    const deny = np('default', 'default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] });
    expect(ev([deny], { pod: null, ip: '192.0.2.11', node: 'n1', podNode: null }, db).ingress?.allowed).toBe(true);
    expect(ev([deny], { pod: null, ip: '192.0.2.12', node: 'n2', podNode: null }, db).ingress?.allowed).toBe(false);
  });
  it('a policy in another namespace does not select the pod', () => {
    const deny = np('other', 'default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] });
    expect(ev([deny], frontend, db).ingress?.isolated).toBe(false);
  });
});
