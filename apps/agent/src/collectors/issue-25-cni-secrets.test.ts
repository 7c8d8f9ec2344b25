import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realFs } from '../system.js';
import { readCni } from './cni.js';

// Issue 25, defect 1: the CNI collector copied every file of /etc/cni/net.d and libcni's result cache into the
// snapshot, credentials included. A real directory laid out as a Calico node leaves it (calico-kubeconfig 0600
// with the ServiceAccount token, a conflist with k8s_auth_token and an inline etcd key), plus a README, a 0640
// conflist, a file that is not JSON, a subdirectory of TLS files, and libcni cache entries (0600, as libcni
// writes them) whose `config` field carries the whole network config, base64, token included.

const rand = () => randomBytes(12).toString('hex');
// Shaped like the real things (a JWT, PEM blocks), each with a random part that appears nowhere else.
const saToken = `eyJhbGciOiJSUzI1NiIsImtpZCI6ImNhbGljbyJ9.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0.${rand()}`;
const authToken = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6a3ViZS1zeXN0ZW06Y2FsaWNvLW5vZGUifQ.${rand()}`;
const etcdKey = `-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA${rand()}\n-----END RSA PRIVATE KEY-----\n`;
const etcdCert = `-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIU${rand()}\n-----END CERTIFICATE-----\n`;
const clientKeyData = Buffer.from(`-----BEGIN EC PRIVATE KEY-----\n${rand()}\n-----END EC PRIVATE KEY-----\n`).toString('base64');
const clientCertData = Buffer.from(`-----BEGIN CERTIFICATE-----\n${rand()}\n-----END CERTIFICATE-----\n`).toString('base64');
const password = `pw-${rand()}`;
const apiKey = `ak-${rand()}`;
const privateConflistSecret = `private-${rand()}`;
const readmeText = `Calico manages this directory ${rand()}`;
const brokenText = `{"type": "bridge", ${rand()}`;
const tlsDirKey = `tls-dir-${rand()}`;
const cniArgSecret = `arg-${rand()}`;

const calicoKubeconfig = `# Kubeconfig file for Calico CNI plugin. Installed by calico/node.
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://10.96.0.1:443
    certificate-authority-data: "${clientCertData}"
users:
- name: calico
  user:
    token: ${saToken}
contexts:
- name: calico-context
  context:
    cluster: local
    user: calico
current-context: calico-context
`;

const calicoConflist = {
  name: 'k8s-pod-network',
  cniVersion: '0.3.1',
  plugins: [
    {
      type: 'calico',
      log_level: 'info',
      datastore_type: 'etcdv3',
      etcd_endpoints: 'https://192.0.2.1:2379',
      etcd_key_file: '/etc/cni/net.d/calico-tls/etcd-key',
      etcd_cert_file: '/etc/cni/net.d/calico-tls/etcd-cert',
      etcd_ca_cert_file: '/etc/cni/net.d/calico-tls/etcd-ca',
      etcd_key: etcdKey,
      etcd_cert: etcdCert,
      mtu: 1440,
      ipam: { type: 'calico-ipam' },
      policy: { type: 'k8s', k8s_api_root: 'https://10.96.0.1:443', k8s_auth_token: authToken },
      kubernetes: { kubeconfig: '/etc/cni/net.d/calico-kubeconfig' },
    },
    { type: 'portmap', snat: true, capabilities: { portMappings: true } },
  ],
};

// A JSON config that carries a whole kubeconfig inline, and fields named like secrets in other ways.
const inlineJson = {
  name: 'extra',
  type: 'multus',
  kubeconfigInline: {
    users: [{ name: 'u', user: { token: saToken, 'client-key-data': clientKeyData, 'client-certificate-data': clientCertData, password, username: 'admin' } }],
  },
  apiKey,
  nested: [{ secret: { value: password } }],
  tokenFile: '/var/run/secrets/token',
  hairpinMode: true,
};

const sandboxId = 'a'.repeat(64);
const cacheEntry = {
  kind: 'cniCacheV1',
  containerId: sandboxId,
  config: Buffer.from(JSON.stringify(calicoConflist)).toString('base64'),
  ifName: 'eth0',
  networkName: 'k8s-pod-network',
  netns: '/var/run/netns/cni-1234',
  cniArgs: [
    ['IgnoreUnknown', '1'],
    ['K8S_POD_NAMESPACE', 'shop'],
    ['K8S_POD_NAME', 'web-1'],
    ['K8S_POD_INFRA_CONTAINER_ID', sandboxId],
    ['K8S_POD_UID', '0b0c0d0e-0000-4000-8000-000000000001'],
    ['SOME_PLUGIN_SECRET', cniArgSecret],
  ],
  capabilityArgs: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }], io: { token: saToken } },
  result: {
    cniVersion: '0.3.1',
    interfaces: [{ name: 'cali12345', mac: 'ee:ee:ee:ee:ee:ee' }, { name: 'eth0', sandbox: '/var/run/netns/cni-1234' }],
    ips: [{ version: '4', interface: 1, address: '10.244.1.5/32' }],
    dns: {},
  },
};

let dir = '';
let confDir = '';
let resultsDir = '';

function write(p: string, text: string, mode: number) {
  writeFileSync(p, text);
  chmodSync(p, mode); // explicit: the umask must not decide what the test proves
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pb-issue25-cni-'));
  confDir = path.join(dir, 'etc/cni/net.d');
  resultsDir = path.join(dir, 'var/lib/cni/results');
  mkdirSync(confDir, { recursive: true });
  mkdirSync(resultsDir, { recursive: true });
  write(path.join(confDir, 'calico-kubeconfig'), calicoKubeconfig, 0o600);
  write(path.join(confDir, '10-calico.conflist'), JSON.stringify(calicoConflist, null, 2), 0o644);
  write(path.join(confDir, '20-private.conflist'), JSON.stringify({ name: 'p', type: 'bridge', note: privateConflistSecret }), 0o640);
  write(path.join(confDir, '30-inline.json'), JSON.stringify(inlineJson), 0o644);
  write(path.join(confDir, '40-broken.conf'), brokenText, 0o644);
  write(path.join(confDir, 'README.txt'), readmeText, 0o644);
  mkdirSync(path.join(confDir, 'calico-tls'));
  write(path.join(confDir, 'calico-tls', 'etcd-key'), tlsDirKey, 0o600);
  // libcni writes cache entries 0600 in a 0700 directory.
  write(path.join(resultsDir, `k8s-pod-network-${sandboxId}-eth0`), JSON.stringify(cacheEntry), 0o600);
  write(path.join(resultsDir, 'k8s-pod-network-broken-eth0'), `{"config":"${cacheEntry.config}"`, 0o600);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const secrets = () => ({
  saToken,
  authToken,
  etcdKey,
  etcdKeyBody: etcdKey.split('\n')[1]!,
  etcdCertBody: etcdCert.split('\n')[1]!,
  clientKeyData,
  clientCertData,
  password,
  apiKey,
  privateConflistSecret,
  readmeText,
  brokenText,
  tlsDirKey,
  cniArgSecret,
  base64Config: cacheEntry.config,
});

describe('issue 25: the CNI collector ships no credentials', () => {
  it('nothing secret reaches what is shipped, in any encoding', async () => {
    const r = await readCni(realFs, confDir, resultsDir);
    const shipped = JSON.stringify({ configs: r.configs, results: r.results.map((f) => ({ path: f.path, content: f.content })), errors: r.errors });
    for (const [what, s] of Object.entries(secrets())) {
      expect(shipped.includes(s), `${what} is in the shipped output`).toBe(false);
      expect(shipped.includes(JSON.stringify(s).slice(1, -1)), `${what} (JSON-escaped) is in the shipped output`).toBe(false);
    }
  });

  it('ships only CNI config files, redacted, with paths to key files kept and the marker where a secret was', async () => {
    const r = await readCni(realFs, confDir, resultsDir);
    expect(r.configs.map((c) => path.basename(c.path))).toEqual(['10-calico.conflist', '30-inline.json']);
    const calico = JSON.parse(r.configs[0]!.content) as { plugins: (Record<string, string> & { policy: Record<string, string>; kubernetes: Record<string, string>; mtu: number })[] };
    const plugin = calico.plugins[0]!;
    expect(plugin.type).toBe('calico');
    expect(plugin.etcd_key_file).toBe('/etc/cni/net.d/calico-tls/etcd-key');
    expect(plugin.etcd_ca_cert_file).toBe('/etc/cni/net.d/calico-tls/etcd-ca');
    expect(plugin.kubernetes.kubeconfig).toBe('/etc/cni/net.d/calico-kubeconfig');
    expect(plugin.policy.k8s_api_root).toBe('https://10.96.0.1:443');
    expect(plugin.mtu).toBe(1440);
    expect(plugin.policy.k8s_auth_token).toBe('<redacted by patchbay-agent>');
    expect(plugin.etcd_key).toBe('<redacted by patchbay-agent>');
    expect(plugin.etcd_cert).toBe('<redacted by patchbay-agent>');
    const inline = JSON.parse(r.configs[1]!.content) as typeof inlineJson;
    expect(inline.kubeconfigInline.users[0]!.user).toEqual({
      token: '<redacted by patchbay-agent>',
      'client-key-data': '<redacted by patchbay-agent>',
      'client-certificate-data': '<redacted by patchbay-agent>',
      password: '<redacted by patchbay-agent>',
      username: 'admin',
    });
    expect(inline.apiKey).toBe('<redacted by patchbay-agent>');
    expect(inline.nested).toEqual([{ secret: '<redacted by patchbay-agent>' }]);
    expect(inline.tokenFile).toBe('/var/run/secrets/token');
    expect(inline.hairpinMode).toBe(true);
  });

  it('reports every file it skipped, by name only, and why', async () => {
    const r = await readCni(realFs, confDir, resultsDir);
    const about = (name: string) => r.errors.filter((e) => e.includes(name));
    expect(about('calico-kubeconfig')).toEqual([expect.stringMatching(/calico-kubeconfig.*not a CNI config file.*not read/)]);
    expect(about('README.txt')).toEqual([expect.stringMatching(/README\.txt.*not a CNI config file.*not read/)]);
    expect(about('calico-tls')).toEqual([expect.stringMatching(/calico-tls.*not a regular file.*not read/)]);
    expect(about('20-private.conflist')).toEqual([expect.stringMatching(/20-private\.conflist.*not world-readable, not read/)]);
    expect(about('40-broken.conf')).toEqual([expect.stringMatching(/40-broken\.conf.*not valid JSON.*not shipped/)]);
    expect(about('k8s-pod-network-broken-eth0')).toEqual([expect.stringMatching(/not valid JSON.*not shipped/)]);
  });

  it('ships of a cache entry only the pod identity, the netns and the result interfaces and addresses', async () => {
    const r = await readCni(realFs, confDir, resultsDir);
    expect(r.results).toHaveLength(1);
    const entry = r.results[0]!;
    expect(entry.pod).toEqual({ namespace: 'shop', name: 'web-1', containerId: sandboxId });
    expect(entry.netns).toBe('/var/run/netns/cni-1234');
    const shipped = JSON.parse(entry.content) as Record<string, unknown>;
    expect(shipped).not.toHaveProperty('config');
    expect(shipped).not.toHaveProperty('capabilityArgs');
    expect(shipped).toEqual({
      kind: 'cniCacheV1',
      containerId: sandboxId,
      ifName: 'eth0',
      networkName: 'k8s-pod-network',
      netns: '/var/run/netns/cni-1234',
      cniArgs: [
        ['K8S_POD_NAMESPACE', 'shop'],
        ['K8S_POD_NAME', 'web-1'],
        ['K8S_POD_INFRA_CONTAINER_ID', sandboxId],
        ['K8S_POD_UID', '0b0c0d0e-0000-4000-8000-000000000001'],
      ],
      result: {
        cniVersion: '0.3.1',
        interfaces: [{ name: 'cali12345', mac: 'ee:ee:ee:ee:ee:ee' }, { name: 'eth0', sandbox: '/var/run/netns/cni-1234' }],
        ips: [{ version: '4', interface: 1, address: '10.244.1.5/32' }],
      },
    });
  });
});
