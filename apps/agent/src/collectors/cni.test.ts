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
  it('ships configuration files in name order, parsed and re-printed', async () => {
    const fs = fakeFs({ files: { '/cni/20-b.conf': '{"type":"bridge"}', '/cni/10-a.conflist': '{"name":"a","plugins":[]}' } });
    const r = await readCni(fs, '/cni', '/results');
    expect(r.configs).toEqual([
      { path: '/cni/10-a.conflist', content: JSON.stringify({ name: 'a', plugins: [] }, null, 2) },
      { path: '/cni/20-b.conf', content: JSON.stringify({ type: 'bridge' }, null, 2) },
    ]);
    expect(r.results).toEqual([]);
    expect(r.errors).toEqual([]);
  });

  it('names a file whose name holds control characters without them', async () => {
    const fs = fakeFs({ files: { '/cni/x\u001b[2Jy.txt': 'z' } });
    const r = await readCni(fs, '/cni', '/results');
    expect(r.errors).toEqual(['/cni/x\\u001b[2Jy.txt: not a CNI config file (only *.conf, *.conflist, *.json are read), not read']);
  });
});
