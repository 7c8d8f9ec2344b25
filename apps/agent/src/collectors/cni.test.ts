import { describe, expect, it } from 'vitest';
import { fakeFs } from '../testing/fakes.js';
import { parseCniCacheEntry, readCni } from './cni.js';

describe('CNI', () => {
  it('reads the pod and netns from a libcni cache entry (netns field or the sandbox of the result)', () => {
    const withSandbox = {
      kind: 'cniCacheV1',
      containerId: 'c1',
      cniArgs: [['K8S_POD_NAMESPACE', 'shop'], ['K8S_POD_NAME', 'web-1'], ['IgnoreUnknown', '1']],
      result: { interfaces: [{ name: 'cni0' }, { name: 'eth0', sandbox: '/var/run/netns/cni-1' }] },
    };
    expect(parseCniCacheEntry(JSON.stringify(withSandbox))).toEqual({
      netns: '/var/run/netns/cni-1',
      pod: { namespace: 'shop', name: 'web-1', containerId: 'c1' },
    });
    expect(parseCniCacheEntry('not json')).toEqual({ netns: null, pod: null });
    expect(parseCniCacheEntry('{"netns":"/x"}')).toEqual({ netns: '/x', pod: null });
  });
  it('copies configuration files in name order', async () => {
    const fs = fakeFs({ files: { '/cni/20-b.conf': 'b', '/cni/10-a.conflist': 'a' } });
    const r = await readCni(fs, '/cni', '/results');
    expect(r.configs).toEqual([
      { path: '/cni/10-a.conflist', content: 'a' },
      { path: '/cni/20-b.conf', content: 'b' },
    ]);
    expect(r.results).toEqual([]);
  });
});
