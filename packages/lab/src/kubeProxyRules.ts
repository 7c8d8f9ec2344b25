import type { ClusterObjects } from '@patchbay/schema';
import * as kubeProxy from './kubeProxy/index.js';
import type { LabPlan, NodePlan } from './plan.js';

// Bridges the lab to the rule writers in ./kubeProxy (another module's work): the lab never writes kube-proxy
// rules itself. Looked up at run time so the lab builds before the writers land.

type Render = (cluster: ClusterObjects, opts: { nodeName: string; nodeIPs: string[]; clusterCIDR: string; serviceCIDR: string; counters?: boolean }) => string;

function writer(name: 'renderIptablesRules' | 'renderNftRules'): Render {
  const fn = (kubeProxy as Record<string, unknown>)[name];
  if (typeof fn !== 'function') throw new Error(`kube-proxy rule writer ${name} is not available in packages/lab/src/kubeProxy yet; use kubeProxy "none"`);
  return fn as Render;
}

export function kubeProxyRules(plan: LabPlan, node: NodePlan, cluster: ClusterObjects): { kind: 'iptables' | 'nftables'; text: string } | null {
  const mode = plan.scenario.kubeProxy;
  if (mode === 'none') return null;
  const opts = {
    nodeName: node.name,
    nodeIPs: [node.internalIP],
    clusterCIDR: plan.scenario.clusterCIDR,
    serviceCIDR: plan.scenario.serviceCIDR,
    counters: true,
  };
  if (mode === 'iptables') return { kind: 'iptables', text: writer('renderIptablesRules')(cluster, opts) };
  return { kind: 'nftables', text: writer('renderNftRules')(cluster, opts) };
}
