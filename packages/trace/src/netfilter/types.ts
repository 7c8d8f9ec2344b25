import type { ClusterModel, NodeModel } from '@patchbay/resolve';
import type { TraceBudget } from '../limits.js';

// The one interface every dataplane reader implements (iptables, nft, IPVS): it offers base chains per hook,
// each with the kernel priority it runs at, so the registry can interleave backends in the kernel's order.

export type Hook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';
export type L4 = 'tcp' | 'udp' | 'icmp';

export interface NfPacket {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  proto: L4;
  mark: number;
}

export type CtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID';

export interface HookContext {
  model: ClusterModel;
  node: NodeModel;
  hook: Hook;
  /** Incoming / outgoing interface names (null when the hook has none). */
  inDev: string | null;
  outDev: string | null;
  /** Bridge ports when the packet is bridged and br_netfilter runs the IP hooks for it. */
  physIn: string | null;
  physOut: string | null;
  bridged: boolean;
  ct: {
    state: CtState;
    /** Direction of this packet relative to its connection. */
    dir: 'ORIGINAL' | 'REPLY';
    /** The connection's original tuple (before any NAT). */
    orig: { src: string; dst: string; sport: number; dport: number };
    dnat: boolean;
    snat: boolean;
  };
  /** addrtype LOCAL: an address of the namespace the hook runs in. */
  isLocal(ip: string): boolean;
  /** The address MASQUERADE would use: the outgoing route's preferred source or the device's primary address. */
  masqueradeSource(): string | null;
  /** Reverse-path check for -m rpfilter / fib saddr: true when the source routes back through inDev. */
  rpfilter(loose: boolean): boolean;
  /** Address of the incoming interface (REDIRECT). */
  inDevAddress(): string | null;
  /** ipset membership for -m set; null when the node's ipsets were not captured or the set is unknown. */
  ipsetMember(name: string, dirs: ReadonlyArray<'src' | 'dst'>, pkt: NfPacket): boolean | null;
  /** Adds a warning to the trace (once): something about the rules this hook read that it could not model. */
  warn(text: string): void;
  /** What the whole trace may still spend: every rule visit and kept step is counted against it. */
  budget: TraceBudget;
}

export interface NfStep {
  /** "iptables nat/PREROUTING", "nft ip kube-proxy/services", "ipvs". */
  where: string;
  action: string;
  evidence: string;
}

export type NfVerdict = 'accept' | 'drop' | 'reject' | 'unknown';

export interface HookOutcome {
  /** Share of packets that take this outcome, relative to the packets that entered the base chain. */
  weight: number;
  verdict: NfVerdict;
  /** For drop/reject/unknown: why, in words. */
  reason: string | null;
  pkt: NfPacket;
  steps: NfStep[];
  /** Set by IPVS: the packet was rewritten at LOCAL_IN and is sent on as if generated locally. */
  ipvsForward?: boolean;
}

export interface BaseChain {
  backend: 'iptables' | 'nft' | 'ipvs';
  hook: Hook;
  prio: number;
  /** "nat/PREROUTING", "ip kube-proxy/nat-prerouting". */
  name: string;
  /** NAT base chains see only the first packet of a connection (conntrack NEW). */
  nat: boolean;
  run(ctx: HookContext, pkt: NfPacket): HookOutcome[];
}

export interface NetfilterEvaluator {
  backend: 'iptables' | 'nft' | 'ipvs';
  baseChains(hook: Hook): BaseChain[];
  /** What this reader could not interpret (unknown modules, unreadable sections). */
  warnings: string[];
}
