import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { k8sCacheDir } from '../controlPlane/binaries.js';
import { planLab } from '../plan.js';
import { loadScenario } from '../scenarios.js';
import { KUBE_PROXY_HEALTHZ, KUBE_PROXY_METRICS, SYNC_COUNT_METRIC, kubeProxyConfig, metricValue } from './kubeProxyDaemons.js';

// An excerpt of what kube-proxy v1.36 serves on /metrics in a lab node (dual-stack: one proxier per family).
const REAL = `# HELP kubeproxy_sync_proxy_rules_duration_seconds [ALPHA] SyncProxyRules latency in seconds
# TYPE kubeproxy_sync_proxy_rules_duration_seconds histogram
kubeproxy_sync_proxy_rules_duration_seconds_bucket{ip_family="IPv4",le="0.256"} 1
kubeproxy_sync_proxy_rules_duration_seconds_bucket{ip_family="IPv4",le="+Inf"} 1
kubeproxy_sync_proxy_rules_duration_seconds_sum{ip_family="IPv4"} 0.178214799
kubeproxy_sync_proxy_rules_duration_seconds_count{ip_family="IPv4"} 1
kubeproxy_sync_proxy_rules_duration_seconds_bucket{ip_family="IPv6",le="+Inf"} 3
kubeproxy_sync_proxy_rules_duration_seconds_sum{ip_family="IPv6"} 0.3
kubeproxy_sync_proxy_rules_duration_seconds_count{ip_family="IPv6"} 3
# HELP kubeproxy_sync_proxy_rules_last_timestamp_seconds [ALPHA] The last time proxy rules were successfully synced
# TYPE kubeproxy_sync_proxy_rules_last_timestamp_seconds gauge
kubeproxy_sync_proxy_rules_last_timestamp_seconds{ip_family="IPv4"} 1.7966870726189806e+09
kubeproxy_sync_proxy_rules_last_timestamp_seconds{ip_family="IPv6"} 1.7966870727473588e+09
# TYPE process_start_time_seconds gauge
process_start_time_seconds 1.79668707e+09
`;

describe('metricValue', () => {
  it('reads a sample without labels, in exponent notation', () => {
    expect(metricValue(REAL, 'process_start_time_seconds')).toBe(1_796_687_070);
  });

  it('sums a metric over its label sets (both proxiers of a dual-stack kube-proxy)', () => {
    expect(metricValue(REAL, SYNC_COUNT_METRIC)).toBe(4);
    expect(metricValue(REAL, 'kubeproxy_sync_proxy_rules_duration_seconds_sum')).toBeCloseTo(0.478214799, 9);
  });

  it('matches the whole name only: a histogram family name is none of its series', () => {
    expect(metricValue(REAL, 'kubeproxy_sync_proxy_rules_duration_seconds')).toBeNull();
    expect(metricValue(REAL, 'kubeproxy_sync_proxy_rules_duration_seconds_coun')).toBeNull();
    expect(metricValue('foo_total 2\nfoo 1\n', 'foo')).toBe(1);
  });

  it('ignores HELP and TYPE lines, even when they quote a sample', () => {
    expect(metricValue('# HELP up 1\n# TYPE up gauge\n', 'up')).toBeNull();
    expect(metricValue('# up 7\nup 1\n', 'up')).toBe(1);
  });

  it('returns null for an absent metric or an empty page', () => {
    expect(metricValue(REAL, 'kubeproxy_network_programming_duration_seconds_count')).toBeNull();
    expect(metricValue('', SYNC_COUNT_METRIC)).toBeNull();
  });

  it('takes the value, not the optional timestamp after it', () => {
    expect(metricValue('requests_total{code="200"} 5 1700000000000\n', 'requests_total')).toBe(5);
  });

  it('keeps label values with spaces and commas inside their braces', () => {
    expect(metricValue('x{path="/a b",le="1,2"} 3\nx{path="/c"} 4\n', 'x')).toBe(7);
  });

  it('skips samples that are not finite numbers', () => {
    expect(metricValue('x NaN\nx{a="1"} +Inf\n', 'x')).toBeNull();
    expect(metricValue('x NaN\nx{a="1"} 2\n', 'x')).toBe(2);
  });
});

describe('kubeProxyConfig', () => {
  const iptablesPlan = planLab(loadScenario('flannel-vxlan'), 'pb1234', []);
  const nftPlan = planLab(loadScenario('nftables'), 'pb1234', []);
  const kubeconfig = '/run/patchbay-lab/pb1234/cp/kube-proxy.kubeconfig';
  type Config = Record<string, unknown> & { mode: string; hostnameOverride: string; clientConnection: { kubeconfig: string }; conntrack: Record<string, number> };

  it("runs the scenario's mode as the node's Node object, with the scenario's cluster CIDR", () => {
    const n2 = iptablesPlan.nodes.find((n) => n.name === 'n2')!;
    const c = kubeProxyConfig(iptablesPlan, n2, kubeconfig) as Config;
    expect(c).toMatchObject({ apiVersion: 'kubeproxy.config.k8s.io/v1alpha1', kind: 'KubeProxyConfiguration', mode: 'iptables', hostnameOverride: 'n2', clusterCIDR: '10.244.0.0/16', detectLocalMode: 'ClusterCIDR' });
    expect(c.clientConnection.kubeconfig).toBe(kubeconfig);
    expect((kubeProxyConfig(nftPlan, nftPlan.nodes[0]!, kubeconfig) as Config).mode).toBe('nftables');
  });

  it('differs between nodes only in the node name', () => {
    const [a, b] = iptablesPlan.nodes.map((n) => kubeProxyConfig(iptablesPlan, n, kubeconfig) as Config);
    expect({ ...a, hostnameOverride: '' }).toEqual({ ...b, hostnameOverride: '' });
    expect(a!.hostnameOverride).not.toBe(b!.hostnameOverride);
  });

  it('keeps metrics on loopback, leaves the host-wide conntrack table alone and does not raise its own OOM immunity', () => {
    const c = kubeProxyConfig(iptablesPlan, iptablesPlan.nodes[0]!, kubeconfig) as Config;
    expect(c.metricsBindAddress).toBe(KUBE_PROXY_METRICS);
    expect(KUBE_PROXY_METRICS).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(c.healthzBindAddress).toBe(KUBE_PROXY_HEALTHZ);
    expect(c.conntrack).toMatchObject({ maxPerCore: 0, min: 0 });
    expect(c.oomScoreAdj).toBe(0);
  });

  it('refuses a scenario without kube-proxy', () => {
    const none = planLab({ ...loadScenario('flannel-vxlan'), kubeProxy: 'none' }, 'pb1234', []);
    expect(() => kubeProxyConfig(none, none.nodes[0]!, kubeconfig)).toThrow(/kubeProxy is none/);
  });

  describe('accepted by the pinned kube-proxy itself', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pb-kpcfg-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    // `--write-config-to` loads the file with strict decoding, validates it, writes the effective configuration
    // and exits: no API server, no rules, no sockets.
    async function effective(config: object, name: string): Promise<{ out: string; stderr: string }> {
      const bin = path.join(await k8sCacheDir(), 'kube-proxy');
      try {
        accessSync(bin, constants.X_OK);
      } catch {
        throw new Error(`no kube-proxy at ${bin}; run \`bash scripts/k8s/build.sh\``);
      }
      const file = path.join(dir, `${name}.json`);
      const out = path.join(dir, `${name}.out.yaml`);
      writeFileSync(file, JSON.stringify(config));
      const r = await promisify(execFile)(bin, [`--config=${file}`, `--write-config-to=${out}`], { timeout: 20_000 });
      return { out: readFileSync(out, 'utf8'), stderr: r.stderr };
    }

    for (const plan of [iptablesPlan, nftPlan]) {
      it(`${plan.scenario.kubeProxy} mode: no unknown field, and every value survives`, async () => {
        const n3 = plan.nodes.find((n) => n.name === 'n3')!;
        const { out, stderr } = await effective(kubeProxyConfig(plan, n3, kubeconfig), plan.scenario.name);
        // kube-proxy falls back to lenient decoding (and says so) when a field is unknown or misplaced.
        expect(stderr).not.toMatch(/strict decoding/);
        for (const line of [
          `mode: ${plan.scenario.kubeProxy}`,
          'hostnameOverride: n3',
          'clusterCIDR: 10.244.0.0/16',
          'detectLocalMode: ClusterCIDR',
          `metricsBindAddress: ${KUBE_PROXY_METRICS}`,
          `healthzBindAddress: ${KUBE_PROXY_HEALTHZ}`,
          'oomScoreAdj: 0',
        ]) {
          expect(out).toMatch(new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
        }
        expect(out).toMatch(new RegExp(`^  kubeconfig: ${kubeconfig}$`, 'm'));
        expect(out).toMatch(/^conntrack:\n(?: {2}.*\n)*? {2}maxPerCore: 0\n/m);
      });
    }

    it('the check itself bites: kube-proxy reports a field it does not know', async () => {
      const { stderr } = await effective({ ...kubeProxyConfig(iptablesPlan, iptablesPlan.nodes[0]!, kubeconfig), metricsBindAdress: '0.0.0.0:10249' }, 'typo');
      // klog quotes the error inside its own quotes: the field name comes out as \"metricsBindAdress\".
      expect(stderr).toMatch(/strict decoding error: unknown field \\"metricsBindAdress\\"/);
    });
  });
});
