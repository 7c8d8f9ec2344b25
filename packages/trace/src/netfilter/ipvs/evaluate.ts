import { parseIpvsadmWithWarnings, type IpvsService } from '@patchbay/parse';
import type { BaseChain, Hook, HookContext, HookOutcome, NetfilterEvaluator, NfPacket } from '../types.js';

// IPVS (kube-proxy's IPVS mode) as a netfilter-like stage: a virtual server matching the destination takes the
// packet at LOCAL_IN (priority 98, after filter INPUT) — or at LOCAL_OUT (-98) for the node's own traffic —
// picks a real server and rewrites the destination (Masq forwarding). Each real server becomes a path weighted
// by its scheduler weight. A virtual server with no real servers drops new connections.

export class IpvsEvaluator implements NetfilterEvaluator {
  readonly backend = 'ipvs' as const;
  readonly warnings: string[] = [];
  private readonly byKey = new Map<string, IpvsService>();

  constructor(text: string) {
    try {
      const r = parseIpvsadmWithWarnings(text);
      for (const w of r.warnings.slice(0, 20)) this.warnings.push(`ipvsadm line ${w.line}: ${w.message}`);
      for (const s of r.services) if (s.vip && s.port !== null && s.protocol) this.byKey.set(`${s.protocol}|${s.vip}|${s.port}`, s);
    } catch (err) {
      this.warnings.push(`ipvsadm output could not be parsed: ${(err as Error).message}`);
    }
  }

  get hasServices(): boolean {
    return this.byKey.size > 0;
  }

  baseChains(hook: Hook): BaseChain[] {
    if (hook === 'input') return [{ backend: 'ipvs', hook, prio: 98, name: 'LOCAL_IN', nat: false, run: (ctx, pkt) => this.run(ctx, pkt, true) }];
    if (hook === 'output') return [{ backend: 'ipvs', hook, prio: -98, name: 'LOCAL_OUT', nat: false, run: (ctx, pkt) => this.run(ctx, pkt, false) }];
    return [];
  }

  private run(ctx: HookContext, pkt: NfPacket, forward: boolean): HookOutcome[] {
    const svc = this.byKey.get(`${pkt.proto}|${pkt.dst}|${pkt.dport}`);
    if (!svc || (ctx.ct.state !== 'NEW' && ctx.ct.dir === 'ORIGINAL')) return [{ weight: 1, verdict: 'accept', reason: null, pkt, steps: [] }];
    const where = `ipvs ${svc.protocol?.toUpperCase()} ${svc.vip}:${svc.port}`;
    const real = svc.realServers.filter((r) => r.weight > 0);
    if (real.length === 0) {
      return [{ weight: 1, verdict: 'drop', reason: `IPVS virtual server ${svc.vip}:${svc.port} has no real servers`, pkt, steps: [{ where, action: 'no real server: dropped', evidence: svc.raw }] }];
    }
    const total = real.reduce((a, r) => a + r.weight, 0);
    return real.map((r) => ({
      weight: r.weight / total,
      verdict: 'accept' as const,
      reason: null,
      pkt: { ...pkt, dst: r.address, dport: r.port },
      steps: [{ where, action: `${svc.scheduler}${svc.persistent ? ` persistent ${svc.persistent}` : ''}: ${r.forward} to ${r.address}:${r.port}`, evidence: `${svc.raw}\n  ${r.raw}` }],
      ...(forward ? { ipvsForward: true } : {}),
    }));
  }
}
