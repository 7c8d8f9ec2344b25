import { must, mustIn } from './exec.js';
import type { FaultName } from './faultNames.js';
import type { LabPlan } from './plan.js';

// Plants faults into a built lab. stale-service-rule is not here: startLab makes it through the API (kube-proxy
// is stopped on every node after its first sync, then the cart pod is deleted; its namespace is never built).

export async function plantFault(plan: LabPlan, fault: FaultName): Promise<void> {
  const { fromNode, toNode, dbPod } = plan.targets;
  switch (fault) {
    case 'missing-route':
      await must('ip', ['-n', fromNode.netns, 'route', 'del', toNode.podCIDR]);
      return;
    case 'drop-rule':
      await mustIn(dbPod!.node.netns, 'iptables', ['-w', '-I', 'FORWARD', '1', '-d', `${dbPod!.ip}/32`, '-p', 'tcp', '-j', 'DROP']);
      return;
    case 'down-veth':
      await must('ip', ['-n', dbPod!.node.netns, 'link', 'set', dbPod!.hostVeth, 'down']);
      return;
    case 'stale-service-rule':
      return;
    case 'mtu-mismatch':
      await must('ip', ['-n', toNode.netns, 'link', 'set', 'eth0', 'mtu', '1400']);
      // A NIC drops received frames longer than its MTU; macvlan does not (and this kernel has no tc actions), so a
      // netdev ingress rule does what the NIC would. Its table name says it is the lab's stand-in.
      await mustIn(toNode.netns, 'nft', ['-f', '-'], {
        input: 'table netdev lab-nic-mtu {\n chain ingress {\n  type filter hook ingress device "eth0" priority -500; policy accept;\n  meta length > 1400 counter drop comment "NIC receive limit: frames over the 1400-byte MTU"\n }\n}\n',
      });
      return;
    case 'missing-fdb':
      await must('bridge', ['-n', fromNode.netns, 'fdb', 'del', toNode.vtepMac, 'dev', 'flannel.1', 'dst', toNode.internalIP, 'self']);
      return;
    case 'asymmetric-return':
      if (plan.scenario.cni === 'flannel-vxlan') {
        await must('ip', ['-n', toNode.netns, 'route', 'replace', fromNode.podCIDR, 'via', fromNode.internalIP, 'dev', 'eth0']);
      } else {
        // The third node forwards what it gets (and, as a forwarding node, n2 ignores its ICMP redirects).
        const proto = plan.scenario.cni === 'calico-routed' ? ['proto', 'bird'] : [];
        await must('ip', ['-n', toNode.netns, 'route', 'replace', fromNode.podCIDR, 'via', plan.targets.viaNode!.internalIP, 'dev', 'eth0', ...proto]);
      }
      return;
  }
}
