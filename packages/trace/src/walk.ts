import type { Hop, Verdict } from '@patchbay/schema';
import { lookupRoute, type ClusterModel, type DeviceModel, type NetnsModel, type NodeModel, type RouteEntry } from '@patchbay/resolve';
import { TraceBudget } from './limits.js';
import { ipsetMember, netfilterFor, runHook } from './netfilter/registry.js';
import type { CtState, Hook, HookContext, HookOutcome, NfPacket } from './netfilter/types.js';

// The packet walker: moves one packet through namespaces the way the kernel would — routing (policy rules,
// longest prefix, route types), netfilter hooks in order, veth pairs, bridges (FDB), VXLAN and underlay hops
// between nodes — and forks where load balancing forks. It is used twice per path: for the request, and for
// the reply, which conntrack un-NATs from the entries the request left behind.

export interface Tuple {
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

export interface CtEntry {
  orig: Tuple;
  final: Tuple;
}

export interface FlowState {
  pkt: NfPacket;
  weight: number;
  hops: Hop[];
  dir: 'ORIGINAL' | 'REPLY';
  /** Conntrack entries per namespace id, created by the request and read by the reply. */
  ct: Map<string, CtEntry[]>;
  /** The tuple the request had when it first entered each namespace. */
  entry: Map<string, Tuple>;
  ttl: number;
  warnings: string[];
  /** Every netfilter hook this packet went through, in order (host namespaces with captured rules only). */
  trail: HookCall[];
}

/** One hook a packet went through: enough to run it again for a later packet of the same connection. */
export interface HookCall {
  nsId: string;
  hook: Hook;
  inDev: string | null;
  outDev: string | null;
  route: RouteEntry | null;
  bridge: { physIn: string | null; physOut: string | null } | null;
  pkt: NfPacket;
}

export interface PathEnd {
  state: FlowState;
  verdict: Verdict;
  reason: string;
  /** Where the packet was delivered (namespace id), for delivered paths. */
  deliveredTo: string | null;
}

const tuple = (p: NfPacket): Tuple => ({ src: p.src, dst: p.dst, sport: p.sport, dport: p.dport });
const fmt = (p: NfPacket) => (p.proto === 'icmp' ? `${p.src} -> ${p.dst}` : `${p.src}:${p.sport} -> ${p.dst}:${p.dport}`);

function clone(st: FlowState): FlowState {
  return { ...st, pkt: { ...st.pkt }, hops: [...st.hops], ct: new Map([...st.ct].map(([k, v]) => [k, [...v]])), entry: new Map(st.entry), warnings: [...st.warnings], trail: [...st.trail] };
}

function sysctlNum(sysctls: Record<string, string>, key: string): number | null {
  const v = sysctls[key];
  if (v === undefined) return null;
  const n = Number(v.trim());
  return Number.isFinite(n) ? n : null;
}

export class Walker {
  private readonly warned = new Set<string>();
  private readonly portCache = new Map<string, DeviceModel[]>();
  readonly warnings: string[] = [];

  /** One budget for every walk of a trace (request, reply, handshake): see limits.ts. */
  constructor(
    readonly model: ClusterModel,
    readonly budget: TraceBudget = new TraceBudget(),
  ) {}

  /**
   * A node's netfilter evaluators. The first call for a ruleset parses and indexes its dump (up to seconds for
   * kube-proxy's 15 MB of 10,000 services), once for the model and every later trace: that is the bundle's cost,
   * bounded by its size, not this trace's, so it does not count against the deadline.
   */
  private netfilter(node: NodeModel) {
    return this.budget.untimed(() => netfilterFor(this.model, node));
  }

  /** A copy of a path for a fork; its hops count against the trace's memory budget. */
  private fork(st: FlowState): FlowState {
    this.budget.fork(st.hops.length);
    return clone(st);
  }

  warnOnce(text: string): void {
    if (this.warned.has(text)) return;
    this.warned.add(text);
    this.warnings.push(text);
  }

  private hop(st: FlowState, ns: NetnsModel, device: string | null, stage: string, action: string, evidence: string): void {
    st.hops.push({ node: ns.node, netns: ns.label, device, stage, action, packet: { src: st.pkt.src, dst: st.pkt.dst, sport: st.pkt.sport, dport: st.pkt.dport }, evidence });
    this.budget.keep(1);
  }

  private end(st: FlowState, verdict: Verdict, reason: string, deliveredTo: string | null = null): PathEnd[] {
    return [{ state: st, verdict, reason, deliveredTo }];
  }

  private nodeOf(ns: NetnsModel): NodeModel {
    return this.model.nodes.get(ns.node)!;
  }

  private dev(ns: NetnsModel, name: string | null | undefined): DeviceModel | null {
    if (!name) return null;
    const id = ns.deviceByName.get(name);
    return id ? (this.model.devices.get(id) ?? null) : null;
  }

  private isLocal(ns: NetnsModel, ip: string): boolean {
    if (ns.kind === 'host') return this.nodeOf(ns).localAddresses.has(ip) || ip.startsWith('127.');
    for (const d of ns.devices) {
      const dev = this.model.devices.get(d)!;
      if (dev.addresses.some((a) => a.slice(0, a.indexOf('/')) === ip)) return true;
    }
    return ip.startsWith('127.');
  }

  /**
   * The kernel's inet_select_addr: a global address of the outgoing device, else the first global address of
   * any device of the namespace (Calico's cali* veths have none, so the node's own address is used).
   */
  private selectSource(ns: NetnsModel, dev: DeviceModel | null): string | null {
    const global = (name: string) =>
      ns.state.addrs
        .filter((a) => a.ifname === name)
        .flatMap((a) => a.addr_info)
        .find((ai) => ai.family === 'inet' && (ai.scope === undefined || ai.scope === 'global'))?.local ?? null;
    if (dev) {
      const own = global(dev.name);
      if (own) return own;
    }
    const byIndex = [...ns.state.addrs].sort((a, b) => a.ifindex - b.ifindex);
    for (const a of byIndex) {
      const g = global(a.ifname);
      if (g) return g;
    }
    return null;
  }

  private primaryAddress(dev: DeviceModel | null): string | null {
    const a = dev?.addresses[0];
    return a ? a.slice(0, a.indexOf('/')) : null;
  }

  /** Conntrack state of the packet in this namespace, and the entry it belongs to (reply direction). */
  private ctLookup(ns: NetnsModel, st: FlowState): { state: CtState; entry: CtEntry | null } {
    const list = st.ct.get(ns.id) ?? [];
    const p = st.pkt;
    const same = (t: Tuple) => t.src === p.src && t.dst === p.dst && t.sport === p.sport && t.dport === p.dport;
    if (st.dir === 'ORIGINAL') {
      const e = st.entry.has(ns.id) ? undefined : list.find((x) => same(x.orig) || same(x.final));
      return { state: e ? 'ESTABLISHED' : 'NEW', entry: e ?? null };
    }
    for (const e of list) {
      const f = e.final;
      const o = e.orig;
      // The reply as it arrives, after un-SNAT (addressed to the original client), or after un-DNAT as well.
      const raw = p.src === f.dst && p.sport === f.dport && p.dst === f.src && p.dport === f.sport;
      const unSnatted = p.src === f.dst && p.sport === f.dport && p.dst === o.src && p.dport === o.sport;
      const unDnatted = p.src === o.dst && p.sport === o.dport && p.dst === o.src && p.dport === o.sport;
      if (raw || unSnatted || unDnatted) return { state: 'ESTABLISHED', entry: e };
    }
    // A reply this namespace never saw the request of: for TCP (a SYN-ACK without its SYN) and ICMP (an echo
    // reply without its request) conntrack calls it INVALID; UDP has no such state, so it starts a connection.
    return { state: p.proto === 'udp' ? 'NEW' : 'INVALID', entry: null };
  }

  /** The request enters a namespace: a new conntrack entry starts unless this tuple already has one there. */
  private recordEntry(ns: NetnsModel, st: FlowState): void {
    if (st.dir !== 'ORIGINAL' || st.entry.has(ns.id)) return;
    const p = st.pkt;
    const same = (t: Tuple) => t.src === p.src && t.dst === p.dst && t.sport === p.sport && t.dport === p.dport;
    if ((st.ct.get(ns.id) ?? []).some((x) => same(x.orig) || same(x.final))) return;
    st.entry.set(ns.id, tuple(p));
  }

  /** The request leaves (or is delivered in) a namespace: its conntrack entry is now complete. */
  private finalize(ns: NetnsModel, st: FlowState): void {
    if (st.dir !== 'ORIGINAL') return;
    const orig = st.entry.get(ns.id);
    if (!orig) return;
    st.entry.delete(ns.id);
    const list = st.ct.get(ns.id) ?? [];
    st.ct.set(ns.id, [...list, { orig, final: tuple(st.pkt) }]);
  }

  /** Reply direction, before routing: undo the request's SNAT (the reply is addressed to the masqueraded source). */
  private unSnat(ns: NetnsModel, st: FlowState, device: string | null): void {
    if (st.dir !== 'REPLY') return;
    const { entry } = this.ctLookup(ns, st);
    if (!entry) return;
    if (entry.final.src !== entry.orig.src || entry.final.sport !== entry.orig.sport) {
      st.pkt = { ...st.pkt, dst: entry.orig.src, dport: entry.orig.sport };
      this.hop(st, ns, device, 'conntrack', `reply un-SNAT: destination restored to ${entry.orig.src}`, `conntrack ${entry.orig.src}:${entry.orig.sport} -> ${entry.orig.dst}:${entry.orig.dport} (SNAT to ${entry.final.src})`);
    }
  }

  /** Reply direction, after routing (POSTROUTING/INPUT): undo the request's DNAT (the reply comes from the VIP). */
  private unDnat(ns: NetnsModel, st: FlowState, device: string | null): void {
    if (st.dir !== 'REPLY') return;
    const e = this.ctLookup(ns, st).entry;
    if (!e) return;
    // After un-SNAT the packet is addressed to the original source; match the reply to the entry by its source.
    if (st.pkt.src !== e.final.dst || st.pkt.sport !== e.final.dport) return;
    if (e.final.dst !== e.orig.dst || e.final.dport !== e.orig.dport) {
      st.pkt = { ...st.pkt, src: e.orig.dst, sport: e.orig.dport };
      this.hop(st, ns, device, 'conntrack', `reply un-DNAT: source restored to ${e.orig.dst}:${e.orig.dport}`, `conntrack ${e.orig.src}:${e.orig.sport} -> ${e.orig.dst}:${e.orig.dport} (DNAT to ${e.final.dst}:${e.final.dport})`);
    }
  }

  private ctx(ns: NetnsModel, st: FlowState, hook: Hook, inDev: string | null, outDev: string | null, route: RouteEntry | null, bridge: { physIn: string | null; physOut: string | null } | null): HookContext {
    const node = this.nodeOf(ns);
    const ct = this.ctLookup(ns, st);
    const origT = st.dir === 'ORIGINAL' ? (st.entry.get(ns.id) ?? tuple(st.pkt)) : (ct.entry?.orig ?? tuple(st.pkt));
    const nf = this.netfilter(node);
    return {
      model: this.model,
      node,
      hook,
      inDev,
      outDev,
      physIn: bridge?.physIn ?? null,
      physOut: bridge?.physOut ?? null,
      bridged: bridge !== null,
      ct: { state: ct.state, dir: st.dir, orig: origT, dnat: false, snat: false },
      isLocal: (ip) => this.isLocal(ns, ip),
      masqueradeSource: () => route?.prefsrc ?? this.selectSource(ns, this.dev(ns, outDev)),
      rpfilter: (loose) => this.rpCheck(ns, st.pkt, inDev, loose ? 2 : 1) === null,
      inDevAddress: () => this.primaryAddress(this.dev(ns, inDev)),
      ipsetMember: (name, dirs, pkt) => {
        const set = nf?.ipsets?.get(name);
        return set ? ipsetMember(set, dirs, pkt) : null;
      },
      warn: (text) => this.warnOnce(text),
      budget: this.budget,
    };
  }

  /** Runs a hook and turns its steps into hops; returns the surviving and the ended branches. */
  private hook(ns: NetnsModel, st: FlowState, hook: Hook, inDev: string | null, outDev: string | null, route: RouteEntry | null, bridge: { physIn: string | null; physOut: string | null } | null = null): { live: { st: FlowState; ipvs: boolean }[]; ended: PathEnd[] } {
    const node = this.nodeOf(ns);
    // Only the host namespace carries captured rules; pod namespaces have none (the agent reads the host's).
    if (ns.kind !== 'host') return { live: [{ st, ipvs: false }], ended: [] };
    const nf = this.netfilter(node);
    if (!nf) return { live: [{ st, ipvs: false }], ended: [] };
    st.trail.push({ nsId: ns.id, hook, inDev, outDev, route, bridge, pkt: { ...st.pkt } });
    const c = this.ctx(ns, st, hook, inDev, outDev, route, bridge);
    // NAT chains see the first packet of each connection this namespace's conntrack tracks. That is normally the
    // request; a reply that passes a namespace the request did not (an asymmetric path) is new there as well.
    const natAllowed = c.ct.state === 'NEW';
    const outcomes: HookOutcome[] = runHook(nf, c, st.pkt, natAllowed);
    const live: { st: FlowState; ipvs: boolean }[] = [];
    const ended: PathEnd[] = [];
    const single = outcomes.length === 1;
    for (const o of outcomes) {
      const s = single ? st : this.fork(st);
      s.weight = st.weight * o.weight;
      this.budget.keep(o.steps.length);
      // Every step of one hook saw the packet as it entered the hook: one packet object serves them all.
      const packet = { src: s.pkt.src, dst: s.pkt.dst, sport: s.pkt.sport, dport: s.pkt.dport };
      const device = hook === 'prerouting' || hook === 'input' ? inDev : outDev;
      for (const step of o.steps) {
        s.hops.push({ node: ns.node, netns: ns.label, device, stage: step.where.startsWith('ipvs') ? 'ipvs' : 'netfilter', action: `${step.where}: ${step.action}`, packet, evidence: step.evidence });
      }
      s.pkt = { ...o.pkt };
      if (o.verdict === 'accept') live.push({ st: s, ipvs: o.ipvsForward === true });
      else if (o.verdict === 'drop') ended.push({ state: s, verdict: 'dropped', reason: o.reason ?? `dropped in ${hook}`, deliveredTo: null });
      else if (o.verdict === 'reject') ended.push({ state: s, verdict: 'rejected', reason: o.reason ?? `rejected in ${hook}`, deliveredTo: null });
      else ended.push({ state: s, verdict: 'unknown', reason: o.reason ?? 'netfilter state the tracer cannot evaluate', deliveredTo: null });
    }
    return { live, ended };
  }

  /**
   * The TCP handshake's third packet (the client's ACK) takes the request's path. A namespace on that path that
   * the SYN-ACK did not cross has seen only the SYN: its conntrack calls the ACK INVALID (and NAT does not
   * touch it). Runs each such hook again for the ACK; returns where it is dropped, or null when it passes.
   */
  handshakeAck(request: HookCall[], replyNamespaces: Set<string>): { verdict: Verdict; reason: string; hops: Hop[] } | null {
    for (const call of request) {
      if (replyNamespaces.has(call.nsId)) continue;
      const ns = this.model.namespaces.get(call.nsId);
      const nf = ns ? this.netfilter(this.nodeOf(ns)) : null;
      if (!ns || !nf) continue;
      const st = newFlow(call.pkt, 'ORIGINAL');
      const c = this.ctx(ns, st, call.hook, call.inDev, call.outDev, call.route, call.bridge);
      c.ct = { ...c.ct, state: 'INVALID' };
      for (const o of runHook(nf, c, call.pkt, false)) {
        if (o.verdict === 'accept') continue;
        const device = call.hook === 'prerouting' || call.hook === 'input' ? call.inDev : call.outDev;
        const packet = { src: call.pkt.src, dst: call.pkt.dst, sport: call.pkt.sport, dport: call.pkt.dport };
        const why = `${ns.label} on ${ns.node} saw the SYN but not the SYN-ACK, so its conntrack calls the client's ACK INVALID`;
        const hops: Hop[] = [
          { node: ns.node, netns: ns.label, device, stage: 'conntrack', action: 'handshake ACK (client -> server): INVALID here', packet, evidence: why },
          ...o.steps.map((step) => ({ node: ns.node, netns: ns.label, device, stage: 'netfilter', action: `${step.where}: ${step.action}`, packet, evidence: step.evidence })),
        ];
        const verdict: Verdict = o.verdict === 'drop' ? 'dropped' : o.verdict === 'reject' ? 'rejected' : 'unknown';
        return { verdict, reason: `the SYN-ACK comes back another way: ${why}, and ${o.reason ?? `${call.hook} does not accept it`}`, hops };
      }
    }
    return null;
  }

  /** Reverse-path filter; returns null when the packet passes, else the reason it is dropped. */
  private rpCheck(ns: NetnsModel, pkt: NfPacket, inDev: string | null, forceMode?: number): string | null {
    if (!inDev) return null;
    const sys = ns.state.sysctls;
    const mode = forceMode ?? Math.max(sysctlNum(sys, 'net.ipv4.conf.all.rp_filter') ?? 0, sysctlNum(sys, `net.ipv4.conf.${inDev}.rp_filter`) ?? 0);
    const back = lookupRoute(ns.routing, { dst: pkt.src, src: pkt.dst, iif: null, mark: pkt.mark });
    if (mode === 0) {
      if (this.isLocal(ns, pkt.src)) return `martian source: ${pkt.src} is an address of this namespace`;
      return null;
    }
    if (!back.ok) return `rp_filter=${mode}: no route back to ${pkt.src}`;
    if (back.route.type === 'local') return `martian source: ${pkt.src} is an address of this namespace`;
    if (back.route.type !== 'unicast') return `rp_filter=${mode}: the route back to ${pkt.src} is ${back.route.type}`;
    if (mode === 2) return null;
    const devs = back.route.nexthops.length > 0 ? back.route.nexthops.map((n) => n.dev) : [back.route.dev];
    if (devs.includes(inDev)) return null;
    return `rp_filter=1 (strict): ${pkt.src} arrived on ${inDev} but the route back is "${back.route.text}"`;
  }

  // ---- entry points ------------------------------------------------------------------------------------------

  /** A packet generated by a process in `nsId` (the client, or the server answering). */
  originate(nsId: string, st: FlowState): PathEnd[] {
    const ns = this.model.namespaces.get(nsId);
    if (!ns) return this.end(st, 'unknown', `namespace ${nsId} is not in the bundle`);
    const node = this.nodeOf(ns);
    if (!node.observed) return this.end(st, 'unknown', `node ${node.name} was not observed (no snapshot)`);
    this.recordEntry(ns, st);
    return this.routeOutput(ns, st, true);
  }

  private routeOutput(ns: NetnsModel, st: FlowState, runOutputHook: boolean): PathEnd[] {
    const first = lookupRoute(ns.routing, { dst: st.pkt.dst, src: st.pkt.src || null, iif: null, mark: st.pkt.mark });
    if (!first.ok) {
      this.hop(st, ns, null, 'route', `no route to ${st.pkt.dst} (${first.reason})`, first.text);
      return this.end(st, first.reason === 'blackhole' ? 'dropped' : 'no-route', `${ns.label} on ${ns.node}: ${first.text}`);
    }
    const route = first.route;
    if (!st.pkt.src) {
      const src = route.prefsrc ?? this.selectSource(ns, this.dev(ns, route.dev));
      if (!src) return this.end(st, 'no-route', `${ns.label} on ${ns.node}: no source address for ${route.dev ?? 'the route'}`);
      st.pkt = { ...st.pkt, src };
      const e = st.entry.get(ns.id);
      if (e && !e.src) st.entry.set(ns.id, { ...e, src });
    }
    this.hop(st, ns, route.dev, 'route', this.routeAction(route), `${route.text}${route.table !== 'main' ? '' : ''} [rule ${first.rule.text}]`);
    if (!runOutputHook) return this.afterOutput(ns, st, route);
    const dstBefore = st.pkt.dst;
    const h = this.hook(ns, st, 'output', null, route.dev, route);
    const out = [...h.ended];
    for (const { st: s } of h.live) {
      // DNAT in OUTPUT: the kernel routes the packet again.
      if (s.pkt.dst !== dstBefore) out.push(...this.routeOutput(ns, s, false));
      else out.push(...this.afterOutput(ns, s, route));
    }
    return out;
  }

  private routeAction(r: RouteEntry): string {
    if (r.type === 'local') return `local address: deliver in this namespace`;
    return `route${r.gateway ? ` via ${r.gateway}` : ''}${r.dev ? ` dev ${r.dev}` : ''}${r.table !== 'main' ? ` (table ${r.table})` : ''}`;
  }

  private afterOutput(ns: NetnsModel, st: FlowState, route: RouteEntry): PathEnd[] {
    const again = lookupRoute(ns.routing, { dst: st.pkt.dst, src: st.pkt.src, iif: null, mark: st.pkt.mark });
    if (!again.ok) return this.end(st, again.reason === 'blackhole' ? 'dropped' : 'no-route', again.text);
    if (again.route !== route) this.hop(st, ns, again.route.dev, 'route', `re-route after OUTPUT: ${this.routeAction(again.route)}`, again.route.text);
    const r = again.route;
    if (r.type === 'local') {
      // Locally generated to a local address: through lo to INPUT.
      return this.inputPath(ns, st, 'lo', r);
    }
    return this.postrouting(ns, st, r, null, null);
  }

  private postrouting(ns: NetnsModel, st: FlowState, route: RouteEntry, inDev: string | null, bridge: { physIn: string | null; physOut: string | null } | null): PathEnd[] {
    const outDev = bridge ? route.dev : route.dev;
    const h = this.hook(ns, st, 'postrouting', inDev, outDev, route, bridge);
    const out = [...h.ended];
    for (const { st: s } of h.live) {
      this.unDnat(ns, s, outDev);
      this.finalize(ns, s);
      out.push(...this.transmit(ns, s, route));
    }
    return out;
  }

  /** A packet arrives on `devId` in its namespace (from a veth peer, a bridge port, a tunnel or the underlay). */
  receive(nsId: string, devId: string, st: FlowState): PathEnd[] {
    const ns = this.model.namespaces.get(nsId)!;
    const node = this.nodeOf(ns);
    const dev = this.model.devices.get(devId)!;
    if (!node.observed) return this.end(st, 'unknown', `node ${node.name} was not observed (no snapshot)`);
    if (!dev.up) {
      this.hop(st, ns, dev.name, 'link', `${dev.name} is down: the packet is lost`, `${dev.name}: flags ${dev.link.flags.join(',')} operstate ${dev.link.operstate}`);
      return this.end(st, 'dropped', `${dev.name} on ${ns.node} (${ns.label}) is down`);
    }
    if (--st.ttl <= 0) return this.end(st, 'dropped', 'TTL exceeded: the path loops');
    this.recordEntry(ns, st);
    this.unSnat(ns, st, dev.name);
    const h = this.hook(ns, st, 'prerouting', dev.name, null, null);
    const out = [...h.ended];
    for (const { st: s } of h.live) out.push(...this.routeInput(ns, s, dev));
    return out;
  }

  private routeInput(ns: NetnsModel, st: FlowState, dev: DeviceModel): PathEnd[] {
    const res = lookupRoute(ns.routing, { dst: st.pkt.dst, src: st.pkt.src, iif: dev.name, mark: st.pkt.mark });
    if (!res.ok) {
      this.hop(st, ns, dev.name, 'route', `no route to ${st.pkt.dst} (${res.reason})`, res.text);
      const verdict: Verdict = res.reason === 'blackhole' ? 'dropped' : 'no-route';
      return this.end(st, verdict, `${ns.label} on ${ns.node}: ${res.text}`);
    }
    const r = res.route;
    const rp = this.rpCheck(ns, st.pkt, dev.name);
    if (rp) {
      this.hop(st, ns, dev.name, 'rpfilter', 'dropped by reverse-path filtering', rp);
      return this.end(st, 'dropped', `${ns.label} on ${ns.node}: ${rp}`);
    }
    if (r.type === 'local') {
      this.hop(st, ns, dev.name, 'route', this.routeAction(r), `${r.text} [rule ${res.rule.text}]`);
      return this.inputPath(ns, st, dev.name, r);
    }
    if (r.type === 'broadcast' || r.type === 'multicast') return this.end(st, 'dropped', `${st.pkt.dst} is a ${r.type} address`);
    this.hop(st, ns, r.dev, 'route', `forward: ${this.routeAction(r)}`, `${r.text} [rule ${res.rule.text}]`);
    const fwd = sysctlNum(ns.state.sysctls, 'net.ipv4.ip_forward');
    if (fwd === 0) {
      this.hop(st, ns, dev.name, 'route', 'forwarding is off: dropped', 'net.ipv4.ip_forward = 0');
      return this.end(st, 'dropped', `${ns.label} on ${ns.node} does not forward (net.ipv4.ip_forward = 0)`);
    }
    if (fwd === null && ns.kind === 'host') this.warnOnce(`node ${ns.node}: net.ipv4.ip_forward was not captured; assumed on`);
    const h = this.hook(ns, st, 'forward', dev.name, r.dev, r);
    const out = [...h.ended];
    for (const { st: s } of h.live) out.push(...this.postrouting(ns, s, r, dev.name, null));
    return out;
  }

  private inputPath(ns: NetnsModel, st: FlowState, inDev: string, route: RouteEntry): PathEnd[] {
    const h = this.hook(ns, st, 'input', inDev, null, route);
    const out = [...h.ended];
    for (const { st: s, ipvs } of h.live) {
      if (ipvs) {
        // IPVS rewrote the destination at LOCAL_IN and sends the packet on as if generated here.
        out.push(...this.routeOutput(ns, s, false));
        continue;
      }
      this.unDnat(ns, s, inDev);
      this.finalize(ns, s);
      const who = ns.kind === 'pod' ? ns.label : ns.kind === 'host' ? `node ${ns.node}` : ns.label;
      this.hop(s, ns, inDev, 'deliver', `delivered to ${who}`, route.text);
      out.push({ state: s, verdict: 'delivered', reason: `delivered to ${who}`, deliveredTo: ns.id });
    }
    return out;
  }

  // ---- links -------------------------------------------------------------------------------------------------

  private transmit(ns: NetnsModel, st: FlowState, route: RouteEntry): PathEnd[] {
    const nh = route.nexthops[0];
    if (route.nexthops.length > 1) this.warnOnce(`${ns.label} on ${ns.node}: multipath route ${route.text}; only the first next hop is followed`);
    const gateway = nh ? nh.gateway : route.gateway;
    const devName = nh ? nh.dev : route.dev;
    const dev = this.dev(ns, devName);
    if (!dev) return this.end(st, 'unknown', `${ns.label} on ${ns.node}: route device ${devName ?? '(none)'} is not in the snapshot`);
    if (!dev.up) {
      this.hop(st, ns, dev.name, 'link', `${dev.name} is down`, `${dev.name}: flags ${dev.link.flags.join(',')}`);
      return this.end(st, 'dropped', `${dev.name} on ${ns.node} (${ns.label}) is down`);
    }
    const nexthop = gateway ?? st.pkt.dst;
    if (dev.kind === 'loopback') return this.inputPath(ns, st, 'lo', route);
    if (dev.vxlan) return this.vxlan(ns, st, dev, nexthop);
    if (dev.kind === 'ipip' || dev.kind === 'gre') return this.ipTunnel(ns, st, dev, nexthop);
    if (dev.kind === 'bridge') return this.bridgeOut(ns, st, dev, nexthop, null);
    if (dev.peer) return this.vethOut(ns, st, dev, nexthop);
    return this.underlay(ns, st, dev, nexthop);
  }

  private neighEvidence(ns: NetnsModel, dev: DeviceModel, ip: string): string {
    const n = ns.state.neigh.find((x) => x.dst === ip && x.dev === dev.name);
    return n ? `neigh ${n.dst} dev ${n.dev}${n.lladdr ? ` lladdr ${n.lladdr}` : ''} ${n.state.join(',')}` : `ARP for ${ip} on ${dev.name}`;
  }

  /** Does `target` answer ARP for `ip` on `dev` (the interface the request arrives on)? */
  private answersArp(ns: NetnsModel, dev: DeviceModel, ip: string): 'owner' | 'proxy' | null {
    if (this.isLocal(ns, ip) && !ip.startsWith('127.')) return 'owner';
    if (dev.proxyArp) {
      const r = lookupRoute(ns.routing, { dst: ip, src: null, iif: dev.name });
      if (r.ok && r.route.type === 'unicast' && r.route.dev !== dev.name) return 'proxy';
    }
    return null;
  }

  private vethOut(ns: NetnsModel, st: FlowState, dev: DeviceModel, nexthop: string): PathEnd[] {
    const peer = this.model.devices.get(dev.peer!)!;
    const peerNs = this.model.namespaces.get(peer.netns)!;
    if (!peer.up) {
      this.hop(st, ns, dev.name, 'veth', `peer ${peer.name} in ${peerNs.label} is down`, `${peer.name}: flags ${peer.link.flags.join(',')}`);
      return this.end(st, 'dropped', `${peer.name} on ${peerNs.node} (${peerNs.label}) is down`);
    }
    if (peer.master) {
      const bridge = this.model.devices.get(peer.master);
      if (bridge) {
        this.hop(st, ns, dev.name, 'veth', `veth ${dev.name} -> ${peer.name} (port of ${bridge.name}) in ${peerNs.label}`, this.neighEvidence(ns, dev, nexthop));
        return this.bridgeOut(peerNs, st, bridge, nexthop, peer);
      }
    }
    const arp = this.answersArp(peerNs, peer, nexthop);
    if (arp) {
      this.hop(st, ns, dev.name, 'veth', `veth ${dev.name} -> ${peer.name} in ${peerNs.label}${arp === 'proxy' ? ` (proxy ARP answers for ${nexthop})` : ''}`, this.neighEvidence(ns, dev, nexthop));
      return this.receive(peerNs.id, peer.id, st);
    }
    const u = this.underlayTarget(ns, nexthop);
    if (u) return this.underlay(ns, st, dev, nexthop);
    this.hop(st, ns, dev.name, 'neighbour', `nothing behind ${dev.name} answers ARP for ${nexthop}`, this.neighEvidence(ns, dev, nexthop));
    return this.end(st, 'no-route', `${ns.label} on ${ns.node}: no neighbour answers for ${nexthop} on ${dev.name} (host unreachable)`);
  }

  /** A frame enters bridge `bridge` (from the host stack when `ingressPort` is null, else from that port). */
  private bridgeOut(ns: NetnsModel, st: FlowState, bridge: DeviceModel, nexthop: string, ingressPort: DeviceModel | null): PathEnd[] {
    if (!bridge.up) return this.end(st, 'dropped', `bridge ${bridge.name} on ${ns.node} is down`);
    // To the bridge itself (its address, or one the host answers for): the frame goes up the host stack.
    if (ingressPort && this.answersArp(ns, bridge, nexthop)) {
      return this.receive(ns.id, bridge.id, st);
    }
    const ports = this.bridgePorts(ns, bridge);
    for (const port of ports) {
      if (port === ingressPort && !(port.link.linkinfo?.info_slave_data as { hairpin?: boolean } | undefined)?.hairpin) continue;
      const peer = port.peer ? this.model.devices.get(port.peer) : undefined;
      if (!peer) continue;
      const peerNs = this.model.namespaces.get(peer.netns)!;
      if (!this.answersArp(peerNs, peer, nexthop)) continue;
      const portState = (port.link.linkinfo?.info_slave_data as { state?: string } | undefined)?.state;
      if (!port.up || (portState && portState !== 'forwarding')) {
        this.hop(st, ns, port.name, 'bridge', `${bridge.name} port ${port.name} is ${port.up ? portState : 'down'}`, `${port.name}: flags ${port.link.flags.join(',')}`);
        return this.end(st, 'dropped', `bridge port ${port.name} on ${ns.node} is ${port.up ? portState : 'down'}`);
      }
      if (!peer.up) return this.end(st, 'dropped', `${peer.name} in ${peerNs.label} on ${peerNs.node} is down`);
      const fdb = this.nodeOf(ns).snapshot?.bridge.fdb.find((f) => f.mac === peer.mac && f.ifname === port.name);
      const evidence = fdb ? `fdb ${fdb.mac} dev ${fdb.ifname} master ${bridge.name}${fdb.state ? ` ${fdb.state}` : ''}` : `${nexthop} is ${peer.mac ?? '?'} behind ${port.name} (not in the captured FDB: learned on first frame)`;
      this.hop(st, ns, port.name, 'bridge', `${bridge.name} forwards to port ${port.name}`, evidence);
      if (ingressPort) {
        // Bridged (not routed): the IP hooks see it only when br_netfilter is on.
        const r = this.bridged(ns, st, bridge, ingressPort, port);
        if (r.ended) return r.ended;
        return r.live.flatMap((s) => {
          this.hop(s, ns, port.name, 'veth', `veth ${port.name} -> ${peer.name} in ${peerNs.label}`, `${port.name} peer ${peer.name}`);
          return this.receive(peerNs.id, peer.id, s);
        });
      }
      this.hop(st, ns, port.name, 'veth', `veth ${port.name} -> ${peer.name} in ${peerNs.label}`, `${port.name} peer ${peer.name}`);
      return this.receive(peerNs.id, peer.id, st);
    }
    if (this.underlayTarget(ns, nexthop)) return this.underlay(ns, st, bridge, nexthop);
    this.hop(st, ns, bridge.name, 'neighbour', `no port of ${bridge.name} answers ARP for ${nexthop}`, `ports: ${ports.map((p) => p.name).join(', ') || 'none'}`);
    return this.end(st, 'no-route', `${ns.label} on ${ns.node}: nothing on ${bridge.name} answers for ${nexthop} (host unreachable)`);
  }

  /** Ports of a bridge, computed once per bridge (a node may have hundreds of pod veths). */
  private bridgePorts(ns: NetnsModel, bridge: DeviceModel): DeviceModel[] {
    let ports = this.portCache.get(bridge.id);
    if (!ports) {
      ports = ns.devices.map((d) => this.model.devices.get(d)!).filter((d) => d.master === bridge.id);
      this.portCache.set(bridge.id, ports);
    }
    return ports;
  }

  /** br_netfilter: a bridged IPv4 frame traverses PREROUTING, FORWARD and POSTROUTING when bridge-nf-call-iptables=1. */
  private bridged(ns: NetnsModel, st: FlowState, bridge: DeviceModel, inPort: DeviceModel, outPort: DeviceModel): { live: FlowState[]; ended: PathEnd[] | null } {
    const on = sysctlNum(this.nodeOf(ns).sysctls, 'net.bridge.bridge-nf-call-iptables') === 1 && ns.kind === 'host';
    if (!on) return { live: [st], ended: null };
    this.recordEntry(ns, st);
    this.unSnat(ns, st, bridge.name);
    const phys = { physIn: inPort.name, physOut: outPort.name };
    const dstBefore = st.pkt.dst;
    const pre = this.hook(ns, st, 'prerouting', bridge.name, null, null, { physIn: inPort.name, physOut: null });
    const ended: PathEnd[] = [...pre.ended];
    const live: FlowState[] = [];
    for (const { st: s } of pre.live) {
      if (s.pkt.dst !== dstBefore) {
        ended.push(...this.routeInput(ns, s, bridge));
        continue;
      }
      const fwd = this.hook(ns, s, 'forward', bridge.name, bridge.name, null, phys);
      ended.push(...fwd.ended);
      for (const { st: f } of fwd.live) {
        const post = this.hook(ns, f, 'postrouting', bridge.name, bridge.name, null, phys);
        ended.push(...post.ended);
        for (const { st: p } of post.live) {
          this.unDnat(ns, p, bridge.name);
          this.finalize(ns, p);
          live.push(p);
        }
      }
    }
    if (live.length === 1 && ended.length === 0) return { live, ended: null };
    // Branches: continue the live ones, keep the ended ones.
    return { live: [], ended: [...ended, ...live.flatMap((s) => this.continueBridged(ns, s, outPort))] };
  }

  private continueBridged(ns: NetnsModel, st: FlowState, port: DeviceModel): PathEnd[] {
    const peer = this.model.devices.get(port.peer!)!;
    const peerNs = this.model.namespaces.get(peer.netns)!;
    this.hop(st, ns, port.name, 'veth', `veth ${port.name} -> ${peer.name} in ${peerNs.label}`, `${port.name} peer ${peer.name}`);
    return this.receive(peerNs.id, peer.id, st);
  }

  private underlayTarget(ns: NetnsModel, ip: string): { node: NodeModel; dev: DeviceModel | null } | null {
    let found: { node: NodeModel; dev: DeviceModel | null } | null = null;
    for (const o of this.model.addressOwners.get(ip) ?? []) {
      if (o.kind !== 'node' || o.node === ns.node) continue;
      const node = this.model.nodes.get(o.node)!;
      const dev = o.device ? (this.model.devices.get(o.device) ?? null) : null;
      if (dev) return { node, dev };
      found ??= { node, dev };
    }
    return found;
  }

  /** When the destination is a pod (or node) the bundle knows but did not observe: why the walk cannot go on. */
  private unseenDestination(ip: string): string | null {
    for (const o of this.model.addressOwners.get(ip) ?? []) {
      if (o.kind === 'pod') {
        const pod = this.model.pods.get(o.pod);
        const node = pod?.node ? this.model.nodes.get(pod.node) : undefined;
        if (!node) return `${ip} is pod ${o.pod}, whose node ${pod?.node ?? '(none)'} is not in the bundle`;
        if (!node.observed) return `${ip} is pod ${o.pod} on node ${node.name}, which was not observed (no snapshot)`;
      }
      if (o.kind === 'node') {
        const node = this.model.nodes.get(o.node);
        if (node && !node.observed) return `${ip} is node ${node.name}, which was not observed (no snapshot)`;
      }
    }
    return null;
  }

  /** Out of a node's own interface towards another node's address (or out of the cluster). */
  private underlay(ns: NetnsModel, st: FlowState, dev: DeviceModel, nexthop: string): PathEnd[] {
    const t = this.underlayTarget(ns, nexthop);
    if (!t) {
      // Another namespace this node's snapshot shows (a lab's switch and gateway, a router namespace).
      const devOwner = (this.model.addressOwners.get(nexthop) ?? [])
        .map((o) => (o.kind === 'device' ? this.model.devices.get(o.device) : undefined))
        .find((d): d is DeviceModel => d !== undefined && d.node === ns.node && d.netns !== ns.id);
      if (devOwner) {
        const ons = this.model.namespaces.get(devOwner.netns)!;
        this.hop(st, ns, dev.name, 'link', `${dev.name} -> ${devOwner.name} in ${ons.label} (${nexthop})`, `${nexthop} is ${devOwner.name} in ${ons.label}`);
        return this.receive(ons.id, devOwner.id, st);
      }
      const unseen = this.unseenDestination(st.pkt.dst);
      if (unseen) return this.end(st, 'unknown', unseen);
      const owners = this.model.addressOwners.get(nexthop) ?? [];
      if (owners.length === 0 || owners.every((o) => o.kind === 'service')) {
        this.hop(st, ns, dev.name, 'route', `leaves the cluster via ${nexthop}`, `${nexthop} is not an address of any node, pod or device in the bundle`);
        return this.end(st, 'left-cluster', `leaves ${ns.node} through ${dev.name} towards ${nexthop}, which is not a cluster node`);
      }
      return this.end(st, 'unknown', `${ns.label} on ${ns.node}: cannot follow ${dev.name} to ${nexthop}`);
    }
    if (!t.node.observed || !t.dev) {
      this.hop(st, ns, dev.name, 'link', `to node ${t.node.name} (${nexthop}), which was not observed`, `${nexthop} is node ${t.node.name}'s address`);
      return this.end(st, 'unknown', `the path enters node ${t.node.name}, which has no snapshot`);
    }
    const tns = this.model.namespaces.get(t.dev.netns)!;
    this.hop(st, ns, dev.name, 'link', `underlay: ${dev.name} -> node ${t.node.name} ${t.dev.name} (${nexthop})`, `${nexthop} is ${t.dev.name} of node ${t.node.name}`);
    return this.receive(tns.id, t.dev.id, st);
  }

  private vxlan(ns: NetnsModel, st: FlowState, dev: DeviceModel, nexthop: string): PathEnd[] {
    const vx = dev.vxlan!;
    const neigh = ns.state.neigh.find((n) => n.dst === nexthop && n.dev === dev.name && n.lladdr);
    if (!neigh?.lladdr) {
      this.hop(st, ns, dev.name, 'neighbour', `no neighbour entry for ${nexthop} on ${dev.name}`, `ip neigh show dev ${dev.name}: nothing for ${nexthop}`);
      return this.end(st, 'dropped', `${ns.node}: ${dev.name} has no neighbour (VTEP MAC) for ${nexthop}`);
    }
    const fdb = vx.fdb.find((f) => f.mac === neigh.lladdr) ?? vx.fdb.find((f) => f.mac === '00:00:00:00:00:00');
    if (!fdb?.dst) {
      this.hop(st, ns, dev.name, 'tunnel', `no FDB entry for VTEP ${neigh.lladdr} on ${dev.name}: no underlay destination`, `bridge fdb show dev ${dev.name}: nothing for ${neigh.lladdr}`);
      return this.end(st, 'dropped', `${ns.node}: ${dev.name} has no FDB entry for ${neigh.lladdr}, so the frame has no underlay destination`);
    }
    const under = lookupRoute(ns.routing, { dst: fdb.dst, src: vx.local, iif: null });
    if (!under.ok) return this.end(st, 'no-route', `${ns.node}: no underlay route to VTEP ${fdb.dst}: ${under.text}`);
    const remote = this.underlayTarget(ns, fdb.dst);
    // The outer UDP datagram is generated by this host: it traverses OUTPUT and POSTROUTING here, and
    // PREROUTING and INPUT on the receiving node.
    const outer = this.outerHooks(ns, st, { src: vx.local ?? this.primaryAddress(this.dev(ns, under.route.dev)) ?? '', dst: fdb.dst, sport: 0, dport: vx.port ?? 8472, proto: 'udp', mark: 0 }, ['output', 'postrouting'], null, under.route.dev);
    if (outer) return outer;
    this.hop(st, ns, dev.name, 'tunnel', `VXLAN encapsulation VNI ${vx.vni ?? '?'}: ${vx.local ?? '?'} -> ${fdb.dst}:${vx.port ?? 8472} (node ${remote?.node.name ?? '?'}) via ${under.route.dev ?? '?'}`, `neigh ${nexthop} lladdr ${neigh.lladdr}; fdb ${fdb.mac} dev ${dev.name} dst ${fdb.dst}; ${under.route.text}`);
    if (!remote) return this.end(st, this.unseenDestination(st.pkt.dst) ? 'unknown' : 'left-cluster', this.unseenDestination(st.pkt.dst) ?? `VXLAN to ${fdb.dst}, which is not a cluster node`);
    if (!remote.node.observed) return this.end(st, 'unknown', `the path enters node ${remote.node.name}, which has no snapshot`);
    const rhost = this.model.namespaces.get(remote.node.hostNetns)!;
    const rdev = rhost.devices.map((d) => this.model.devices.get(d)!).find((d) => d.vxlan && d.vxlan.vni === vx.vni);
    if (!rdev) return this.end(st, 'dropped', `node ${remote.node.name} has no VXLAN device with VNI ${vx.vni}`);
    const underDev = remote.dev?.name ?? null;
    const outerIn = this.outerHooks(rhost, st, { src: vx.local ?? '', dst: fdb.dst, sport: 0, dport: vx.port ?? 8472, proto: 'udp', mark: 0 }, ['prerouting', 'input'], underDev, null);
    if (outerIn) return outerIn;
    this.hop(st, rhost, rdev.name, 'tunnel', `VXLAN decapsulation on ${rdev.name} (node ${remote.node.name})`, `${rdev.name}: vxlan id ${rdev.vxlan!.vni} local ${rdev.vxlan!.local ?? '?'}`);
    return this.receive(rhost.id, rdev.id, st);
  }

  /**
   * Runs hooks for a tunnel's outer packet (its own connection, not the inner one). Its rule hits join the path's
   * hops; returns the path's end when a hook does not accept it, else null.
   */
  private outerHooks(ns: NetnsModel, st: FlowState, outer: NfPacket, hooks: Hook[], inDev: string | null, outDev: string | null): PathEnd[] | null {
    // The outer packet is its own connection: its hooks are not the inner flow's trail.
    let o: FlowState = { ...st, pkt: outer, hops: [], ct: new Map(), entry: new Map(), dir: 'ORIGINAL', trail: [] };
    this.recordEntry(ns, o);
    for (const hook of hooks) {
      const h = this.hook(ns, o, hook, hook === 'prerouting' || hook === 'input' ? inDev : null, hook === 'output' || hook === 'postrouting' ? outDev : null, null);
      if (h.ended.length > 0 || h.live.length !== 1) {
        const e = h.ended[0];
        st.hops.push(...(e?.state.hops ?? []));
        return this.end(st, e?.verdict ?? 'unknown', `the tunnel's outer packet ${outer.src} -> ${outer.dst}:${outer.dport}/udp: ${e?.reason ?? 'forks'}`);
      }
      o = h.live[0]!.st;
    }
    st.hops.push(...o.hops);
    return null;
  }

  private ipTunnel(ns: NetnsModel, st: FlowState, dev: DeviceModel, nexthop: string): PathEnd[] {
    const remote = this.underlayTarget(ns, nexthop);
    if (!remote) return this.end(st, 'left-cluster', `${dev.kind} tunnel to ${nexthop}, which is not a cluster node`);
    if (!remote.node.observed) return this.end(st, 'unknown', `the path enters node ${remote.node.name}, which has no snapshot`);
    const rhost = this.model.namespaces.get(remote.node.hostNetns)!;
    const rdev = rhost.devices.map((d) => this.model.devices.get(d)!).find((d) => d.kind === dev.kind);
    if (!rdev) return this.end(st, 'dropped', `node ${remote.node.name} has no ${dev.kind} device`);
    this.hop(st, ns, dev.name, 'tunnel', `${dev.kind} encapsulation to ${nexthop} (node ${remote.node.name})`, `route via ${nexthop} dev ${dev.name}`);
    return this.receive(rhost.id, rdev.id, st);
  }
}

export function newFlow(pkt: NfPacket, dir: 'ORIGINAL' | 'REPLY', ct: Map<string, CtEntry[]> = new Map()): FlowState {
  return { pkt, weight: 1, hops: [], dir, ct, entry: new Map(), ttl: 32, warnings: [], trail: [] };
}

export { fmt as formatPacket };
