import { createTRPCReact } from '@trpc/react-query';
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@patchbay/api';

// The web app talks to the server over tRPC only; the router's type is all it takes from @patchbay/api.
export const trpc = createTRPCReact<AppRouter>();

export type Outputs = inferRouterOutputs<AppRouter>;
export type ClusterMapData = Outputs['clusterMap'];
export type NodeWiringData = Outputs['node'];
export type PodData = Outputs['pod'];
export type ServiceData = Outputs['service'];
export type TraceData = Outputs['trace'];
export type SearchHitData = Outputs['search'][number];
export type DeviceData = NodeWiringData['devices'][number];
