import os from 'node:os';
import {
  NodeSnapshot,
  type CollectorError,
  type IpLink,
  type NamespaceState,
  type NodeSnapshotInput,
} from '@patchbay/schema';
import { readBridge } from './collectors/bridge.js';
import { readCni, type PodRef } from './collectors/cni.js';
import { countRules, readIptables } from './collectors/iptables.js';
import { readIpsets, readIpvs } from './collectors/ipvs.js';
import { readNetns, sysctlsFromNetconf, type NetnsRead, type NetnsTarget } from './collectors/netnsRead.js';
import { defaultModulePaths, moduleState } from './collectors/kernelModules.js';
import { readNft, readNftTables } from './collectors/nft.js';
import { readNsidsByInode } from './collectors/nsidsByInode.js';
import { readHostSysctls } from './collectors/sysctl.js';
import { childrenOf, indexCandidates, isHub, nsidName, pairsWith, peerLinksByNsid, type Candidate } from './discovery.js';
import { boundedFs, guarded } from './deadline.js';
import { limiter } from './limit.js';
import type { Run } from './run.js';
import { defaultPaths, type Paths, type SystemFs } from './system.js';
import { agentVersion } from './version.js';

export interface CollectDeps {
  run: Run;
  fs: SystemFs;
  paths?: Partial<Paths>;
  /** Called once per collector with its wall time, so `serve` can export it. */
  observe?: (collector: string, seconds: number, failed: boolean) => void;
  log?: { debug(o: object, msg: string): void; info(o: object, msg: string): void };
  now?: () => Date;
}

export interface CollectOptions {
  nodeName: string;
  /** Processes spawned at once for namespace reads. */
  concurrency?: number;
  /** Time limit for each namespace read (ip, bridge). */
  timeoutMs?: number;
  /** Time limit for each rule dump (iptables-save, nft, ipset, ipvsadm), which grows with the cluster. */
  dumpTimeoutMs?: number;
  nftFullListingLimit?: number;
  nftExtraTables?: [string, string][];
}

type FoundBy = NamespaceState['foundBy'][number];

interface Member {
  inode: number;
  nsid: number | null;
  names: string[];
  target: NetnsTarget;
  foundBy: FoundBy[];
}

// `ip -n NAME` looks only in iproute2's own directory; a namespace named in another --netns-dir is entered by path.
const IPROUTE_NETNS_DIRS = new Set(['/var/run/netns', '/run/netns']);

function targetFor(c: Candidate, paths: Paths): NetnsTarget | null {
  if (c.names[0]) return IPROUTE_NETNS_DIRS.has(paths.netnsDir.replace(/\/+$/, '')) ? { kind: 'name', name: c.names[0] } : { kind: 'path', path: `${paths.netnsDir}/${c.names[0]}` };
  if (c.pids[0] !== undefined) return { kind: 'path', path: `${paths.proc}/${c.pids[0]}/ns/net` };
  return null;
}

function procFoundBy(c: Candidate, proc: string): FoundBy[] {
  return c.pids.slice(0, 1).map((pid) => ({ method: 'proc' as const, detail: `${proc}/${pid}/ns/net` }));
}

function nameFoundBy(c: Candidate, netnsDir: string): FoundBy[] {
  return c.names.map((n) => ({ method: 'netns-name' as const, detail: `${netnsDir}/${n}` }));
}

function linkNames(links: IpLink[]): string {
  return links.map((l) => l.ifname).join(', ');
}

/**
 * macvlan/ipvlan children of our devices in namespace `r`. Their nsid for their parent must be us: by name when we
 * have one (a lab node, on a kernel shared with other nodes), else the kernel's link is trusted.
 */
function ourChildren(ours: IpLink[], r: NetnsRead, selfNames: string[]): IpLink[] {
  return childrenOf(ours, r.links, (nsid) => {
    const name = nsidName(r.nsids, nsid);
    return name === undefined || selfNames.length === 0 || selfNames.includes(name);
  });
}

function childrenDetail(kids: IpLink[]): string {
  return kids.map((k) => `${k.ifname} (${k.linkinfo?.info_kind}) on ifindex ${k.link_index}`).join(', ');
}

/** Reads the node's kernel network state: the host namespace, the namespaces linked to it, and the host-wide tables. */
export async function collectSnapshot(deps: CollectDeps, opts: CollectOptions): Promise<{ snapshot: NodeSnapshot; readSomething: boolean }> {
  const paths = { ...defaultPaths, ...deps.paths };
  const { run } = deps;
  const timeoutMs = opts.timeoutMs;
  const dumpTimeoutMs = opts.dumpTimeoutMs ?? Math.max(60_000, timeoutMs ?? 0);
  // Each file read waits at most as long as a namespace read; each file collector as a whole, as a rule dump.
  const fs = boundedFs(deps.fs, timeoutMs ?? 10_000);
  const errors: CollectorError[] = [];
  const timed = async <T>(collector: string, fn: () => Promise<T>, failed: (v: T) => boolean = () => false): Promise<T> => {
    const t0 = performance.now();
    try {
      const v = await fn();
      deps.observe?.(collector, (performance.now() - t0) / 1000, failed(v));
      return v;
    } catch (err) {
      deps.observe?.(collector, (performance.now() - t0) / 1000, true);
      throw err;
    }
  };
  const note = (collector: string, messages: string[], namespace?: string) => {
    for (const message of messages) errors.push({ collector, ...(namespace ? { namespace } : {}), message });
  };
  const limit = limiter(opts.concurrency ?? Math.max(4, os.availableParallelism() * 4));

  // Host-wide collectors start at once; the namespace discovery runs beside them. Nothing asks nf_tables unless
  // the kernel has it already (asking would load the module).
  const nfTables = await guarded(
    'nf_tables module state',
    dumpTimeoutMs,
    async () => (await moduleState(fs, 'nf_tables', os.release(), { ...defaultModulePaths, proc: paths.proc })).present,
    (message) => {
      note('nft', [`cannot tell whether nf_tables is loaded (${message}); nft and iptables-nft not asked`]);
      return false;
    },
  );
  const iptablesP = timed('iptables', () => readIptables(run, dumpTimeoutMs, { nfTables }), (r) => r.errors.length > 0);
  const bridgeP = timed('bridge', () => readBridge(run, timeoutMs), (r) => r.errors.length > 0);
  const ipvsP = timed('ipvs', () => readIpvs(run, fs, paths.proc, dumpTimeoutMs), (r) => r.errors.length > 0);
  const ipsetP = timed('ipset', () => readIpsets(run, fs, '/sys/module', dumpTimeoutMs), (r) => r.errors.length > 0);
  const cniP = timed(
    'cni',
    () => guarded('cni', dumpTimeoutMs, () => readCni(fs, paths.cniConfDir, paths.cniResultsDir), (m) => ({ configs: [], results: [], errors: [m] })),
    (r) => r.errors.length > 0,
  );
  const sysctlP = timed('sysctl', () => guarded('sysctl', dumpTimeoutMs, () => readHostSysctls(fs, paths.proc), (m) => ({ values: {}, errors: [m] })), (r) => r.errors.length > 0);
  // nft: the whole ruleset when iptables-nft holds few rules (known once iptables-nft-save is done), else the
  // known native tables. When iptables-nft-save is slow, the ruleset is large: list the tables meanwhile.
  let tablesEarly: ReturnType<typeof readNftTables> | undefined;
  const speculate = setTimeout(() => {
    if (!nfTables) return;
    tablesEarly = readNftTables(run, opts.nftExtraTables, dumpTimeoutMs);
    tablesEarly.catch(() => undefined);
  }, 250);
  const nftP = iptablesP.then(async (ipt) => {
    clearTimeout(speculate);
    const nftStart = performance.now();
    const compatRules = ipt.dumps.filter((d) => d.backend === 'nft').reduce((n, d) => n + countRules(d.save), 0);
    if (!nfTables) return { ruleset: null, errors: [], mode: 'none' as const };
    const r = await readNft(
      run,
      { compatRules, fullListingLimit: opts.nftFullListingLimit ?? 20_000, extraTables: opts.nftExtraTables, timeoutMs: dumpTimeoutMs },
      tablesEarly,
    );
    deps.observe?.('nft', (performance.now() - nftStart) / 1000, r.mode === 'none');
    return r;
  });

  let selfInode: number | null = null;
  try {
    selfInode = await fs.inode(`${paths.proc}/self/ns/net`);
  } catch (err) {
    note('discovery', [`cannot stat ${paths.proc}/self/ns/net: ${(err as Error).message}`]);
  }
  const host = await timed('host', () => limit(() => readNetns(run, { kind: 'self' }, { withNsids: true, timeoutMs })), (r) => r.errors.length > 0);
  note('host', host.errors, 'host');

  const { members, reads, selfNames } = await timed('namespaces', async () => {
    const index = await guarded(
      'namespace discovery',
      dumpTimeoutMs,
      () => indexCandidates(fs, paths.netnsDir, paths.proc, selfInode ?? -1),
      (m) => ({ selfInode: selfInode ?? -1, selfNames: [], byInode: new Map<number, Candidate>(), byName: new Map<string, Candidate>(), errors: [m] }),
    );
    note('discovery', index.errors);
    const members = new Map<number, Member>();
    const reads = new Map<number, NetnsRead>();
    // Namespaces without a name are entered through a process; each is read at most once per kind of read.
    const spareReads = new Map<string, Promise<NetnsRead | null>>();
    const readSpare = (c: Candidate, withNsids: boolean) => {
      const key = `${c.inode}:${withNsids}`;
      let r = spareReads.get(key);
      if (!r) {
        const target = targetFor(c, paths);
        r = target ? limit(() => readNetns(run, target, { withNsids, timeoutMs })) : Promise.resolve(null);
        spareReads.set(key, r);
      }
      return r;
    };
    const spareCandidates = () => [...index.byInode.values()].filter((c) => !members.has(c.inode) && c.names.length === 0);
    // 1. Our links' peer namespaces, by nsid; named ones are resolved by `ip netns list-id`.
    const peers = peerLinksByNsid(host.links);
    const unresolved: [number, IpLink[]][] = [];
    for (const [nsid, links] of peers) {
      const name = nsidName(host.nsids, nsid);
      const c = name ? index.byName.get(name) : undefined;
      if (!c) {
        unresolved.push([nsid, links]);
        continue;
      }
      members.set(c.inode, {
        inode: c.inode,
        nsid,
        names: c.names,
        target: targetFor(c, paths)!,
        foundBy: [
          { method: 'veth-peer', detail: `${linkNames(links)} link_netnsid ${nsid}` },
          ...nameFoundBy(c, paths.netnsDir),
          ...procFoundBy(c, paths.proc),
        ],
      });
    }
    // 2. Unnamed peers: find the namespace (entered through a process) holding the far end of every such veth.
    if (unresolved.length) {
      const spare = spareCandidates();
      const spareRead = await Promise.all(spare.map((c) => readSpare(c, false)));
      for (const [nsid, links] of unresolved) {
        const hits = spare.filter((c, i) => spareRead[i] && !spareRead[i]!.unreadable && pairsWith(links, spareRead[i]!.links));
        if (hits.length === 1) {
          const c = hits[0]!;
          members.set(c.inode, {
            inode: c.inode,
            nsid,
            names: [],
            target: targetFor(c, paths)!,
            foundBy: [{ method: 'veth-peer', detail: `${linkNames(links)} link_netnsid ${nsid}, peer ifindex matched` }, ...procFoundBy(c, paths.proc)],
          });
          reads.set(c.inode, spareRead[spare.indexOf(c)]!);
        } else {
          note('discovery', [
            `${linkNames(links)} point at nsid ${nsid}, which ${hits.length ? `matches ${hits.length} namespaces` : 'no named namespace or process namespace matches'}; not read`,
          ]);
        }
      }
    }
    // 3. Namespaces we hold an nsid for without a veth into them: included when they hold a macvlan/ipvlan child of ours.
    const others = host.nsids.filter((e) => !peers.has(e.nsid) && e.name && index.byName.has(e.name));
    await Promise.all(
      others.map(async (e) => {
        const c = index.byName.get(e.name!)!;
        if (members.has(c.inode)) return;
        const target = targetFor(c, paths);
        const r = target ? await limit(() => readNetns(run, target, { withNsids: true, timeoutMs })) : null;
        if (!r || r.unreadable) return;
        const kids = ourChildren(host.links, r, index.selfNames);
        if (!kids.length) return;
        members.set(c.inode, {
          inode: c.inode,
          nsid: e.nsid,
          names: c.names,
          target: targetFor(c, paths)!,
          foundBy: [
            { method: 'nsid', detail: `nsid ${e.nsid}: ${childrenDetail(kids)}` },
            ...nameFoundBy(c, paths.netnsDir),
            ...procFoundBy(c, paths.proc),
          ],
        });
        reads.set(c.inode, r);
      }),
    );
    // 4. An nsid we hold with no name and no veth: a macvlan/ipvlan child of ours may sit in a namespace that only
    // a process holds. Look through the unnamed namespaces not placed yet; only then, so a node whose namespaces
    // all have names never enters the others.
    const unnamedNsids = host.nsids.filter((e) => !peers.has(e.nsid) && !e.name).map((e) => e.nsid);
    if (unnamedNsids.length) {
      const spare = spareCandidates();
      // With nsids: a child's link_netnsid must name us, not another node on this kernel.
      const spareRead = await Promise.all(spare.map((c) => readSpare(c, true)));
      const found: { c: Candidate; r: NetnsRead; kids: IpLink[] }[] = [];
      spare.forEach((c, i) => {
        const r = spareRead[i];
        if (!r || r.unreadable) return;
        const kids = ourChildren(host.links, r, index.selfNames);
        if (kids.length) found.push({ c, r, kids });
      });
      // Which unnamed nsid is which namespace: asked of the kernel by inode when it cannot be deduced.
      const deduced = found.length === 1 && unnamedNsids.length === 1;
      const asked = found.length && !deduced ? await limit(() => readNsidsByInode(run, timeoutMs)) : null;
      if (asked?.errors.length) note('discovery', asked.errors.map((e) => `nsids of namespaces only a process holds unknown: ${e}`));
      for (const { c, r, kids } of found) {
        const told = asked?.byInode.get(c.inode);
        const nsid = deduced ? unnamedNsids[0]! : told !== undefined && unnamedNsids.includes(told) ? told : null;
        members.set(c.inode, {
          inode: c.inode,
          nsid,
          names: [],
          target: targetFor(c, paths)!,
          foundBy: [
            { method: 'nsid', detail: `${nsid === null ? 'an unnamed nsid' : `nsid ${nsid}`}: ${childrenDetail(kids)}` },
            ...procFoundBy(c, paths.proc),
          ],
        });
        reads.set(c.inode, r);
      }
    }
    // Read every member not read yet, side by side.
    await Promise.all(
      [...members.values()]
        .filter((m) => !reads.has(m.inode))
        .map(async (m) => {
          reads.set(m.inode, await limit(() => readNetns(run, m.target, { timeoutMs })));
        }),
    );
    return { members, reads, selfNames: index.selfNames };
  });

  // CNI cache entries name pods; match them to members by the inode their netns path leads to.
  const cni = await cniP;
  note('cni', cni.errors);
  const podByInode = new Map<number, PodRef>();
  const ourResults: typeof cni.results = [];
  const memberInodes = new Set(members.keys());
  await Promise.all(
    cni.results.map(async (r) => {
      if (!r.netns) return;
      const inode = await fs.inode(r.netns).catch(() => null);
      if (inode == null || !memberInodes.has(inode)) return;
      ourResults.push(r);
      if (r.pod) podByInode.set(inode, r.pod);
      members.get(inode)!.foundBy.push({ method: 'cni-cache', detail: r.path });
    }),
  );

  const namespaces: NamespaceState[] = [];
  for (const m of [...members.values()].sort((a, b) => (a.nsid ?? 0) - (b.nsid ?? 0) || a.inode - b.inode)) {
    const r = reads.get(m.inode)!;
    const id = `netns:${m.inode}`;
    if (r.unreadable) {
      note('netns', r.errors.length ? r.errors : ['could not be read'], id);
      continue;
    }
    if (isHub(r.links)) {
      deps.log?.info({ netns: id, names: m.names }, 'skipping a namespace linked to several others (an underlay or another node)');
      continue;
    }
    note('netns', r.errors, id);
    namespaces.push({
      id,
      inode: m.inode,
      nsid: m.nsid,
      names: m.names,
      foundBy: m.foundBy,
      pod: podByInode.get(m.inode) ?? null,
      links: r.links,
      addrs: r.addrs,
      routes: r.routes,
      rules: r.rules,
      neigh: r.neigh,
      sysctls: sortKeys(sysctlsFromNetconf(r.netconf)),
    });
  }

  const [iptables, bridge, ipvs, ipsets, nft, sysctls] = await Promise.all([iptablesP, bridgeP, ipvsP, ipsetP, nftP, sysctlP]);
  note('iptables', iptables.errors);
  note('bridge', bridge.errors);
  note('ipvs', ipvs.errors);
  note('ipset', ipsets.errors);
  note('nft', nft.errors);
  note('sysctl', sysctls.errors);

  const input: NodeSnapshotInput = {
    schemaVersion: 1,
    kind: 'NodeSnapshot',
    nodeName: opts.nodeName,
    capturedAt: (deps.now?.() ?? new Date()).toISOString(),
    agentVersion,
    kernelRelease: os.release(),
    host: {
      id: 'host',
      inode: selfInode,
      nsid: null,
      // Names under /var/run/netns for our own namespace (a lab node has one).
      names: selfNames,
      foundBy: [{ method: 'host', detail: `${paths.proc}/self/ns/net` }],
      pod: null,
      links: host.links,
      addrs: host.addrs,
      routes: host.routes,
      rules: host.rules,
      neigh: host.neigh,
      // /proc/sys is exact (rp_filter 0/1/2, bridge-nf-call-*); netconf fills what it lacks.
      sysctls: sortKeys({ ...sysctlsFromNetconf(host.netconf), ...sysctls.values }),
    },
    namespaces,
    bridge: { fdb: bridge.fdb, ports: bridge.ports },
    iptables: iptables.dumps,
    iptablesBackendInUse: iptables.backendInUse,
    nft: nft.ruleset,
    ipvs: ipvs.text,
    ipsets: ipsets.text,
    cni: {
      configs: cni.configs,
      results: ourResults.sort((a, b) => a.path.localeCompare(b.path)).map((r) => ({ path: r.path, content: r.content })),
    },
    errors,
  };
  const readSomething = !host.unreadable || iptables.dumps.length > 0 || nft.ruleset !== null;
  return { snapshot: NodeSnapshot.parse(input), readSomething };
}

function sortKeys(rec: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(rec).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
