import { EndpointError, parseEndpoint, type Endpoint, type Hop, type Trace, type TracePath, type Verdict } from '@patchbay/schema';
import type { ClusterModel, NetnsModel, PodModel } from '@patchbay/resolve';
import { TraceInputError } from './errors.js';
import { TraceBudget, type TraceLimits } from './limits.js';
import type { NfPacket } from './netfilter/types.js';
import { evaluateNetworkPolicy, type PolicyPeer, type PolicyResult } from './policy/networkPolicy.js';
import { Walker, newFlow, type PathEnd } from './walk.js';

// traceFlow: endpoints in, Trace out (DESIGN.md "Trace object"). Resolves the endpoints, walks the request,
// walks each delivered request's reply back, judges NetworkPolicy beside the dataplane, and sums it up.

export interface TraceQueryInput {
  from: string;
  to: string;
  proto: 'tcp' | 'udp' | 'icmp';
  port?: number | null;
}

/** The client's source port; any ephemeral port behaves the same in these rules. */
const CLIENT_PORT = 40000;

interface Source {
  netns: string | null;
  ip: string;
  pod: PodModel | null;
  node: string | null;
  /** Packets from outside the cluster enter here (a node's interface) instead of being generated. */
  ingress: { netns: string; device: string } | null;
  unknown: string | null;
}

interface Destination {
  ip: string;
  port: number | null;
  label: string;
  service: string | null;
}

function parse(text: string, what: 'source' | 'destination'): Endpoint {
  try {
    return parseEndpoint(text);
  } catch (err) {
    if (err instanceof EndpointError) throw new TraceInputError(`${what}: ${err.message}`);
    throw err;
  }
}

/**
 * Why a pod or service named in a query is not in the model: absent from cluster.json, or there but left out as
 * invalid (then the reason, so on-call fixes the object instead of looking for a typo in the name).
 */
function notInModel(model: ClusterModel, kind: 'Pod' | 'Service', namespace: string, name: string): string {
  const r = model.rejected.find((o) => o.kind === kind && o.namespace === namespace && o.name === name);
  return r ? `in cluster.json but invalid, so left out: ${r.reason}` : 'not in cluster.json';
}

function resolveSource(model: ClusterModel, e: Endpoint, dstIp: () => string): Source {
  switch (e.kind) {
    case 'pod': {
      const pod = model.pods.get(`${e.namespace}/${e.name}`);
      if (!pod) throw new TraceInputError(`source: unknown pod ${e.namespace}/${e.name} (${notInModel(model, 'Pod', e.namespace, e.name)})`);
      const node = pod.node ? model.nodes.get(pod.node) : undefined;
      if (pod.hostNetwork) {
        if (!node) return { netns: null, ip: '', pod, node: pod.node, ingress: null, unknown: `pod ${pod.key} runs on ${pod.node ?? 'no node'}, which is not in the bundle` };
        return { netns: node.hostNetns, ip: '', pod, node: node.name, ingress: null, unknown: node.observed ? null : `node ${node.name} was not observed (no snapshot)` };
      }
      if (!pod.ip) return { netns: null, ip: '', pod, node: pod.node, ingress: null, unknown: `pod ${pod.key} has no IP in cluster.json (not running?)` };
      if (!pod.netns) {
        const why = !node ? `its node ${pod.node ?? '(none)'} is not in the bundle` : !node.observed ? `node ${node.name} was not observed (no snapshot)` : `no namespace on ${node.name} carries its address ${pod.ip}`;
        return { netns: null, ip: pod.ip, pod, node: pod.node, ingress: null, unknown: `pod ${pod.key}: ${why}` };
      }
      return { netns: pod.netns, ip: pod.ip, pod, node: pod.node, ingress: null, unknown: null };
    }
    case 'node': {
      const node = model.nodes.get(e.name);
      if (!node) throw new TraceInputError(`source: unknown node ${e.name}`);
      return { netns: node.hostNetns, ip: '', pod: null, node: node.name, ingress: null, unknown: node.observed ? null : `node ${node.name} was not observed (no snapshot)` };
    }
    case 'service':
      throw new TraceInputError('source: a service cannot send packets; trace from one of its pods (pod/NS/NAME)');
    case 'ip': {
      const owners = model.addressOwners.get(e.ip) ?? [];
      for (const o of owners) {
        if (o.kind === 'pod') {
          const pod = model.pods.get(o.pod)!;
          return resolveSource(model, { kind: 'pod', namespace: pod.namespace, name: pod.name }, dstIp);
        }
      }
      for (const o of owners) {
        if (o.kind === 'node') {
          const node = model.nodes.get(o.node)!;
          return { netns: node.hostNetns, ip: e.ip, pod: null, node: node.name, ingress: null, unknown: node.observed ? null : `node ${node.name} was not observed (no snapshot)` };
        }
        if (o.kind === 'device') {
          const dev = model.devices.get(o.device)!;
          return { netns: dev.netns, ip: e.ip, pod: null, node: dev.node, ingress: null, unknown: null };
        }
      }
      // From outside the cluster: it can only arrive at a node's own address.
      const dst = dstIp();
      for (const o of model.addressOwners.get(dst) ?? []) {
        if (o.kind === 'node' && o.device) {
          const dev = model.devices.get(o.device)!;
          return { netns: dev.netns, ip: e.ip, pod: null, node: null, ingress: { netns: dev.netns, device: dev.id }, unknown: null };
        }
      }
      return { netns: null, ip: e.ip, pod: null, node: null, ingress: null, unknown: `${e.ip} is outside the cluster and ${dst} is not a node address: the tracer cannot tell where its packets enter` };
    }
  }
}

function resolveDestination(model: ClusterModel, e: Endpoint, proto: 'tcp' | 'udp' | 'icmp', queryPort: number | null): Destination {
  const needPort = (port: number | null, what: string): number | null => {
    if (proto === 'icmp') return null;
    if (port === null) throw new TraceInputError(`destination: ${what} needs a port for ${proto} (A.B.C.D:PORT, or --port)`);
    return port;
  };
  const agree = (endpointPort: number | null): number | null => {
    if (endpointPort !== null && queryPort !== null && endpointPort !== queryPort) throw new TraceInputError(`destination: port ${endpointPort} in the endpoint and port ${queryPort} in the query disagree`);
    return endpointPort ?? queryPort;
  };
  switch (e.kind) {
    case 'pod': {
      const pod = model.pods.get(`${e.namespace}/${e.name}`);
      if (!pod) throw new TraceInputError(`destination: unknown pod ${e.namespace}/${e.name} (${notInModel(model, 'Pod', e.namespace, e.name)})`);
      const ip = pod.hostNetwork ? (pod.node ? model.nodes.get(pod.node)?.internalIP : null) : pod.ip;
      if (!ip) throw new TraceInputError(`destination: pod ${pod.key} has no IP in cluster.json`);
      let port = queryPort;
      if (port === null && proto !== 'icmp') {
        const P = proto.toUpperCase();
        const cp = pod.object.spec.containers.flatMap((c) => c.ports ?? []).find((p) => (p.protocol ?? 'TCP') === P);
        if (!cp) throw new TraceInputError(`destination: pod ${pod.key} declares no ${P} container port; give one (A.B.C.D:PORT or --port)`);
        port = cp.containerPort;
      }
      return { ip, port, label: `pod/${pod.key}`, service: null };
    }
    case 'service': {
      const svc = model.services.get(`${e.namespace}/${e.name}`);
      if (!svc) throw new TraceInputError(`destination: unknown service ${e.namespace}/${e.name} (${notInModel(model, 'Service', e.namespace, e.name)})`);
      const byPort = svc.ports.filter((p) => (typeof e.port === 'number' ? p.port === e.port : p.name === e.port));
      // Port numbers may repeat across protocols (DNS: 53/UDP and 53/TCP): prefer the query's protocol.
      const sp = byPort.find((p) => p.protocol.toLowerCase() === proto) ?? byPort[0];
      const list = svc.ports.map((p) => `${p.name ? `${p.name}=` : ''}${p.port}/${p.protocol}`).join(', ') || 'none';
      if (!sp) throw new TraceInputError(`destination: service ${svc.key} has no port ${e.port} (ports: ${list})`);
      if (proto === 'icmp') throw new TraceInputError(`destination: a service port is ${sp.protocol}; use --proto ${sp.protocol.toLowerCase()} (ICMP to a ClusterIP is not load-balanced)`);
      if (sp.protocol.toLowerCase() !== proto) throw new TraceInputError(`destination: service ${svc.key} port ${e.port} is ${sp.protocol}, not ${proto.toUpperCase()}`);
      if (!svc.clusterIP) throw new TraceInputError(`destination: service ${svc.key} has no cluster IP (${svc.type === 'ExternalName' ? 'ExternalName' : 'headless'}); trace to one of its pods`);
      return { ip: svc.clusterIP, port: agree(sp.port), label: `svc/${svc.key}:${sp.port}`, service: svc.key };
    }
    case 'node': {
      const node = model.nodes.get(e.name);
      if (!node) throw new TraceInputError(`destination: unknown node ${e.name}`);
      if (!node.internalIP) throw new TraceInputError(`destination: node ${e.name} has no InternalIP in cluster.json`);
      return { ip: node.internalIP, port: needPort(queryPort, `node/${e.name}`), label: `node/${e.name}`, service: null };
    }
    case 'ip':
      return { ip: e.ip, port: needPort(agree(e.port), e.ip), label: e.ip, service: null };
  }
}

function podPeer(model: ClusterModel, ip: string, podKey: string | null): PolicyPeer {
  const pod = podKey ? model.pods.get(podKey) : undefined;
  const nodeOwner = (model.addressOwners.get(ip) ?? []).find((o) => o.kind === 'node');
  return {
    pod: pod && !pod.hostNetwork ? { key: pod.key, namespace: pod.namespace, labels: pod.labels, containerPorts: pod.object.spec.containers.flatMap((c) => c.ports ?? []) } : null,
    ip,
    node: nodeOwner?.kind === 'node' ? nodeOwner.node : null,
    podNode: pod?.node ?? null,
  };
}

const VERDICT_ORDER: Verdict[] = ['unknown', 'rejected', 'no-route', 'dropped', 'left-cluster', 'partial', 'delivered'];

function overall(paths: TracePath[]): Verdict {
  if (paths.length === 0) return 'unknown';
  const set = new Set(paths.map((p) => p.verdict));
  if (set.size === 1) return paths[0]!.verdict;
  if (set.has('delivered')) return 'partial';
  if (set.has('unknown')) return 'unknown';
  return [...paths].sort((a, b) => b.weight - a.weight || VERDICT_ORDER.indexOf(a.verdict) - VERDICT_ORDER.indexOf(b.verdict))[0]!.verdict;
}

const round = (w: number) => Math.round(w * 10000) / 10000;

/**
 * `limits` bound what the trace may spend (time, rules looked at, steps kept; see limits.ts); paths not decided
 * within them end `unknown`, naming the limit.
 */
export function traceFlow(model: ClusterModel, query: TraceQueryInput, limits: Partial<TraceLimits> = {}): Trace {
  const proto = query.proto;
  if (proto !== 'tcp' && proto !== 'udp' && proto !== 'icmp') throw new TraceInputError(`proto must be tcp, udp or icmp, not ${JSON.stringify(proto)}`);
  const qport = query.port ?? null;
  if (qport !== null && (!Number.isInteger(qport) || qport < 1 || qport > 65535)) throw new TraceInputError(`port ${qport} is outside 1-65535`);
  const fromE = parse(query.from, 'source');
  const toE = parse(query.to, 'destination');
  const dst = resolveDestination(model, toE, proto, qport);
  const src = resolveSource(model, fromE, () => dst.ip);
  const q = { from: query.from, to: query.to, proto, port: dst.port };
  const walker = new Walker(model, new TraceBudget(limits));
  const warnings: string[] = [];

  if (src.unknown || !src.netns) {
    const reason = src.unknown ?? 'the source has no namespace in the bundle';
    return { query: q, verdict: 'unknown', summary: `Unknown: ${reason}.`, paths: [], warnings: [reason] };
  }
  const srcNs = model.namespaces.get(src.netns)!;
  const srcNode = model.nodes.get(srcNs.node)!;
  if (srcNode.cni.kind === 'cilium') warnings.push(`node ${srcNode.name} runs Cilium: its eBPF datapath (load balancing, policy, routing) is not in kernel routes or netfilter, so the tracer cannot predict it`);

  const pkt: NfPacket = { src: src.ip, dst: dst.ip, sport: proto === 'icmp' ? 0 : CLIENT_PORT, dport: dst.port ?? 0, proto, mark: 0 };
  const start = newFlow(pkt, 'ORIGINAL');
  const ends: PathEnd[] = src.ingress ? walker.receive(src.ingress.netns, src.ingress.device, start) : walker.originate(src.netns, start);

  const paths: TracePath[] = [];
  const policies: { endpoint: string; result: PolicyResult }[] = [];
  for (const end of ends) {
    const st = end.state;
    let verdict: Verdict = end.verdict;
    let reply: TracePath['reply'] = null;
    let reason = end.reason;
    if (end.verdict === 'delivered' && end.deliveredTo) {
      const back = newFlow({ src: st.pkt.dst, dst: st.pkt.src, sport: st.pkt.dport, dport: st.pkt.sport, proto, mark: 0 }, 'REPLY', st.ct);
      const rends = walker.originate(end.deliveredTo, back);
      // A reply never load-balances; if it forks, the first failing branch decides.
      const bad = rends.find((r) => r.verdict !== 'delivered') ?? null;
      const r = bad ?? rends[0]!;
      let rv: Verdict = r.verdict;
      let rreason = r.reason;
      if (!bad) {
        const okNs = src.ingress ? null : src.netns;
        const p = r.state.pkt;
        const expectSrc = dst.ip;
        if (okNs && r.deliveredTo !== okNs) {
          rv = 'dropped';
          rreason = `the reply is delivered to ${model.namespaces.get(r.deliveredTo ?? '')?.label ?? r.deliveredTo}, not to the client`;
        } else if (p.src !== expectSrc || (proto !== 'icmp' && p.sport !== (dst.port ?? 0))) {
          rv = 'dropped';
          rreason = `the reply arrives from ${p.src}:${p.sport}, not ${expectSrc}:${dst.port}: nothing un-NATs it, so the client discards it`;
          r.state.hops.push({ node: srcNs.node, netns: srcNs.label, device: null, stage: 'socket', action: 'reply does not match the connection: discarded', packet: { src: p.src, dst: p.dst, sport: p.sport, dport: p.dport }, evidence: rreason });
        } else if (p.dst !== pkt.src && pkt.src !== '' ) {
          rv = 'dropped';
          rreason = `the reply is addressed to ${p.dst}, not the client ${pkt.src}`;
        }
      }
      let rhops = r.state.hops;
      if (rv === 'delivered' && proto === 'tcp') {
        const ack = walker.handshakeAck(st.trail, new Set(r.state.trail.map((c) => c.nsId)));
        if (ack) {
          rv = ack.verdict;
          rreason = ack.reason;
          rhops = [...rhops, ...ack.hops];
        }
      }
      reply = { verdict: rv, hops: rhops, reason: rreason } as TracePath['reply'];
      if (rv !== 'delivered') {
        verdict = rv;
        reason = `request delivered, but the reply fails: ${rreason}`;
      }
    }
    const endpointOwner = (model.addressOwners.get(st.pkt.dst) ?? [])[0];
    const deliveredNs: NetnsModel | undefined = end.deliveredTo ? model.namespaces.get(end.deliveredTo) : undefined;
    const endpointPod = deliveredNs?.pod ?? (endpointOwner?.kind === 'pod' ? endpointOwner.pod : null);
    const endpointNode = deliveredNs?.node ?? (endpointPod ? (model.pods.get(endpointPod)?.node ?? null) : endpointOwner?.kind === 'node' ? endpointOwner.node : null);
    const path: TracePath & { reason?: string; policy?: PolicyResult } = {
      verdict,
      endpoint: { pod: endpointPod, node: endpointNode, ip: st.pkt.dst, port: proto === 'icmp' ? null : st.pkt.dport },
      weight: round(st.weight),
      hops: st.hops,
      reply,
      reason,
    };
    if (src.pod || endpointPod) {
      const srcPeer = podPeer(model, pkt.src || src.ip, src.pod && !src.pod.hostNetwork ? src.pod.key : null);
      if (!srcPeer.node && src.node && !src.pod) srcPeer.node = src.node;
      const res = evaluateNetworkPolicy(model.networkPolicies, (ns) => model.namespaceLabels.get(ns) ?? { 'kubernetes.io/metadata.name': ns }, srcPeer, podPeer(model, st.pkt.dst, endpointPod), proto, proto === 'icmp' ? null : st.pkt.dport);
      path.policy = res;
      policies.push({ endpoint: endpointPod ?? st.pkt.dst, result: res });
    }
    paths.push(path);
  }
  paths.sort((a, b) => b.weight - a.weight || (a.endpoint?.ip ?? '').localeCompare(b.endpoint?.ip ?? ''));

  if (warnings.some((w) => w.includes('eBPF'))) for (const p of paths) p.verdict = 'unknown';
  let verdict = overall(paths);

  // NetworkPolicy: what the cluster intends, beside what the dataplane does.
  const dstNodeName = paths.find((p) => p.endpoint?.node)?.endpoint?.node ?? null;
  const dstNode = dstNodeName ? model.nodes.get(dstNodeName) : srcNode;
  const cni = (dstNode ?? srcNode).cni;
  const denied = policies.filter((p) => !p.result.allowed);
  for (const d of denied) {
    const why = [d.result.egress, d.result.ingress].filter((x) => x && !x.allowed).map((x) => x!.reason).join('; ');
    const delivered = paths.some((p) => p.verdict === 'delivered' && (p.endpoint?.pod ?? p.endpoint?.ip) === d.endpoint);
    if (delivered) {
      if (cni.enforcesNetworkPolicy === false) warnings.push(`NetworkPolicy denies the flow to ${d.endpoint} (${why}), but ${cni.kind} does not enforce NetworkPolicy, so the packet is delivered anyway`);
      else warnings.push(`NetworkPolicy denies the flow to ${d.endpoint} (${why}), yet no enforcing rule shows in the captured dataplane (${cni.kind}: ${cni.evidence})`);
    }
  }
  for (const w of walker.warnings) warnings.push(w);
  const touched = new Set(paths.flatMap((p) => [...p.hops, ...(p.reply?.hops ?? [])].map((h) => h.node).filter((n): n is string => n !== null)));
  for (const n of touched) {
    const node = model.nodes.get(n);
    for (const e of node?.errors ?? []) warnings.push(`node ${n}: collector error: ${e}`);
  }
  for (const rsKey of new Set([...touched].map((n) => model.nodes.get(n)?.ruleset).filter((k): k is string => !!k))) {
    const nf = model.rulesets.get(rsKey)?.compiled.get('trace/netfilter') as { warnings: string[] } | undefined;
    for (const w of nf?.warnings ?? []) warnings.push(w);
  }
  if (paths.some((p) => p.verdict === 'unknown')) for (const p of paths) if (p.verdict === 'unknown') warnings.push(`unknown: ${(p as { reason?: string }).reason ?? 'state the tracer cannot see'}`);
  if (verdict === 'unknown' && paths.length === 0) verdict = 'unknown';

  // Session affinity: the first connection picks a path at random, later ones from the same client stick to it.
  const affinity = paths.length > 1 && paths.some((p) => p.hops.some((h) => /-m recent .*--set|update @affinity/.test(h.evidence)));
  if (affinity) warnings.push('session affinity (ClientIP): each path is a possible first choice; later connections from this client stick to the endpoint of the first (the xt_recent/affinity state is not captured)');

  const policySummary = {
    cni: cni.kind,
    enforced: cni.enforcesNetworkPolicy,
    evidence: cni.evidence,
    allowed: denied.length === 0,
  };
  const trace: Trace & { policy?: typeof policySummary } = {
    query: q,
    verdict,
    summary: summarize(verdict, dst.label, query.from, proto, paths),
    paths,
    warnings: [...new Set(warnings)],
    policy: policySummary,
    ...(affinity ? { affinity: 'ClientIP' } : {}),
  };
  return trace;
}

function summarize(verdict: Verdict, to: string, from: string, proto: string, paths: TracePath[]): string {
  const eps = (ps: TracePath[]) =>
    ps
      .map((p) => `${p.endpoint?.pod ? `pod/${p.endpoint.pod}` : (p.endpoint?.ip ?? '?')}${p.endpoint?.port ? `:${p.endpoint.port}` : ''}${paths.length > 1 ? ` (${Math.round(p.weight * 100)}%)` : ''}`)
      .join(', ');
  const reason = (p: TracePath | undefined) => ((p as { reason?: string } | undefined)?.reason ?? '').replace(/\.$/, '');
  const delivered = paths.filter((p) => p.verdict === 'delivered');
  switch (verdict) {
    case 'delivered':
      return `Delivered: ${from} reaches ${to} over ${proto}${delivered.length > 0 ? ` at ${eps(delivered)}` : ''}, and the reply comes back.`;
    case 'partial': {
      const bad = paths.filter((p) => p.verdict !== 'delivered');
      return `Partial: ${eps(delivered)} deliver; ${eps(bad)} fail (${reason(bad[0])}).`;
    }
    default: {
      const first = paths.find((p) => p.verdict === verdict) ?? paths[0];
      const word = { rejected: 'Rejected', dropped: 'Dropped', 'no-route': 'No route', 'left-cluster': 'Leaves the cluster', unknown: 'Unknown' }[verdict as string] ?? verdict;
      return `${word}: ${from} to ${to} over ${proto}${first ? `: ${reason(first)}` : ''}.`;
    }
  }
}

export type { Hop };
