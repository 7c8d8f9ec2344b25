import { describe, expect, it } from 'vitest';
import { fakeFs } from '../testing/fakes.js';
import { moduleState } from './kernelModules.js';

describe('moduleState', () => {
  it('a loaded module shows in /sys/module', async () => {
    const fs = fakeFs({ files: { '/proc/modules': '', '/sys/module/nf_tables/refcnt': '3\n' } });
    expect(await moduleState(fs, 'nf_tables', '6.1.0')).toEqual({ present: true, how: 'loaded' });
  });
  it('or in /proc/modules', async () => {
    const fs = fakeFs({ files: { '/proc/modules': 'nf_tables 307200 5 nft_compat, Live 0x0\nip_set 61440 0 - Live 0x0\n' } });
    expect(await moduleState(fs, 'nf_tables', '6.1.0')).toEqual({ present: true, how: 'loaded' });
  });
  it('a module named like the start of another is not taken for it', async () => {
    const fs = fakeFs({ files: { '/proc/modules': 'nf_tables_set 1 0 - Live 0x0\n' } });
    expect(await moduleState(fs, 'nf_tables', '6.1.0')).toEqual({ present: false, how: 'not loaded' });
  });
  it('built-in code is found in modules.builtin of the running release', async () => {
    const fs = fakeFs({ files: { '/proc/modules': '', '/lib/modules/6.1.0/modules.builtin': 'kernel/net/netfilter/nf_tables.ko\n' } });
    expect(await moduleState(fs, 'nf_tables', '6.1.0')).toEqual({ present: true, how: 'built-in' });
    expect(await moduleState(fs, 'nf_tables', '6.2.0')).toEqual({ present: false, how: 'not loaded' });
  });
  it('a kernel without /proc/modules cannot load anything on demand', async () => {
    expect(await moduleState(fakeFs({}), 'nf_tables', '6.1.0')).toEqual({ present: true, how: 'no module loading' });
  });
});
