import type { IpLink } from '@patchbay/schema';
import type { NsidEntry } from './collectors/netnsRead.js';
import type { SystemFs } from './system.js';

// Which network namespaces belong in this node's snapshot. Names under /var/run/netns, processes' /proc/PID/ns/net
// and the CNI cache say how to enter and name a namespace, never that it belongs here: several lab nodes share one
// kernel. A namespace belongs when the kernel links it to ours: the peer of one of our veths (our link carries its
// link_netnsid), or a macvlan/ipvlan child of one of our devices.

/** A namespace this process can enter, keyed by inode. */
export interface Candidate {
  inode: number;
  names: string[];
  pids: number[];
}

export interface CandidateIndex {
  selfInode: number;
  /** Names under the netns directory that point at our own namespace. */
  selfNames: string[];
  byInode: Map<number, Candidate>;
  byName: Map<string, Candidate>;
  /** Directories that could not be listed; the candidates found elsewhere are still there. */
  errors: string[];
}

const MAX_PIDS = 3;

/** Every namespace reachable by name or by a running process, deduplicated by inode. */
export async function indexCandidates(fs: SystemFs, netnsDir: string, proc: string, selfInode: number): Promise<CandidateIndex> {
  const byInode = new Map<number, Candidate>();
  const byName = new Map<string, Candidate>();
  const selfNames: string[] = [];
  const get = (inode: number) => {
    let c = byInode.get(inode);
    if (!c) byInode.set(inode, (c = { inode, names: [], pids: [] }));
    return c;
  };
  const errors: string[] = [];
  const list = (dir: string) =>
    fs.readdir(dir).catch((err: Error) => {
      errors.push(`${dir}: ${err.message}`);
      return [] as string[];
    });
  const names = (await list(netnsDir)).sort();
  const nameInodes = await Promise.all(names.map((n) => fs.inode(`${netnsDir}/${n}`).catch(() => null)));
  names.forEach((name, i) => {
    const inode = nameInodes[i];
    if (inode == null) return; // not a mounted namespace (or removed meanwhile)
    if (inode === selfInode) return void selfNames.push(name);
    const c = get(inode);
    c.names.push(name);
    byName.set(name, c);
  });
  const pids = (await list(proc)).filter((p) => /^\d+$/.test(p));
  const pidInodes = await Promise.all(pids.map((p) => fs.inode(`${proc}/${p}/ns/net`).catch(() => null)));
  pids.forEach((pid, i) => {
    const inode = pidInodes[i];
    if (inode == null || inode === selfInode) return;
    const c = get(inode);
    if (c.pids.length < MAX_PIDS) c.pids.push(Number(pid));
  });
  return { selfInode, selfNames, byInode, byName, errors };
}

/** Kinds of device pairs whose two ends may sit in two namespaces (a pod's eth0 and its host side). */
export const PAIR_KINDS = ['veth', 'netkit'];

/**
 * Our veths whose peer is in another namespace, grouped by the nsid we know it by. Other links with a
 * link_netnsid (a macvlan or VXLAN whose parent or underlay is elsewhere) point upstream, not at a pod.
 */
export function peerLinksByNsid(links: IpLink[]): Map<number, IpLink[]> {
  const out = new Map<number, IpLink[]>();
  for (const l of links) {
    if (l.link_netnsid === undefined || !PAIR_KINDS.includes(l.linkinfo?.info_kind ?? '')) continue;
    const list = out.get(l.link_netnsid) ?? [];
    list.push(l);
    out.set(l.link_netnsid, list);
  }
  return out;
}

/**
 * Whether `theirs` (a namespace's links) holds the far end of every one of `ours` (our links pointing at one nsid):
 * a veth end there whose ifindex is our link_index and whose link_index is our ifindex.
 */
export function pairsWith(ours: IpLink[], theirs: IpLink[]): boolean {
  const veths = ours.filter((l) => l.linkinfo?.info_kind === 'veth' && l.link_index !== undefined);
  if (veths.length === 0) return false;
  return veths.every((o) =>
    theirs.some((t) => t.ifindex === o.link_index && t.link_index === o.ifindex && t.link_netnsid !== undefined),
  );
}

/**
 * macvlan/ipvlan devices in `theirs` whose parent is one of our devices: same ifindex, in the namespace their
 * link_netnsid names. `isUs(nsid)` says whether their nsid is us (by name when we have one; unknown counts as yes).
 */
export function childrenOf(ours: IpLink[], theirs: IpLink[], isUs: (nsid: number) => boolean = () => true): IpLink[] {
  const ourIndexes = new Set(ours.map((l) => l.ifindex));
  return theirs.filter(
    (t) =>
      ['macvlan', 'ipvlan', 'macvtap', 'ipvtap'].includes(t.linkinfo?.info_kind ?? '') &&
      t.link_netnsid !== undefined &&
      isUs(t.link_netnsid) &&
      t.link_index !== undefined &&
      ourIndexes.has(t.link_index),
  );
}

/**
 * A namespace whose links point into more than one other namespace is a hub (a lab's underlay switch, another
 * node), not a pod: pods hang off one node.
 */
export function isHub(links: IpLink[]): boolean {
  return new Set(links.flatMap((l) => (l.link_netnsid === undefined ? [] : [l.link_netnsid]))).size > 1;
}

export function nsidName(nsids: NsidEntry[], nsid: number): string | undefined {
  return nsids.find((e) => e.nsid === nsid)?.name;
}
