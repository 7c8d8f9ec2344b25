import { describe, expect, it } from 'vitest';
import { NodeSnapshot } from './snapshot.js';
import { zodProblems } from './problems.js';
import { realSnapshot } from './testSnapshot.js';

describe('NodeSnapshot v1', () => {
  it('accepts a snapshot made of real iproute2 output', () => {
    const s = NodeSnapshot.parse(realSnapshot());
    expect(s.host.links.length).toBeGreaterThan(3);
    expect(s.namespaces[0]?.pod).toEqual({ namespace: 'shop', name: 'web-1' });
  });

  it('accepts large sections by reference', () => {
    const snap = realSnapshot();
    snap.iptables = [{ family: 'ipv4', backend: 'legacy', save: { sha256: 'a'.repeat(64), bytes: 16_000_000 } }];
    snap.nft = { sha256: 'b'.repeat(64), bytes: 5 };
    expect(NodeSnapshot.safeParse(snap).success).toBe(true);
  });

  it('reports every problem with its JSON path', () => {
    const snap = realSnapshot() as unknown as Record<string, unknown> & { host: Record<string, unknown>; namespaces: Record<string, unknown>[] };
    snap.schemaVersion = 2;
    delete snap.nodeName;
    snap.host.id = 'root';
    snap.namespaces[0]!.foundBy = [];
    snap.iptables = [{ family: 'ipv4', backend: 'nft', save: { sha256: 'xyz', bytes: 1 } }];
    const r = NodeSnapshot.safeParse(snap);
    expect(r.success).toBe(false);
    expect(zodProblems('nodes/n1.json', r.error!).map((p) => `${p.path}: ${p.message}`)).toEqual([
      '$.schemaVersion: schemaVersion must be 1',
      '$.nodeName: Invalid input: expected string, received undefined',
      '$.host.id: namespace id must be "host" or "netns:<inode>"',
      '$.namespaces[0].foundBy: a namespace must say how it was found',
      '$.iptables[0].save.sha256: sha256 must be 64 lower-case hex digits',
    ]);
  });
});
