import type { ClusterModel } from '@patchbay/resolve';
import type { z } from 'zod';
import type { SearchHit } from '../schemas.js';

type Hit = z.infer<typeof SearchHit>;
const kindOrder = { node: 0, pod: 1, service: 2, ip: 3 } as const;

/** Search by pod, IP, service or node, as the map's search box and the trace form's autocomplete need. */
export function search(model: ClusterModel, q: string, limit: number): Hit[] {
  const needle = q.trim().toLowerCase();
  if (!needle) return [];
  const hits: { hit: Hit; exact: boolean }[] = [];
  const match = (...texts: (string | null | undefined)[]) => texts.some((t) => t?.toLowerCase().includes(needle));
  const exact = (...texts: (string | null | undefined)[]) => texts.some((t) => t?.toLowerCase() === needle);

  for (const n of model.nodes.values()) {
    if (match(n.name, n.internalIP)) {
      hits.push({ exact: exact(n.name, n.internalIP), hit: { kind: 'node', key: n.name, label: n.name, detail: `node ${n.internalIP ?? ''}${n.observed ? '' : ' (not observed)'}`.trim(), endpoints: [`node/${n.name}`], owner: null, node: n.name } });
    }
  }
  for (const p of model.pods.values()) {
    if (match(p.key, p.ip, `pod/${p.key}`)) {
      hits.push({ exact: exact(p.key, p.name, p.ip), hit: { kind: 'pod', key: p.key, label: p.key, detail: `pod ${p.ip ?? 'no IP'} on ${p.node ?? 'no node'}`, endpoints: [`pod/${p.key}`], owner: null, node: p.node } });
    }
  }
  for (const s of model.services.values()) {
    if (match(s.key, s.clusterIP, `svc/${s.key}`)) {
      const endpoints = s.ports.map((p) => `svc/${s.key}:${p.name ?? p.port}`);
      hits.push({ exact: exact(s.key, s.name, s.clusterIP), hit: { kind: 'service', key: s.key, label: s.key, detail: `service ${s.clusterIP ?? 'headless'} ${s.ports.map((p) => `${p.port}/${p.protocol}`).join(' ')}`.trim(), endpoints, owner: null, node: null } });
    }
  }
  for (const [ip, owners] of model.addressOwners) {
    if (!ip.startsWith(needle)) continue;
    const who = owners.map((o) => (o.kind === 'pod' ? `pod ${o.pod}` : o.kind === 'node' ? `node ${o.node}` : o.kind === 'service' ? `service ${o.service}` : `device ${o.device}`)).join(', ');
    const first = owners.find((o) => o.kind !== 'device');
    const owner = !first ? null : first.kind === 'pod' ? { kind: 'pod' as const, key: first.pod } : first.kind === 'node' ? { kind: 'node' as const, key: first.node } : first.kind === 'service' ? { kind: 'service' as const, key: first.service } : null;
    const node = owner?.kind === 'node' ? owner.key : owner?.kind === 'pod' ? (model.pods.get(owner.key)?.node ?? null) : null;
    hits.push({ exact: ip === needle, hit: { kind: 'ip', key: ip, label: ip, detail: who, endpoints: [ip], owner, node } });
  }
  hits.sort((a, b) => Number(b.exact) - Number(a.exact) || kindOrder[a.hit.kind] - kindOrder[b.hit.kind] || a.hit.key.localeCompare(b.hit.key, 'en', { numeric: true }));
  return hits.slice(0, limit).map((h) => h.hit);
}
