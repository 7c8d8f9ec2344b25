// What the lab promises beyond the dataplane: it refuses clearly when it cannot run, never touches the namespace
// it runs in, uses only DESIGN.md's address plan, runs side by side, and leaves nothing behind (teardown on
// failure, SIGINT, SIGTERM and a crash).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertLabCapable, loadScenario, startLab, withLab } from '@patchbay/lab';
import { leftovers } from './flows.js';

const pexec = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = `${root}node_modules/.bin/tsx`;
const cli = `${root}packages/lab/src/cli.ts`;
const prefixes = new Set<string>();

beforeAll(() => assertLabCapable());
afterAll(() => expect(leftovers(prefixes), 'lab namespaces left behind').toEqual([]));

function rootState(): string {
  // The lab's own process namespace: links, addresses, routes of every table, rules, nft and iptables.
  const j = (args: string[]) => execFileSync('ip', ['-j', ...args], { encoding: 'utf8' });
  const links = (JSON.parse(j(['link'])) as { ifname: string; flags: string[]; mtu: number; master?: string }[]).map((l) => [l.ifname, l.flags.join(','), l.mtu, l.master ?? '']);
  return JSON.stringify({
    links,
    // Addresses without their lifetimes (a DHCP/SLAAC address counts down on its own).
    addrs: (JSON.parse(j(['addr'])) as { ifname: string; addr_info: { local: string; prefixlen: number }[] }[]).map((a) => [a.ifname, a.addr_info.map((i) => `${i.local}/${i.prefixlen}`)]),
    routes: j(['route', 'show', 'table', 'all']),
    rules: j(['rule']),
    nft: execFileSync('nft', ['list', 'ruleset'], { encoding: 'utf8' }),
    forward: execFileSync('sysctl', ['-n', 'net.ipv4.ip_forward'], { encoding: 'utf8' }),
  });
}

const inPlan = (ip: string) => /^192\.0\.2\.\d+$/.test(ip) || /^198\.51\.100\.\d+$/.test(ip) || /^10\.244\.\d+\.\d+$/.test(ip) || /^10\.96\.\d+\.\d+$/.test(ip) || ip === '127.0.0.1';

describe('lab safety', () => {
  it('refuses with a clear message when not root (the CLI run as nobody exits 2 and says why)', async () => {
    // nobody must be able to load the CLI even from a checkout only root can read (cloned under /root, or
    // into a `mktemp -d` folder), or this would test file permissions instead of the lab. So the child runs as
    // nobody (uid and gid 65534, no supplementary groups) keeping one capability, CAP_DAC_READ_SEARCH (read
    // any file), and nothing it could regain: the bounding set holds only that one and no_new_privs is set.
    // no_setuid_fixup lets access(2) (fs.existsSync, module resolution) use that capability too; without it
    // the kernel drops capabilities for access checks of a non-root uid. Reading is all the child has that
    // nobody lacks; a lab needs CAP_NET_ADMIN and CAP_SYS_ADMIN.
    const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups', '--bounding-set=-all,+dac_read_search', '--inh-caps=-all,+dac_read_search', '--ambient-caps=+dac_read_search', '--securebits=+no_setuid_fixup', '--no-new-privs', '--'];
    const r = await pexec('setpriv', [...asNobody, process.execPath, `${root}node_modules/tsx/dist/cli.mjs`, cli, 'up', 'flannel-vxlan'], { cwd: '/tmp' }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    expect(r.stderr).toMatch(/^lab: labs need root \(network namespaces, veths, iptables\): running as uid 65534; run as root/);
    expect(r.code).toBe(2);
  });

  it('refuses with a clear message when `ip netns` is not there (no iproute2 on PATH)', async () => {
    const r = await pexec(process.execPath, [`${root}node_modules/tsx/dist/cli.mjs`, cli, 'up', 'flannel-vxlan'], { cwd: root, env: { ...process.env, PATH: '/nonexistent' } }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("labs need iproute2's `ip netns`: spawnSync ip ENOENT (install iproute2)");
  });

  it('leaves the namespace it runs in untouched and uses only the address plan', async () => {
    const before = rootState();
    await withLab(loadScenario('calico-routed'), {}, async (lab) => {
      prefixes.add(lab.prefix);
      const all = [lab.plan.switchNetns, ...lab.plan.nodes.map((n) => n.netns), ...lab.plan.pods.map((p) => p.netns)];
      for (const ns of all) {
        const addrs = JSON.parse((await lab.exec(ns, 'ip', ['-j', '-4', 'addr'])).stdout) as { ifname: string; addr_info: { local: string }[] }[];
        const outside = addrs.flatMap((a) => a.addr_info.map((i) => `${a.ifname} ${i.local}`)).filter((s) => !inPlan(s.split(' ')[1]!));
        expect(outside, `${ns} has addresses outside DESIGN.md's plan`).toEqual([]);
        const names = addrs.map((a) => a.ifname).filter((n) => n.length > 15);
        expect(names).toEqual([]);
      }
      expect(rootState()).toBe(before);
    });
    expect(rootState()).toBe(before);
  });

  it('runs two labs of the same scenario side by side, and tearing one down leaves the other working', async () => {
    const a = await startLab(loadScenario('host-gw'));
    prefixes.add(a.prefix);
    const b = await startLab(loadScenario('host-gw'));
    prefixes.add(b.prefix);
    try {
      expect(a.prefix).not.toBe(b.prefix);
      const probe = (lab: typeof a) => lab.probe(lab.podNetns('shop', 'client-0'), { ip: '10.96.0.40', port: 5432, proto: 'tcp' });
      expect((await probe(a)).server).toBe('db-0');
      expect((await probe(b)).server).toBe('db-0');
      await a.teardown();
      expect(leftovers([a.prefix])).toEqual([]);
      expect((await probe(b)).outcome).toBe('delivered');
    } finally {
      await a.teardown();
      await b.teardown();
    }
  });

  it('refuses a second lab with a prefix already in use, without harming the first', async () => {
    await withLab(loadScenario('host-gw'), { prefix: 'pbd0d0e1' }, async (lab) => {
      prefixes.add(lab.prefix);
      await expect(startLab(loadScenario('host-gw'), { prefix: 'pbd0d0e1' })).rejects.toThrow(/already exist/);
      expect((await lab.probe(lab.podNetns('shop', 'client-0'), { ip: '10.96.0.60', port: 80, proto: 'tcp' })).server).toBe('cart-0');
    });
  });

  it('rejects a fault that does not apply to the CNI, and an unknown fault, before creating anything', async () => {
    await expect(startLab(loadScenario('calico-routed'), { faults: ['missing-fdb'], prefix: 'pbd0d0e2' })).rejects.toThrow(/missing-fdb does not apply to CNI calico-routed/);
    await expect(startLab(loadScenario('flannel-vxlan'), { faults: ['cosmic-ray'], prefix: 'pbd0d0e3' })).rejects.toThrow(/unknown fault "cosmic-ray"/);
    expect(leftovers(['pbd0d0e2', 'pbd0d0e3'])).toEqual([]);
  });

  it('a bring-up that fails half-way (a pod server cannot bind) removes everything it made', async () => {
    const base = loadScenario('host-gw');
    // The same port twice under two names: the API accepts the pod, its server cannot bind the second socket.
    const broken = { ...base, pods: base.pods.map((p) => (p.name === 'cart-0' ? { ...p, ports: [...p.ports, ...p.ports.map((x) => ({ ...x, name: `${x.name ?? 'p'}-again` }))] } : p)) };
    const prefix = 'pbd0d0e5';
    prefixes.add(prefix);
    await expect(startLab(broken, { prefix })).rejects.toThrow(/pod server shop\/cart-0 exited \(1\) before it was ready: podServer cart-0: listen EADDRINUSE/);
    expect(leftovers([prefix])).toEqual([]);
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(`${prefix}-p-`);
  });

  it('tears down when the function given to withLab throws', async () => {
    let prefix = '';
    await expect(
      withLab(loadScenario('flannel-vxlan'), {}, async (lab) => {
        prefix = lab.prefix;
        prefixes.add(prefix);
        throw new Error('test body failed');
      }),
    ).rejects.toThrow('test body failed');
    expect(leftovers([prefix])).toEqual([]);
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(`${prefix}-p-`);
  });

  for (const how of ['SIGINT', 'SIGTERM', 'crash'] as const) {
    it(`tears down when the owning process gets ${how}`, async () => {
      const script = `import { loadScenario, startLab } from '${root}packages/lab/src/index.ts';
const lab = await startLab(loadScenario('flannel-vxlan'));
console.log('UP ' + lab.prefix);
${how === 'crash' ? "setTimeout(() => { throw new Error('crash'); }, 200);" : 'setInterval(() => {}, 1000);'}`;
      const child = spawn(process.execPath, [`${root}node_modules/tsx/dist/cli.mjs`, '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      const prefix = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /UP (pb[0-9a-f]+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on('exit', (code) => reject(new Error(`child exited ${code} before the lab was up`)));
      });
      prefixes.add(prefix);
      const exited = new Promise((r) => child.on('exit', r));
      try {
        // The switch, the control plane, 3 nodes and 9 pods.
        expect(leftovers([prefix]).filter((n) => !n.startsWith('/')).length).toBe(14);
        expect(leftovers([prefix])).toContain(`/run/patchbay-lab/${prefix}.json`);
      } finally {
        // Even when a check above fails, the owner goes (its handler tears the lab down): a failed test must
        // not leave a lab behind.
        if (how !== 'crash') child.kill(how);
      }
      await exited;
      expect(leftovers([prefix])).toEqual([]);
      expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(`${prefix}-p-`);
    });
  }

  it('`up` leaves a lab running for `probe`, and `down` removes it', async () => {
    const prefix = 'pbd0d0e4';
    prefixes.add(prefix);
    const run = (...args: string[]) => pexec(tsx, [cli, ...args], { cwd: root });
    try {
      const up = await run('up', 'nftables', '--prefix', prefix, '--fault', 'stale-service-rule');
      expect(up.stdout).toContain(`lab ${prefix} (nftables, faults: stale-service-rule) up in`);
      expect(up.stdout).toContain(`${prefix}-p-shop-client-0`);
      // The switch, the control plane, 3 nodes and 8 pods (the fault deleted cart-0).
      expect(leftovers([prefix]).filter((n) => !n.startsWith('/')).length).toBe(13);
      const p = await run('probe', prefix, '--from', 'pod/shop/client-0', '--to', 'svc/shop/web:http');
      expect(JSON.parse(p.stdout)).toMatchObject({ outcome: 'delivered' });
      const stale = await run('probe', prefix, '--from', 'node/n1', '--to', 'svc/shop/cart:80');
      expect(JSON.parse(stale.stdout)).toMatchObject({ outcome: 'timeout', server: null });
    } finally {
      const down = await run('down', prefix);
      expect(down.stdout).toContain(`removed ${prefix}`);
    }
    expect(leftovers([prefix])).toEqual([]);
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(`${prefix}-p-`);
  });
});
