import { describe, expect, it } from 'vitest';
import { parseLsnsNsids } from './nsidsByInode.js';

describe('parseLsnsNsids', () => {
  it('maps each namespace inode to our nsid for it, leaving out the unassigned ones', () => {
    // util-linux 2.38, run in a lab node namespace holding two macvlan children in namespaces only processes hold.
    const recorded = `{
   "namespaces": [
      {"ns": 4026531833, "netnsid": "unassigned"},
      {"ns": 4026532178, "netnsid": "unassigned"},
      {"ns": 4026532250, "netnsid": "0"},
      {"ns": 4026532320, "netnsid": "1"}
   ]
}`;
    const r = parseLsnsNsids(recorded);
    expect(r.errors).toEqual([]);
    expect([...r.byInode]).toEqual([
      [4026532250, 0],
      [4026532320, 1],
    ]);
  });

  it('takes numbers and null as well, as later versions may print them', () => {
    expect([...parseLsnsNsids('{"namespaces":[{"ns":7,"netnsid":3},{"ns":8,"netnsid":null}]}').byInode]).toEqual([[7, 3]]);
  });

  it('names what is wrong with output it cannot use, and keeps the entries it can', () => {
    expect(parseLsnsNsids('lsns: unknown column').errors[0]).toMatch(/^lsns -J: not JSON/);
    expect(parseLsnsNsids('{"ns":1}').errors).toEqual(['lsns -J namespaces: no JSON array in the output']);
    const r = parseLsnsNsids('{"namespaces":[{"ns":"x","netnsid":"1"},{"ns":9,"netnsid":"2"}]}');
    expect([...r.byInode]).toEqual([[9, 2]]);
    expect(r.errors).toEqual([expect.stringMatching(/^lsns -J namespaces\[0\]: ns: /)]);
  });
});
