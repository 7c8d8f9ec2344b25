import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assertLabCapable } from '@patchbay/lab';
import { NodeSnapshot } from '@patchbay/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentBin, sh } from './fixture.js';

// Issue 25, defect 1, end to end: the real `patchbay-agent snapshot` on a node namespace with one pod, pointed at
// a CNI directory laid out as Calico leaves it (calico-kubeconfig 0600 with the ServiceAccount token, a conflist
// with k8s_auth_token and an inline etcd key, a README, a 0640 conflist) and at libcni's cache (0600 entries with
// the base64 `config`). The printed snapshot is searched for every secret; every skip must be in `errors`.

const prefix = `pb${randomBytes(3).toString('hex')}`;
const node = `${prefix}-cninode`;
const pod = `${prefix}-cnipod`;
const dir = mkdtempSync(path.join(tmpdir(), 'pb-cni25-'));
const confDir = path.join(dir, 'net.d');
const resultsDir = path.join(dir, 'results');

const rand = () => randomBytes(12).toString('hex');
const saToken = `eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6a3ViZS1zeXN0ZW06Y2FsaWNvLW5vZGUifQ.${rand()}`;
const authToken = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjYWxpY28ifQ.${rand()}`;
const etcdKeyBody = `MIIEpAIBAAKCAQEA${rand()}`;
const privateNote = `private-${rand()}`;
const readme = `do not edit ${rand()}`;
const conflist = {
  name: 'k8s-pod-network',
  cniVersion: '0.3.1',
  plugins: [
    {
      type: 'calico',
      datastore_type: 'etcdv3',
      etcd_key_file: '/etc/cni/net.d/calico-tls/etcd-key',
      etcd_key: `-----BEGIN RSA PRIVATE KEY-----\n${etcdKeyBody}\n-----END RSA PRIVATE KEY-----\n`,
      policy: { type: 'k8s', k8s_auth_token: authToken },
      kubernetes: { kubeconfig: '/etc/cni/net.d/calico-kubeconfig' },
    },
  ],
};
const config64 = Buffer.from(JSON.stringify(conflist)).toString('base64');
const secrets = { saToken, authToken, etcdKeyBody, privateNote, readme, config64 };

let out = '';
let snap: NodeSnapshot;

function write(p: string, text: string, mode: number) {
  writeFileSync(p, text);
  chmodSync(p, mode);
}

beforeAll(async () => {
  assertLabCapable();
  mkdirSync(confDir);
  mkdirSync(resultsDir, { mode: 0o700 });
  write(path.join(confDir, 'calico-kubeconfig'), `apiVersion: v1\nkind: Config\nusers:\n- name: calico\n  user:\n    token: ${saToken}\n`, 0o600);
  write(path.join(confDir, '10-calico.conflist'), JSON.stringify(conflist, null, 2), 0o644);
  write(path.join(confDir, '20-private.conflist'), JSON.stringify({ name: 'p', type: 'bridge', note: privateNote }), 0o640);
  write(path.join(confDir, 'README.txt'), readme, 0o644);
  const id = 'b'.repeat(64);
  const entry = {
    kind: 'cniCacheV1',
    containerId: id,
    config: config64,
    ifName: 'eth0',
    networkName: 'k8s-pod-network',
    netns: `/var/run/netns/${pod}`,
    cniArgs: [
      ['K8S_POD_NAMESPACE', 'shop'],
      ['K8S_POD_NAME', 'web-1'],
    ],
    result: { cniVersion: '0.3.1', interfaces: [{ name: 'cali1' }, { name: 'eth0', sandbox: `/var/run/netns/${pod}` }], ips: [{ version: '4', interface: 1, address: '10.244.1.5/32' }] },
  };
  write(path.join(resultsDir, `k8s-pod-network-${id}-eth0`), JSON.stringify(entry), 0o600);

  await sh('ip', ['netns', 'add', node]);
  await sh('ip', ['netns', 'add', pod]);
  await sh('ip', ['-n', node, 'link', 'add', 'cali1', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod]);
  await sh('ip', ['-n', node, 'link', 'set', 'cali1', 'up']);
  await sh('ip', ['-n', pod, 'addr', 'add', '10.244.1.5/32', 'dev', 'eth0']);
  await sh('ip', ['-n', pod, 'link', 'set', 'eth0', 'up']);
  out = await sh('ip', ['netns', 'exec', node, process.execPath, agentBin, 'snapshot', '--node-name', 'cni25', '--cni-conf-dir', confDir, '--cni-results-dir', resultsDir], {
    timeoutMs: 60_000,
  });
  snap = NodeSnapshot.parse(JSON.parse(out));
}, 120_000);

afterAll(async () => {
  for (const n of [pod, node]) await sh('ip', ['netns', 'del', n]).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('issue 25: patchbay-agent snapshot ships no CNI credentials', () => {
  it('no secret is anywhere in the printed snapshot', () => {
    for (const [what, s] of Object.entries(secrets)) expect(out.includes(s), `${what} is in the snapshot`).toBe(false);
  });

  it('still ships the redacted conflist, and names the pod from the cache entry it trimmed', () => {
    expect(snap.cni.configs.map((c) => path.basename(c.path))).toEqual(['10-calico.conflist']);
    const shipped = JSON.parse(snap.cni.configs[0]!.content) as typeof conflist;
    expect(shipped.plugins[0]).toMatchObject({ type: 'calico', etcd_key_file: '/etc/cni/net.d/calico-tls/etcd-key', etcd_key: '<redacted by patchbay-agent>' });
    expect(shipped.plugins[0]!.policy.k8s_auth_token).toBe('<redacted by patchbay-agent>');
    expect(snap.namespaces.map((n) => n.pod)).toEqual([{ namespace: 'shop', name: 'web-1', containerId: 'b'.repeat(64) }]);
    expect(snap.cni.results).toHaveLength(1);
    expect(JSON.parse(snap.cni.results[0]!.content)).not.toHaveProperty('config');
  });

  it('every file left out is in errors, by name, with the reason', () => {
    const cni = snap.errors.filter((e) => e.collector === 'cni').map((e) => e.message);
    expect(cni).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/calico-kubeconfig: not a CNI config file/),
        expect.stringMatching(/README\.txt: not a CNI config file/),
        expect.stringMatching(/20-private\.conflist: not world-readable, not read/),
      ]),
    );
    expect(cni).toHaveLength(3);
  });
});
