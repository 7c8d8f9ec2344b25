import { z } from 'zod';
import { errorMessage, type Run } from '../run.js';
import { parseList } from './netnsRead.js';

// Our nsid for each network namespace a process holds, by the namespace's inode. `ip netns list-id` names only
// the namespaces under /var/run/netns; for one that only a process holds, the kernel tells the nsid when asked
// with that process (RTM_GETNSID), which is what `lsns -o NETNSID` does. RTM_GETNSID looks up and never assigns
// an nsid (the read-only test compares `ip netns list-id` before and after), so asking changes nothing.
//
// lsns walks /proc of the mount namespace it runs in: with a --proc other than /proc it sees other processes, and
// an inode it reports is still a fact (inodes are unique on a kernel), only fewer namespaces are found.

const LsnsNamespace = z.object({
  ns: z.number().int().positive(),
  // util-linux 2.38 prints "0" or "unassigned"; later versions may print a number or null.
  netnsid: z.union([z.string(), z.number(), z.null()]),
});

export interface NsidsByInode {
  byInode: Map<number, number>;
  errors: string[];
}

export async function readNsidsByInode(run: Run, timeoutMs?: number): Promise<NsidsByInode> {
  let stdout: string;
  try {
    ({ stdout } = await run('lsns', ['-J', '-t', 'net', '-o', 'NS,NETNSID'], { timeoutMs }));
  } catch (err) {
    return { byInode: new Map(), errors: [errorMessage(err)] };
  }
  return parseLsnsNsids(stdout);
}

export function parseLsnsNsids(stdout: string): NsidsByInode {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch (err) {
    return { byInode: new Map(), errors: [`lsns -J: not JSON (${(err as Error).message})`] };
  }
  const errors: string[] = [];
  const byInode = new Map<number, number>();
  for (const n of parseList(LsnsNamespace, (json as { namespaces?: unknown } | null)?.namespaces, 'lsns -J namespaces', errors)) {
    const id = typeof n.netnsid === 'number' ? n.netnsid : n.netnsid !== null && /^\d+$/.test(n.netnsid) ? Number(n.netnsid) : null;
    if (id !== null) byInode.set(n.ns, id);
  }
  return { byInode, errors };
}
