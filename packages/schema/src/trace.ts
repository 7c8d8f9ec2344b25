import { z } from 'zod';

// The trace object: what `patchbay trace --json` prints and the API returns (DESIGN.md "Trace object").

export const Verdict = z.enum(['delivered', 'rejected', 'dropped', 'no-route', 'left-cluster', 'unknown', 'partial']);
export type Verdict = z.infer<typeof Verdict>;

export const Proto = z.enum(['tcp', 'udp', 'icmp']);
export type Proto = z.infer<typeof Proto>;

export const Stage = z.enum(['route', 'netfilter', 'bridge', 'veth', 'tunnel', 'ipvs', 'deliver', 'policy', 'conntrack', 'rpfilter', 'neighbour', 'link', 'socket']).or(z.string());

export const Packet = z.looseObject({
  src: z.string(),
  dst: z.string(),
  sport: z.number().int(),
  dport: z.number().int(),
});
export type Packet = z.infer<typeof Packet>;

export const Hop = z.looseObject({
  node: z.string().nullable(),
  netns: z.string(),
  device: z.string().nullable(),
  stage: Stage,
  action: z.string(),
  packet: Packet,
  evidence: z.string(),
});
export type Hop = z.infer<typeof Hop>;

export const PathEndpoint = z.strictObject({
  pod: z.string().nullable(),
  node: z.string().nullable(),
  ip: z.string(),
  port: z.number().int().nullable(),
});

export const TracePath = z.looseObject({
  verdict: Verdict,
  endpoint: PathEndpoint.nullable(),
  weight: z.number().min(0).max(1),
  hops: z.array(Hop),
  reply: z.looseObject({ verdict: Verdict, hops: z.array(Hop) }).nullable(),
});
export type TracePath = z.infer<typeof TracePath>;

export const TraceQuery = z.strictObject({
  from: z.string(),
  to: z.string(),
  proto: Proto,
  port: z.number().int().min(1).max(65535).nullable(),
});
export type TraceQuery = z.infer<typeof TraceQuery>;

export const Trace = z.looseObject({
  query: TraceQuery,
  verdict: Verdict,
  summary: z.string(),
  paths: z.array(TracePath),
  warnings: z.array(z.string()),
});
export type Trace = z.infer<typeof Trace>;
