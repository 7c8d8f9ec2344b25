import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeSnapshot } from '@patchbay/schema';

// A tiny two-node lab of the agent's own, built with ip(8) only, inside namespaces named pb<hex>-*: an underlay
// switch namespace, two node namespaces sharing this kernel, pods on a cni0 bridge behind veths, a flannel-style
// VXLAN device with its route, neighbour and FDB entry, a policy rule, kube-proxy-like iptables rules on n1, a native
// nft table on n2, and macvlan children of n1's eth0 in a named namespace and in two only a process holds. Addresses follow DESIGN.md's plan.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const agentBin = path.join(root, 'apps/agent/bin/patchbay-agent.mjs');

export function sh(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 512 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Fails (never skips) when this machine cannot build namespaces. */
export async function assertCapable(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('agent lab tests need root (they create network namespaces); run them as root');
  try {
    await sh('ip', ['netns', 'list']);
  } catch (err) {
    throw new Error(`agent lab tests need "ip netns": ${(err as Error).message}`, { cause: err });
  }
}

export const PODS = { n1: ['p1', 'p2', 'p3'], n2: ['q1', 'q2'] } as const;
type NodeName = keyof typeof PODS;
const NODE_NUM: Record<NodeName, number> = { n1: 1, n2: 2 };

export interface Fixture {
  prefix: string;
  ns(short: string): string;
  /** A libcni-style result cache naming pods p1 (n1) and q1 (n2). */
  cniResultsDir: string;
  /** A namespace with no name, held only by this process (found through /proc/PID/ns/net), peer of n1's veth-u1. */
  unnamed: ChildProcess;
  /** Another namespace with no name, holding mv-u2, a macvlan child of n1's eth0 (no veth leads there). */
  unnamedMacvlan: ChildProcess;
  /** A third, holding mv-u3, so which of n1's unnamed nsids belongs to which cannot be deduced. */
  unnamedMacvlan2: ChildProcess;
  /** n1's nsid for the namespace each of those two processes holds, as the kernel reported it for a probe veth. */
  n1NsidOf: Map<number, number>;
  teardown(): Promise<void>;
}

export async function teardownPrefix(prefix: string): Promise<void> {
  if (!/^pb[0-9a-z]+$/.test(prefix)) throw new Error(`refusing to tear down "${prefix}"`);
  const list = await sh('ip', ['netns', 'list']);
  const ours = list
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(`${prefix}-`));
  for (const n of ours) await sh('ip', ['netns', 'del', n]).catch(() => undefined);
}

export async function buildFixture(): Promise<Fixture> {
  const prefix = `pbag${randomBytes(3).toString('hex')}`;
  const ns = (s: string) => `${prefix}-${s}`;
  const cniResultsDir = mkdtempSync(path.join(tmpdir(), `${prefix}-cni-`));
  const unnamed = spawn('unshare', ['--net', 'sleep', '3600'], { stdio: 'ignore' });
  const unnamedMacvlan = spawn('unshare', ['--net', 'sleep', '3600'], { stdio: 'ignore' });
  const unnamedMacvlan2 = spawn('unshare', ['--net', 'sleep', '3600'], { stdio: 'ignore' });
  const fixture: Fixture = {
    prefix,
    ns,
    cniResultsDir,
    unnamed,
    unnamedMacvlan,
    unnamedMacvlan2,
    n1NsidOf: new Map(),
    teardown: async () => {
      unnamed.kill('SIGKILL');
      unnamedMacvlan.kill('SIGKILL');
      unnamedMacvlan2.kill('SIGKILL');
      await teardownPrefix(prefix);
      rmSync(cniResultsDir, { recursive: true, force: true });
    },
  };
  const onSignal = () => void fixture.teardown().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const ip = (n: string, ...args: string[]) => sh('ip', ['-n', ns(n), ...args]);
  try {
    for (const n of ['wire', 'n1', 'n2', 'm1', ...PODS.n1, ...PODS.n2]) await sh('ip', ['netns', 'add', ns(n)]);
    await ip('wire', 'link', 'add', 'br0', 'type', 'bridge');
    await ip('wire', 'link', 'set', 'br0', 'up');
    const vtepMac: Record<NodeName, string> = { n1: '02:aa:00:00:00:01', n2: '02:aa:00:00:00:02' };
    for (const node of ['n1', 'n2'] as const) {
      const k = NODE_NUM[node];
      await ip(node, 'link', 'set', 'lo', 'up');
      await ip('wire', 'link', 'add', `w-${node}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns(node));
      await ip('wire', 'link', 'set', `w-${node}`, 'master', 'br0', 'up');
      await ip(node, 'addr', 'add', `192.0.2.1${k}/24`, 'dev', 'eth0');
      await ip(node, 'link', 'set', 'eth0', 'up');
      await ip(node, 'link', 'add', 'cni0', 'type', 'bridge');
      await ip(node, 'addr', 'add', `10.244.${k}.1/24`, 'dev', 'cni0');
      await ip(node, 'link', 'set', 'cni0', 'up');
      const pods = PODS[node];
      for (const [i, pod] of pods.entries()) {
        await ip(node, 'link', 'add', `veth-${pod}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns(pod));
        await ip(node, 'link', 'set', `veth-${pod}`, 'master', 'cni0', 'up');
        await ip(pod, 'link', 'set', 'lo', 'up');
        await ip(pod, 'addr', 'add', `10.244.${k}.${i + 2}/24`, 'dev', 'eth0');
        await ip(pod, 'link', 'set', 'eth0', 'up');
        await ip(pod, 'route', 'add', 'default', 'via', `10.244.${k}.1`);
      }
      await ip(node, 'link', 'add', 'flannel.1', 'address', vtepMac[node], 'type', 'vxlan', 'id', '1', 'local', `192.0.2.1${k}`, 'dev', 'eth0', 'dstport', '8472', 'nolearning');
      await ip(node, 'addr', 'add', `10.244.${k}.0/32`, 'dev', 'flannel.1');
      await ip(node, 'link', 'set', 'flannel.1', 'up');
      const other = node === 'n1' ? 'n2' : 'n1';
      const o = NODE_NUM[other];
      await ip(node, 'route', 'add', `10.244.${o}.0/24`, 'via', `10.244.${o}.0`, 'dev', 'flannel.1', 'onlink');
      await ip(node, 'neigh', 'add', `10.244.${o}.0`, 'lladdr', vtepMac[other], 'dev', 'flannel.1', 'nud', 'permanent');
      await sh('bridge', ['-n', ns(node), 'fdb', 'append', vtepMac[other], 'dev', 'flannel.1', 'dst', `192.0.2.1${o}`, 'self', 'permanent']);
      await sh('ip', ['netns', 'exec', ns(node), 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    }
    await ip('n1', 'rule', 'add', 'from', '10.244.1.0/24', 'lookup', '100', 'pref', '100');
    await ip('n1', 'route', 'add', 'default', 'via', '192.0.2.12', 'dev', 'eth0', 'table', '100');
    // The unnamed namespaces: wait until unshare has exec'd sleep inside its new namespace.
    // Until then its pid is still in this (the root) namespace, and the commands below would act on root's eth0:
    // never go on without proof that it has left.
    const self = (await sh('readlink', ['/proc/self/ns/net'])).trim();
    for (const p of [unnamed, unnamedMacvlan, unnamedMacvlan2]) {
      let inOwnNamespace = false;
      for (let i = 0; i < 100 && !inOwnNamespace; i += 1) {
        const theirs = await sh('readlink', [`/proc/${p.pid}/ns/net`]).catch(() => self);
        inOwnNamespace = theirs.trim() !== self && (await sh('cat', [`/proc/${p.pid}/comm`]).catch(() => '')).trim() === 'sleep';
        if (!inOwnNamespace) await new Promise((r) => setTimeout(r, 50));
      }
      if (!inOwnNamespace) throw new Error(`unshare --net (pid ${p.pid}) did not enter a namespace of its own within 5 s`);
    }
    await ip('n1', 'link', 'add', 'veth-u1', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(unnamed.pid));
    await ip('n1', 'link', 'set', 'veth-u1', 'master', 'cni0', 'up');
    await sh('nsenter', [`--net=/proc/${unnamed.pid}/ns/net`, 'ip', 'addr', 'add', '10.244.1.9/24', 'dev', 'eth0']);
    await sh('nsenter', [`--net=/proc/${unnamed.pid}/ns/net`, 'ip', 'link', 'set', 'eth0', 'up']);
    await ip('n1', 'link', 'add', 'mv-m1', 'link', 'eth0', 'type', 'macvlan', 'mode', 'bridge');
    await ip('n1', 'link', 'set', 'mv-m1', 'netns', ns('m1'));
    await ip('m1', 'addr', 'add', '192.0.2.21/24', 'dev', 'mv-m1');
    await ip('n1', 'link', 'add', 'mv-u2', 'link', 'eth0', 'type', 'macvlan', 'mode', 'bridge');
    await ip('n1', 'link', 'set', 'mv-u2', 'netns', String(unnamedMacvlan.pid));
    await sh('nsenter', [`--net=/proc/${unnamedMacvlan.pid}/ns/net`, 'ip', 'addr', 'add', '192.0.2.23/24', 'dev', 'mv-u2']);
    await ip('n1', 'link', 'add', 'mv-u3', 'link', 'eth0', 'type', 'macvlan', 'mode', 'bridge');
    await ip('n1', 'link', 'set', 'mv-u3', 'netns', String(unnamedMacvlan2.pid));
    await sh('nsenter', [`--net=/proc/${unnamedMacvlan2.pid}/ns/net`, 'ip', 'addr', 'add', '192.0.2.24/24', 'dev', 'mv-u3']);
    // The truth the agent must find on its own: n1's nsid for each, read off a veth n1 briefly has into it.
    for (const p of [unnamedMacvlan, unnamedMacvlan2]) {
      await ip('n1', 'link', 'add', 'nsid-probe', 'type', 'veth', 'peer', 'name', 'nsid-probe', 'netns', String(p.pid));
      const [probe] = JSON.parse(await ip('n1', '-j', 'link', 'show', 'nsid-probe')) as { link_netnsid?: number }[];
      await ip('n1', 'link', 'del', 'nsid-probe');
      if (probe?.link_netnsid === undefined) throw new Error(`no link_netnsid on n1's probe veth into pid ${p.pid}`);
      fixture.n1NsidOf.set(p.pid!, probe.link_netnsid);
    }
    await sh('ip', ['netns', 'exec', ns('n1'), 'iptables-nft-restore'], {
      input: [
        '*mangle',
        ':KUBE-IPTABLES-HINT - [0:0]',
        'COMMIT',
        '*nat',
        ':KUBE-SERVICES - [0:0]',
        ':KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]',
        '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "shop/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
        '-A KUBE-SVC-XPGD46QRK7WJZT7O -p tcp -j DNAT --to-destination 10.244.1.2:8080',
        'COMMIT',
        '',
      ].join('\n'),
    });
    await sh('ip', ['netns', 'exec', ns('n2'), 'nft', '-f', '-'], {
      input: 'table ip kube-proxy {\n chain nat-prerouting {\n  type nat hook prerouting priority -100; policy accept;\n  ip daddr 10.96.0.10 tcp dport 80 dnat to 10.244.2.2:8080\n }\n}\n',
    });
    const cacheEntry = (pod: string, k8sNs: string, name: string) =>
      JSON.stringify({
        kind: 'cniCacheV1',
        containerId: `c-${pod}`,
        ifName: 'eth0',
        networkName: 'cbr0',
        netns: `/var/run/netns/${ns(pod)}`,
        cniArgs: [
          ['K8S_POD_NAMESPACE', k8sNs],
          ['K8S_POD_NAME', name],
        ],
      });
    writeFileSync(path.join(cniResultsDir, `cbr0-c-p1-eth0`), cacheEntry('p1', 'shop', 'web-1'));
    writeFileSync(path.join(cniResultsDir, `cbr0-c-q1-eth0`), cacheEntry('q1', 'shop', 'db-0'));
  } catch (err) {
    await fixture.teardown();
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return fixture;
}

/** Runs the built `patchbay-agent snapshot` inside a namespace and validates what it printed. */
export async function agentSnapshot(netns: string, args: string[] = []): Promise<NodeSnapshot> {
  const out = await sh('ip', ['netns', 'exec', netns, process.execPath, agentBin, 'snapshot', ...args], { timeoutMs: 60_000 });
  return NodeSnapshot.parse(JSON.parse(out));
}

export async function inode(netns: string): Promise<number> {
  const { statSync } = await import('node:fs');
  return statSync(`/var/run/netns/${netns}`).ino;
}

/**
 * Waits until no IPv6 address in these namespaces is tentative: duplicate address detection adds addresses'
 * local routes for a second or two after links come up, so a read taken before then is not the settled state.
 */
export async function ipv6Settled(netnses: string[], entered: string[][] = []): Promise<void> {
  // `entered`: command prefixes that run a tool inside a namespace without a name (nsenter --net=/proc/PID/ns/net).
  const reads = [...netnses.map((n) => ['ip', '-n', n, '-6', 'addr']), ...entered.map((prefix) => [...prefix, 'ip', '-6', 'addr'])];
  for (let i = 0; i < 50; i += 1) {
    const outs = await Promise.all(reads.map(([cmd, ...args]) => sh(cmd!, args)));
    if (!outs.some((o) => o.includes('tentative'))) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('IPv6 addresses stayed tentative for 10 s');
}
