import type { Hop, Trace } from '@patchbay/schema';
import { escapeControls, jsonForTerminal } from './terminalText.js';

// The hop table people read (what `patchbay trace` prints without --json). Plain text, fixed columns. Its values
// come from the bundle or the query, so they are escaped (terminalText.ts): a table's cells before they are
// measured and padded, then every finished line (escaping twice changes nothing).

const e = escapeControls;

function pkt(h: Hop): string {
  const p = h.packet;
  return p.sport || p.dport ? `${p.src}:${p.sport} > ${p.dst}:${p.dport}` : `${p.src} > ${p.dst}`;
}

function table(hops: Hop[], indent: string): string[] {
  const rows = hops.map((h, i) => [String(i + 1), h.node ?? '-', h.netns, h.device ?? '-', String(h.stage), h.action, pkt(h)].map(e));
  const head = ['#', 'node', 'netns', 'dev', 'stage', 'action', 'packet'];
  const widths = head.map((t, c) => Math.min(c === 5 ? 70 : 40, Math.max(t.length, ...rows.map((r) => r[c]!.length))));
  const line = (r: string[]) => indent + r.map((v, c) => (c === r.length - 1 ? v : v.length > widths[c]! ? `${v.slice(0, widths[c]! - 1)}…` : v.padEnd(widths[c]!))).join('  ');
  const out = [line(head)];
  hops.forEach((h, i) => {
    out.push(line(rows[i]!));
    if (h.evidence) out.push(`${indent}${' '.repeat(widths[0]! + 2)}└ ${e(h.evidence)}`);
  });
  return out;
}

export function formatTrace(t: Trace): string {
  const out: string[] = [];
  out.push(`${t.query.from} -> ${t.query.to} (${t.query.proto}${t.query.port ? ` port ${t.query.port}` : ''})`);
  out.push(`verdict: ${t.verdict}`);
  out.push(t.summary);
  t.paths.forEach((p, i) => {
    const ep = p.endpoint ? `${p.endpoint.pod ? `pod/${p.endpoint.pod}` : p.endpoint.ip}${p.endpoint.port ? `:${p.endpoint.port}` : ''}${p.endpoint.node ? ` on ${p.endpoint.node}` : ''}` : 'no endpoint';
    out.push('');
    out.push(`path ${i + 1}/${t.paths.length}: ${p.verdict}, weight ${Math.round(p.weight * 1000) / 10}%, endpoint ${ep}`);
    const reason = (p as { reason?: string }).reason;
    if (reason && p.verdict !== 'delivered') out.push(`  why: ${reason}`);
    out.push(...table(p.hops, '  '));
    if (p.reply) {
      out.push(`  reply: ${p.reply.verdict}`);
      out.push(...table(p.reply.hops, '    '));
    }
    const pol = (p as { policy?: { egress: { reason: string } | null; ingress: { reason: string } | null } }).policy;
    if (pol) out.push(`  policy: ${[pol.egress?.reason, pol.ingress?.reason].filter(Boolean).join('; ')}`);
  });
  const pol = (t as { policy?: { cni: string; enforced: boolean | null } }).policy;
  if (pol) out.push('', `NetworkPolicy enforcement by the CNI (${pol.cni}): ${pol.enforced === null ? 'unknown' : pol.enforced ? 'yes' : 'no'}`);
  if (t.warnings.length > 0) {
    out.push('', 'warnings:');
    for (const w of t.warnings) out.push(`  - ${w}`);
  }
  return out.map(e).join('\n');
}

/** The trace object as `patchbay trace --json` prints it: JSON that is safe on a terminal (terminalText.ts). */
export function formatTraceJson(t: Trace): string {
  return jsonForTerminal(t);
}
