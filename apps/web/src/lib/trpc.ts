import { createTRPCReact, type CreateTRPCReact } from '@trpc/react-query';
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@patchbay/api';

// The web app talks to the server over tRPC only; the router's type is all it takes from @patchbay/api.
// Annotated so that a declaration build (the server's type-check reaches this file through a test) can name
// the type without reaching into @patchbay/api's internals.
export const trpc: CreateTRPCReact<AppRouter, unknown> = createTRPCReact<AppRouter>();

/**
 * Options for the dashboard's httpBatchLink (`httpBatchLink({ url, ...batchLinkOptions })`). The server refuses
 * a batch of more than 10 procedures with a 400 (MAX_BATCH_SIZE in apps/server/src/http/server.ts), so the link
 * splits larger ones; maxURLLength keeps each GET well under Node's 16 KB header limit by splitting a batch
 * whose URL would pass 4,000 characters (one call that is longer on its own is still sent alone).
 */
export const batchLinkOptions = { maxItems: 10, maxURLLength: 4000 } as const;

export type Outputs = inferRouterOutputs<AppRouter>;
export type ClusterMapData = Outputs['clusterMap'];
export type NodeWiringData = Outputs['node'];
export type PodData = Outputs['pod'];
export type ServiceData = Outputs['service'];
export type TraceData = Outputs['trace'];
export type SearchHitData = Outputs['search'][number];
export type DeviceData = NodeWiringData['devices'][number];
