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
import { describe, it } from 'vitest';

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

/** Packets per rule on every node, keyed "NODE|" + key(counter). */
type Counts = Map<string, number>;

/** Every node at once: each window is bounded by two of these reads, so their length is the window's length. */
async function allCounters(lab: Lab): Promise<Counts> {
  const lists: RuleCounters[] = await Promise.all(lab.plan.nodes.map((n) => lab.counters(n.name)));
  const m: Counts = new Map();
  lab.plan.nodes.forEach((n, i) => {
    for (const c of lists[i]!) {
      const k = `${n.name}|${key(c)}`;
      m.set(k, (m.get(k) ?? 0) + c.packets);
    }
  });
  return m;
}

const pause = (ms: number) => new Promise((res) => setTimeout(res, ms));

/**
 * One connection of a delivered flow, alone, between two reads of every node's counters: `before`, and one read
 * after a pause for its last packets, which is returned as the next window's `before` (nothing else runs in
 * between, so a second read would only lengthen the window). `miss`: the rules it moved that no predicted hop of
 * that node names; null when it was not delivered.
 */
async function unpredictedHits(lab: Lab, f: Flow, t: Trace, before: Counts): Promise<{ probe: ProbeResult; miss: string[] | null; after: Counts }> {
  const r = await probeFlow(lab, f);
  await pause(100);
  const after = await allCounters(lab);
  if (r.outcome !== 'delivered') return { probe: r, miss: null, after };
  const ev = evidenceText(t);
  const acts = nftActions(t);
  const miss: string[] = [];
  for (const [k, v] of after) {
    if (v <= (before.get(k) ?? 0)) continue;
    const [node, source, table, chain, ...ruleParts] = k.split('|') as [string, string, string, string, ...string[]];
    const rule = ruleParts.join('|');
    if (source !== 'iptables') {
      // nft rules: `nft list ruleset` text and the JSON the tracer reads print differently, so an nft hit is
      // checked by its chain: the predicted hops must pass through that chain of that table on that node.
      if (!acts.includes(`${node} nft ${table}/${chain}:`)) miss.push(`${node} nft ${table} chain ${chain}: ${rule}`);
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
  return { probe: r, miss, after };
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
 * flow's window. Returns how long it waited and the last read, the first window's start.
 */
async function waitForQuiet(lab: Lab, quietMs = 2000, maxMs = 15_000): Promise<{ waited: number; counts: Counts }> {
  const t0 = performance.now();
  const sum = (m: Counts) => [...m.values()].reduce((a, b) => a + b, 0);
  let counts = await allCounters(lab);
  let last = sum(counts);
  let stillSince = performance.now();
  while (performance.now() - t0 < maxMs) {
    await pause(250);
    counts = await allCounters(lab);
    const now = sum(counts);
    if (now !== last) {
      last = now;
      stillSince = performance.now();
    } else if (performance.now() - stillSince >= quietMs) break;
  }
  return { waited: performance.now() - t0, counts };
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
  const label = `${scenarioName}${faults.length ? ` + ${faults.join(',')}` : ''}`;
  // Where a lab's minutes go, one line per lab: the suites' run time is a budget (issue 19).
  const phases: string[] = [];
  let lapStart = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    phases.push(`${name} ${((now - lapStart) / 1000).toFixed(1)} s`);
    lapStart = now;
  };
  const lab = await startLab(loadScenario(scenarioName), { faults });
  lap('lab start');
  // The service rules under test are real kube-proxy's: each node's kube-proxy reported a completed IPv4 sync
  // in its own metrics before anything was recorded or probed (tests/lab/realKubernetes.test.ts shows the rest).
  const unsynced = lab.plan.nodes.filter((n) => !((lab.kubeProxySyncs.get(n.name) ?? 0) >= 1)).map((n) => n.name);
  if (unsynced.length > 0) {
    await lab.teardown();
    throw new Error(`${label}: no kube-proxy sync reported on ${unsynced.join(', ')}`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'pb-trace-gt-'));
  try {
    await lab.record(dir);
    lap('record');
    const { bundle, problems } = await loadBundle(dir);
    if (problems.length > 0) throw new Error(`recorded bundle has problems: ${problems.map((p) => p.message).join('; ')}`);
    const model: ClusterModel = resolveBundle(bundle);
    const flows = flowMatrix(lab);
    const traces = new Map(flows.map((f) => [f, traceFlow(model, { from: f.from, to: f.to, proto: f.proto })]));
    lap('trace');

    // Counters first, before any probe that fails: a failed TCP handshake leaves the server retransmitting its
    // SYN-ACK for a minute, and those packets would hit rules in later windows. One connection per delivered
    // flow, alone, every node's counters read before and after (after a pause for the connection's last packets).
    const missing = new Map<Flow, string[]>();
    // The counters phase's first connection of each flow is a real probe like any other: the probes below
    // start from it instead of repeating it.
    const firstProbe = new Map<Flow, ProbeResult>();
    const quiet = await waitForQuiet(lab);
    lap(`quiet (${quiet.waited.toFixed(0)} ms)`);
    let counts = quiet.counts;
    let windows = 0;
    for (const f of flows) {
      const t = traces.get(f)!;
      if (t.verdict !== 'delivered') continue;
      const first = await unpredictedHits(lab, f, t, counts);
      counts = first.after;
      windows++;
      firstProbe.set(f, first.probe);
      if (!first.miss) continue;
      // A rule the tracer left out is hit by every connection that takes the same path; a stray packet of an
      // earlier connection (its last FIN or ACK crossing another node) lands in one window only. So a hit that
      // is not predicted must show again on 4 fresh connections to the same endpoint. A load-balanced flow's
      // connections land elsewhere half the time or more, and those windows say nothing about this path: they do
      // not count (at most 16 connections in all, so two endpoints give 4 same-endpoint windows all but always).
      // The nodes' own traffic to the API server comes in bursts (every node at once, about every 30 s, for a
      // second or more, longer on a loaded machine) that can cover several short windows in a row: each try
      // waits longer first (0.25 s, doubling up to 2 s), outside any window, so that 4 tries span over 4 s.
      let miss = first.miss;
      for (let k = 0, same = 0; miss.length > 0 && same < 4 && k < 16; k++) {
        await pause(Math.min(250 * 2 ** k, 2000));
        counts = await allCounters(lab);
        const again = await unpredictedHits(lab, f, t, counts);
        counts = again.after;
        windows++;
        if (again.miss && again.probe.server === first.probe.server) {
          miss = miss.filter((m) => again.miss!.includes(m));
          same++;
        }
      }
      if (miss.length) missing.set(f, miss);
    }
    lap(`counters (${windows} windows)`);

    // Real probes: each flow until its outcome set is stable (load-balanced flows until every predicted endpoint
    // was seen, at most 16 connections), several flows at once. Most of this phase is probes waiting out their
    // timeout, which costs no CPU: hence many at once, and the flows that may take many connections first, so
    // that none of them is left running alone at the end.
    let probes = 0;
    let timedOut = 0;
    const order = flows.map((f, i) => ({ i, multi: traces.get(f)!.paths.length > 1 })).sort((a, b) => Number(b.multi) - Number(a.multi));
    const real: ProbeResult[][] = new Array(flows.length);
    await inParallel(order, 8, async ({ i }) => {
      const f = flows[i]!;
      const t = traces.get(f)!;
      const predicted = new Set(t.paths.filter((p) => p.verdict === 'delivered').map((p) => p.endpoint?.pod?.split('/')[1] ?? ''));
      const multi = t.paths.length > 1;
      const affinity = !!(t as { affinity?: string }).affinity;
      const wantsFailure = t.paths.some((p) => p.verdict !== 'delivered');
      const tries = multi ? 16 : 1;
      const seeded = firstProbe.get(f);
      const outcomes: ProbeResult[] = seeded ? [seeded] : [];
      const enough = () => {
        if (outcomes.length === 0) return false;
        if (affinity && outcomes.length >= 4) return true;
        // Stop once every predicted endpoint answered and, when some paths are predicted to fail, a failure
        // was seen too (or after 16 connections, enough to see each of a few equally weighted paths).
        const seen = new Set(outcomes.filter((o) => o.outcome === 'delivered').map((o) => o.server ?? ''));
        const sawFailure = outcomes.some((o) => o.outcome !== 'delivered');
        return multi && outcomes.length >= 2 && [...predicted].every((p) => seen.has(p)) && (!wantsFailure || sawFailure);
      };
      while (outcomes.length < tries && !enough()) {
        const r = await probeFlow(lab, f);
        outcomes.push(r);
        probes++;
        if (r.outcome === 'timeout') timedOut++;
      }
      real[i] = outcomes;
    });
    lap(`probes (${probes} more, ${timedOut} timed out)`);

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
      log(`MISMATCH (${label}) ${r.flow.name}: predicted ${r.predicted.verdict} [${r.predicted.endpoints.join(',')}] real ${r.real.cls} [${r.real.endpoints.join(',')}] (${r.real.outcomes.join(',')})${r.missingRules.length ? `\n    rules hit but not predicted:\n      ${r.missingRules.join('\n      ')}` : ''}`);
      const t = traces.get(r.flow)!;
      log(`    trace: ${t.summary}`);
    }
    log(`agreement ${label}: ${agree}/${results.length} (${((100 * agree) / results.length).toFixed(1)}%)`);
    return { results, agree, total: results.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await lab.teardown();
    lap('teardown');
    log(`phases ${label}: ${phases.join(', ')}`);
  }
}

/**
 * One test per fault that applies to the scenario's CNI (the lab's own table decides, as for the lab suites), and
 * one without faults: every flow of the matrix must agree with the real probes.
 *
 * The tests run concurrently, as many at once as the project's maxConcurrency (vitest.config.ts): each lab is its
 * own set of namespaces under its own prefix, so probes and counters of one never reach another, and a lab spends
 * much of its time waiting (pauses for last packets, probes that time out), which another lab can use.
 */
export function groundTruthSuite(scenarioName: string): void {
  const { cni } = loadScenario(scenarioName);
  const faultSets: string[][] = [[], ...Object.values(FAULTS).filter((f) => f.cni.includes(cni)).map((f) => [f.name])];
  const log = (line: string) => console.log(line);
  describe(`ground truth: ${scenarioName}`, () => {
    for (const faults of faultSets) {
      // The test's own expect: a concurrent test must not report through the shared one.
      it.concurrent(`agrees with real probes${faults.length ? ` (${faults.join(', ')})` : ''}`, async ({ expect }) => {
        const r = await groundTruth(scenarioName, faults, log);
        expect(r.agree, `agreement ${r.agree}/${r.total}`).toBe(r.total);
      }, 600_000);
    }
  });
}
