import { z } from 'zod';
import { run } from './exec.js';
import { PROBE_CLIENT } from './podServers.js';

// Ground truth: one bounded attempt, sent by the kernel from inside a lab namespace.

export type ProbeOutcome = 'delivered' | 'refused' | 'unreachable' | 'timeout';
export interface ProbeResult {
  outcome: ProbeOutcome;
  /** The pod name that answered (TCP/UDP), or null. */
  server: string | null;
  detail: string;
}
export interface ProbeTarget {
  ip: string;
  port?: number;
  proto: 'tcp' | 'udp' | 'icmp';
}
export interface ProbeOptions {
  /** Default 1500 ms, at most 10 s. */
  timeoutMs?: number;
  /** Payload bytes (TCP: sent after the greeting and acknowledged; UDP: datagram size; ICMP: ping -s). */
  size?: number;
}

export const ProbeTargetSchema = z.strictObject({
  ip: z.ipv4(),
  port: z.number().int().min(1).max(65535).optional(),
  proto: z.enum(['tcp', 'udp', 'icmp']),
});

const ProbeOutput = z.object({
  outcome: z.enum(['delivered', 'refused', 'unreachable', 'timeout']),
  server: z.string().nullable(),
  detail: z.string(),
});

export async function probe(netns: string, target: ProbeTarget, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const t = ProbeTargetSchema.parse(target);
  const timeoutMs = Math.max(100, Math.min(opts.timeoutMs ?? 1500, 10_000));
  const size = Math.max(0, Math.min(opts.size ?? 0, 65_000));
  if (t.proto === 'icmp') {
    const args = ['netns', 'exec', netns, 'ping', '-n', '-c', '1', '-W', (timeoutMs / 1000).toFixed(1), ...(size ? ['-s', String(size), '-M', 'do'] : []), t.ip];
    const r = await run('ip', args, { timeoutMs: timeoutMs + 3000 });
    const out = `${r.stdout}\n${r.stderr}`;
    if (/ 1 received/.test(out)) return { outcome: 'delivered', server: null, detail: out.split('\n').find((l) => l.includes('bytes from'))?.trim() ?? 'echo reply' };
    const err = out.split('\n').find((l) => /Unreachable|unreachable|Network is|No route|Prohibited/.test(l));
    if (err) return { outcome: 'unreachable', server: null, detail: err.trim() };
    if (/Cannot open netns|No such file/.test(out)) throw new Error(`probe from ${netns}: ${out.trim()}`);
    return { outcome: 'timeout', server: null, detail: `no echo reply within ${timeoutMs} ms` };
  }
  if (t.port === undefined) throw new Error(`a ${t.proto} probe needs a port`);
  const args = ['netns', 'exec', netns, process.execPath, PROBE_CLIENT, '--ip', t.ip, '--port', String(t.port), '--proto', t.proto, '--timeout', String(timeoutMs)];
  if (size) args.push('--size', String(size));
  // The probe's own timeout bounds the network wait; this outer bound only catches a hung client, and must not
  // fire on a loaded machine where starting a Node process takes seconds.
  const r = await run('ip', args, { timeoutMs: timeoutMs + 20_000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return ProbeOutput.parse(JSON.parse(line));
  } catch {
    throw new Error(`probe from ${netns} to ${t.ip}:${t.port}/${t.proto} failed to run (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  }
}
