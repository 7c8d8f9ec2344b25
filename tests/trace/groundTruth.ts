// Ground truth for the tracer: build a real lab, record it as a bundle with the real agent, trace a matrix of
// flows from the bundle, probe the same flows for real from the same namespaces, and compare
//   - the verdict class (delivered / rejected / not delivered, or partial when load-balanced paths differ),
//   - the set of endpoint pods real connections reach,
//   - for delivered flows, that every rule whose counter a real connection incremented is in the predicted hops.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadBundle } from '@patchbay/bundle';
import { FAULTS, loadScenario, startLab, type Lab, type ProbeResult, type RuleCounters } from '@patchbay/lab';
import { resolveBundle, type ClusterModel } from '@patchbay/resolve';
import type { Trace } from '@patchbay/schema';
import { traceFlow } from '@patchbay/trace';
import { describe, expect, it } from 'vitest';

export interface Flow {
  name: string;
  /** Namespace the probe runs in, and the tracer's source endpoint. */
  fromNetns: string;
  from: string;
  to: string;
  ip: string;
  /** null for ICMP. */
  port: number | null;
  proto: 'tcp' | 'udp' | 'icmp';
}

export interface FlowResult {
  flow: Flow;
  predicted: { cls: string; endpoints: string[]; verdict: string };
  real: { cls: string; endpoints: string[]; outcomes: string[] };
  missingRules: string[];
  agree: boolean;
}

type Cls = 'delivered' | 'rejected' | 'not-delivered' | 'partial' | 'unknown';

function predictedClass(t: Trace): Cls {
  switch (t.verdict) {
    case 'delivered':
    case 'rejected':
    case 'partial':
    case 'unknown':
      return t.verdict;
    default:
      return 'not-delivered';
  }
}

function outcomeClass(o: ProbeResult['outcome']): Cls {
  return o === 'delivered' ? 'delivered' : o === 'refused' ? 'rejected' : 'not-delivered';
}

/**
 * Every pod pair (a port of each protocol the destination listens on, and ICMP echo), every service port from
 * every pod, every NodePort from every node, every LoadBalancer ingress IP and externalIP from every pod and node.
 * A terminating pod is reached through its service only: its own pod-to-pod flows would test nothing new.
 */
export function flowMatrix(lab: Lab): Flow[] {
  const flows: Flow[] = [];
  const pods = lab.plan.pods.filter((p) => p.present && !p.pod.terminating);
  for (const a of pods) {
    for (const b of pods) {
      if (a === b) continue;
      for (const protocol of ['TCP', 'UDP'] as const) {
        const port = b.pod.ports.find((p) => p.protocol === protocol);
        if (!port) continue;
        flows.push({ name: `pod ${a.key} -> pod ${b.key}:${port.containerPort}/${protocol}`, fromNetns: a.netns, from: `pod/${a.key}`, to: `${b.ip}:${port.containerPort}`, ip: b.ip, port: port.containerPort, proto: protocol === 'UDP' ? 'udp' : 'tcp' });
      }
      flows.push({ name: `pod ${a.key} -> pod ${b.key} icmp echo`, fromNetns: a.netns, from: `pod/${a.key}`, to: b.ip, ip: b.ip, port: null, proto: 'icmp' });
    }
  }
  for (const svc of lab.scenario.services) {
    // A headless service has no address of its own: kube-proxy writes nothing, its pods are covered above.
    if (svc.clusterIP === 'None') continue;
    for (const sp of svc.ports) {
      const proto = sp.protocol === 'UDP' ? 'udp' : 'tcp';
      for (const a of pods) {
        flows.push({ name: `pod ${a.key} -> svc ${svc.namespace}/${svc.name}:${sp.port}/${sp.protocol}`, fromNetns: a.netns, from: `pod/${a.key}`, to: `svc/${svc.namespace}/${svc.name}:${sp.port}`, ip: svc.clusterIP, port: sp.port, proto });
      }
      for (const ip of [...svc.loadBalancerIPs, ...svc.externalIPs]) {
        const what = svc.loadBalancerIPs.includes(ip) ? 'LoadBalancer IP' : 'externalIP';
        for (const a of pods) flows.push({ name: `pod ${a.key} -> ${what} ${ip}:${sp.port} (${svc.name})`, fromNetns: a.netns, from: `pod/${a.key}`, to: `${ip}:${sp.port}`, ip, port: sp.port, proto });
        for (const n of lab.plan.nodes) flows.push({ name: `node ${n.name} -> ${what} ${ip}:${sp.port} (${svc.name})`, fromNetns: n.netns, from: `node/${n.name}`, to: `${ip}:${sp.port}`, ip, port: sp.port, proto });
      }
      if (sp.nodePort === undefined) continue;
      for (const from of lab.plan.nodes) {
        for (const to of lab.plan.nodes) {
          flows.push({ name: `node ${from.name} -> ${to.name} NodePort ${to.internalIP}:${sp.nodePort} (${svc.name})`, fromNetns: from.netns, from: `node/${from.name}`, to: `${to.internalIP}:${sp.nodePort}`, ip: to.internalIP, port: sp.nodePort, proto });
        }
      }
    }
  }
  return flows;
}

// The same nft rule text can sit in two chains ("jump services" in nat-prerouting and nat-output): keep the chain.
const key = (c: { source: string; table: string; chain: string; rule: string }) => `${c.source}|${c.table}|${c.source === 'nft' ? c.chain : ''}|${c.rule}`;

/** nft counter key -> its chain (the key itself has no room for it). */
const nftChains = new Map<string, string>();

async function allCounters(lab: Lab): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  for (const n of lab.plan.nodes) {
    const list: RuleCounters = await lab.counters(n.name);
    for (const c of list) {
      const k = `${n.name}|${key(c)}`;
      if (c.source === 'nft') nftChains.set(k, c.chain);
      m.set(k, (m.get(k) ?? 0) + c.packets);
    }
  }
  return m;
}

/**
 * One connection of a delivered flow, alone, with every node's counters read before and after (after a pause for
 * its last packets): the rules it moved that no predicted hop of that node names. Null when it was not delivered.
 */
async function unpredictedHits(lab: Lab, f: Flow, t: Trace): Promise<{ server: string | null; miss: string[] } | null> {
  const before = await allCounters(lab);
  const r = await probeFlow(lab, f);
  await new Promise((res) => setTimeout(res, 100));
  const after = await allCounters(lab);
  if (r.outcome !== 'delivered') return null;
  const ev = evidenceText(t);
  const acts = nftActions(t);
  const miss: string[] = [];
  for (const [k, v] of after) {
    if (v <= (before.get(k) ?? 0)) continue;
    const [node, source, table, , ...ruleParts] = k.split('|') as [string, string, string, string, ...string[]];
    const rule = ruleParts.join('|');
    if (source !== 'iptables') {
      // nft rules: `nft list ruleset` text and the JSON the tracer reads print differently, so an nft hit is
      // checked by its chain: the predicted hops must pass through that chain of that table on that node.
      const counter = nftChains.get(k);
      if (counter && !acts.includes(`${node} nft ${table}/${counter}:`)) miss.push(`${node} nft ${table} chain ${counter}: ${rule}`);
      continue;
    }
    // The rule must be on a predicted hop of the same node.
    if (ev.includes(`${node}|${rule}`)) continue;
    // A repeat connection under ClientIP affinity hits the `--rcheck` jump to the endpoint it stuck to; the
    // tracer predicts first connections (xt_recent state is not in a bundle), so accept it when the jump's
    // target endpoint chain is on a predicted path.
    const sticky = /-m recent --rcheck .* -j (KUBE-SEP-\S+)/.exec(rule);
    if (sticky && (t as { affinity?: string }).affinity && ev.includes(`${node}|-A ${sticky[1]} `)) continue;
    miss.push(`${node} ${table}: ${rule}`);
  }
  return { server: r.server, miss };
}

/** "NODE nft FAMILY TABLE/CHAIN:" for every nft hop of the trace. */
function nftActions(t: Trace): string {
  return t.paths
    .flatMap((p) => [...p.hops, ...(p.reply?.hops ?? [])])
    .filter((h) => h.action.startsWith('nft '))
    .map((h) => `${h.node} ${h.action.split(':')[0]}:`)
    .join('\n');
}

/**
 * Waits until no counter on any node has moved for `quietMs` (at most `maxMs`). A new lab's kernels still talk
 * for a moment after bring-up: each cni0 bridge joins the all-snoopers group 224.0.0.106 and sends its IGMPv3
 * reports at random within about two seconds, through OUTPUT and POSTROUTING, and those would land in the first
 * flow's window. Returns how long it waited.
 */
async function waitForQuiet(lab: Lab, quietMs = 2000, maxMs = 15_000): Promise<number> {
  const t0 = performance.now();
  const total = async () => [...(await allCounters(lab)).values()].reduce((a, b) => a + b, 0);
  let last = await total();
  let stillSince = performance.now();
  while (performance.now() - t0 < maxMs) {
    await new Promise((res) => setTimeout(res, 250));
    const now = await total();
    if (now !== last) {
      last = now;
      stillSince = performance.now();
    } else if (performance.now() - stillSince >= quietMs) break;
  }
  return performance.now() - t0;
}

/**
 * One real attempt of the flow, long enough for one TCP SYN retransmission (after 1 s): a first SYN that waits
 * for ARP, or whose ICMP error the kernel rate-limits, must not turn "refused" or "delivered" into "timeout".
 * An echo reply names no server: the pod it came from is the one addressed.
 */
async function probeFlow(lab: Lab, f: Flow): Promise<ProbeResult> {
  const r = await lab.probe(f.fromNetns, { ip: f.ip, ...(f.port === null ? {} : { port: f.port }), proto: f.proto }, { timeoutMs: 2500 });
  if (f.proto !== 'icmp' || r.outcome !== 'delivered') return r;
  return { ...r, server: lab.plan.pods.find((p) => p.present && p.ip === f.ip)?.pod.name ?? null };
}

async function inParallel<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

/** nft counters print rules in nft's text syntax, which the trace evidence does not quote; compare iptables rules. */
function evidenceText(t: Trace): string {
  return t.paths.flatMap((p) => [...p.hops, ...(p.reply?.hops ?? [])].map((h) => `${h.node}|${h.evidence}`)).join('\n');
}

export async function groundTruth(scenarioName: string, faults: string[], log: (line: string) => void): Promise<{ results: FlowResult[]; agree: number; total: number }> {
  const phases: string[] = [];
  let t0 = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    phases.push(`${name} ${((now - t0) / 1000).toFixed(1)}s`);
    t0 = now;
  };
  const lab = await startLab(loadScenario(scenarioName), { faults });
  lap('lab start');
  const dir = mkdtempSync(path.join(tmpdir(), 'pb-trace-gt-'));
  try {
    await lab.record(dir);
    lap('record');
    const { bundle, problems } = await loadBundle(dir);
    if (problems.length > 0) throw new Error(`recorded bundle has problems: ${problems.map((p) => p.message).join('; ')}`);
    const model: ClusterModel = resolveBundle(bundle);
    const flows = flowMatrix(lab);
    const traces = new Map(flows.map((f) => [f, traceFlow(model, { from: f.from, to: f.to, proto: f.proto })]));

    // Counters first, before any probe that fails: a failed TCP handshake leaves the server retransmitting its
    // SYN-ACK for a minute, and those packets would hit rules in later windows. One connection per delivered
    // flow, alone, every node's counters read before and after (after a pause for the connection's last packets).
    lap('trace');
    const missing = new Map<Flow, string[]>();
    const waited = await waitForQuiet(lab);
    log(`counters still after ${waited.toFixed(0)} ms`);
    lap('quiet');
    for (const f of flows) {
      const t = traces.get(f)!;
      if (t.verdict !== 'delivered') continue;
      const first = await unpredictedHits(lab, f, t);
      if (!first) continue;
      // A rule the tracer left out is hit by every connection that takes the same path; a stray packet of an
      // earlier connection (its last FIN or ACK crossing another node) lands in one window only. So a hit that
      // is not predicted must show again on a fresh connection to the same endpoint (at most 4 tries).
      let miss = first.miss;
      for (let k = 0; miss.length > 0 && k < 4; k++) {
        const again = await unpredictedHits(lab, f, t);
        if (again && again.server === first.server) miss = miss.filter((m) => again.miss.includes(m));
      }
      if (miss.length) missing.set(f, miss);
    }

    lap('counters');
    // Real probes: each flow until its outcome set is stable (load-balanced flows until every predicted endpoint
    // was seen, at most 16 connections), several flows at once.
    const real = await inParallel(flows, 6, async (f) => {
      const t = traces.get(f)!;
      const predicted = new Set(t.paths.filter((p) => p.verdict === 'delivered').map((p) => p.endpoint?.pod?.split('/')[1] ?? ''));
      const multi = t.paths.length > 1;
      const outcomes: ProbeResult[] = [];
      const tries = multi ? 16 : 1;
      for (let i = 0; i < tries; i++) {
        const r = await probeFlow(lab, f);
        outcomes.push(r);
        const seen = new Set(outcomes.filter((o) => o.outcome === 'delivered').map((o) => o.server ?? ''));
        if ((t as { affinity?: string }).affinity && i >= 3) break;
        // Stop once every predicted endpoint answered and, when some paths are predicted to fail, a failure
        // was seen too (or after 16 connections, enough to see each of a few equally weighted paths).
        const wantsFailure = t.paths.some((p) => p.verdict !== 'delivered');
        const sawFailure = outcomes.some((o) => o.outcome !== 'delivered');
        if (multi && [...predicted].every((p) => seen.has(p)) && (!wantsFailure || sawFailure) && i >= 1) break;
      }
      return outcomes;
    });
    lap('probes');

    const results: FlowResult[] = flows.map((f, i) => {
      const t = traces.get(f)!;
      const outs = real[i]!;
      const classes = new Set(outs.map((o) => outcomeClass(o.outcome)));
      const realCls: Cls = classes.size === 1 ? [...classes][0]! : classes.has('delivered') ? 'partial' : 'not-delivered';
      const realEps = [...new Set(outs.filter((o) => o.outcome === 'delivered').map((o) => o.server ?? '?'))].sort();
      const predEps = [...new Set(t.paths.filter((p) => p.verdict === 'delivered').map((p) => p.endpoint?.pod?.split('/')[1] ?? '?'))].sort();
      const pcls = predictedClass(t);
      const miss = missing.get(f) ?? [];
      // With ClientIP affinity every connection from one client reaches the endpoint its first one chose.
      const affinity = (t as { affinity?: string }).affinity === 'ClientIP';
      // So the real outcome must be one of the predicted paths: that endpoint delivered, or a path that fails.
      const stuck = affinity && ((realCls === 'delivered' && realEps.length === 1 && predEps.includes(realEps[0]!)) || (realCls !== 'delivered' && realCls !== 'partial' && t.paths.some((p) => predictedClass({ ...t, verdict: p.verdict }) === realCls)));
      const epsAgree = JSON.stringify(predEps) === JSON.stringify(realEps);
      const agree = (stuck || (pcls === realCls && epsAgree)) && miss.length === 0;
      return { flow: f, predicted: { cls: pcls, endpoints: predEps, verdict: t.verdict }, real: { cls: realCls, endpoints: realEps, outcomes: outs.map((o) => o.outcome) }, missingRules: miss, agree };
    });
    const agree = results.filter((r) => r.agree).length;
    for (const r of results.filter((x) => !x.agree)) {
      log(`MISMATCH ${r.flow.name}: predicted ${r.predicted.verdict} [${r.predicted.endpoints.join(',')}] real ${r.real.cls} [${r.real.endpoints.join(',')}] (${r.real.outcomes.join(',')})${r.missingRules.length ? `\n    rules hit but not predicted:\n      ${r.missingRules.join('\n      ')}` : ''}`);
      const t = traces.get(r.flow)!;
      log(`    trace: ${t.summary}`);
    }
    log(`agreement ${scenarioName}${faults.length ? ` + ${faults.join(',')}` : ''}: ${agree}/${results.length} (${((100 * agree) / results.length).toFixed(1)}%)`);
    return { results, agree, total: results.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await lab.teardown();
    lap('teardown');
    log(`phases ${scenarioName}${faults.length ? ` + ${faults.join(',')}` : ''}: ${phases.join(', ')}`);
  }
}

/**
 * One test per fault that applies to the scenario's CNI (the lab's own table decides, as for the lab suites), and
 * one without faults: every flow of the matrix must agree with the real probes.
 */
export function groundTruthSuite(scenarioName: string): void {
  const { cni } = loadScenario(scenarioName);
  const faultSets: string[][] = [[], ...Object.values(FAULTS).filter((f) => f.cni.includes(cni)).map((f) => [f.name])];
  const log = (line: string) => console.log(line);
  describe(`ground truth: ${scenarioName}`, () => {
    for (const faults of faultSets) {
      it(`agrees with real probes${faults.length ? ` (${faults.join(', ')})` : ''}`, async () => {
        const r = await groundTruth(scenarioName, faults, log);
        expect(r.agree, `agreement ${r.agree}/${r.total}`).toBe(r.total);
      }, 600_000);
    }
  });
}
