import type { ClusterObjects } from '@patchbay/schema';
import { renderIptablesRules, renderNftRules, type KubeProxyOptions } from './kubeProxy/index.js';
import type { LabPlan, NodePlan } from './plan.js';

// The lab never writes kube-proxy rules itself: it feeds the rule writers in ./kubeProxy the cluster that
// kube-proxy last saw and loads what they print.

export function kubeProxyRules(plan: LabPlan, node: NodePlan, cluster: ClusterObjects): { kind: 'iptables' | 'nftables'; text: string } | null {
  const mode = plan.scenario.kubeProxy;
  if (mode === 'none') return null;
  const opts: KubeProxyOptions = {
    nodeName: node.name,
    nodeIPs: [node.internalIP],
    clusterCIDR: plan.scenario.clusterCIDR,
    serviceCIDR: plan.scenario.serviceCIDR,
    counters: true,
  };
  if (mode === 'iptables') return { kind: 'iptables', text: renderIptablesRules(cluster, opts) };
  return { kind: 'nftables', text: renderNftRules(cluster, opts) };
}
