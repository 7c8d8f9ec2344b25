import type { LabPlan, PodPlan } from '../plan.js';

// What the lab creates through the API for a planned lab, as a kubelet, a scheduler and a user would: Nodes
// (spec, then their addresses as status), Namespaces, Pods bound to their node (then Running/Ready status with
// the address the lab wired), Services (and a LoadBalancer's ingress as status) and NetworkPolicies. The only
// EndpointSlices here are those of selector-less services, which an operator writes by hand; every other slice
// comes from the EndpointSlice controller. Server-set fields (uid, resourceVersion, clusterIP allocation bookkeeping) are left to the API server.

export interface ApiObjects {
  namespaces: object[];
  nodes: object[];
  /** Node name -> its status (addresses), patched after creation. */
  nodeStatus: Map<string, object>;
  pods: object[];
  /** "ns/name" -> the pod's status, patched after creation. */
  podStatus: Map<string, object>;
  services: object[];
  /** "ns/name" -> status.loadBalancer, patched in as a load-balancer controller would. */
  serviceStatus: Map<string, object>;
  /** The EndpointSlices of selector-less services, written by hand as an operator would. */
  endpointSlices: object[];
  networkPolicies: object[];
  /** Pods ("ns/name") to delete once they are Ready: a finalizer keeps each running and terminating. */
  terminating: string[];
}

/** Holds a deleted pod in Terminating (no kubelet will ever remove it): the lab's own finalizer. */
export const TERMINATING_FINALIZER = 'patchbay.dev/lab-terminating';

/** A kubelet's node annotations that Patchbay reads (flannel's VTEP, Calico's address). */
function nodeAnnotations(plan: LabPlan, n: LabPlan['nodes'][number]): Record<string, string> {
  const cni = plan.scenario.cni;
  if (cni === 'calico-routed') return { 'projectcalico.org/IPv4Address': `${n.internalIP}/24` };
  return {
    'flannel.alpha.coreos.com/backend-type': cni === 'flannel-vxlan' ? 'vxlan' : 'host-gw',
    'flannel.alpha.coreos.com/backend-data': cni === 'flannel-vxlan' ? JSON.stringify({ VNI: 1, VtepMAC: n.vtepMac }) : 'null',
    'flannel.alpha.coreos.com/public-ip': n.internalIP,
    'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
  };
}

export function podStatus(p: PodPlan, now: string): object {
  return {
    phase: 'Running',
    conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastTransitionTime: now })),
    hostIP: p.node.internalIP,
    hostIPs: [{ ip: p.node.internalIP }],
    podIP: p.ip,
    podIPs: [{ ip: p.ip }],
    startTime: now,
  };
}

/** The objects for every pod of the plan, present or not (a fault deletes some later, through the API). */
export function apiObjects(plan: LabPlan, now = new Date().toISOString().replace(/\.\d+Z$/, 'Z')): ApiObjects {
  const s = plan.scenario;
  const nodeStatus = new Map<string, object>();
  const nodes = plan.nodes.map((n) => {
    nodeStatus.set(n.name, {
      addresses: [
        { type: 'InternalIP', address: n.internalIP },
        { type: 'Hostname', address: n.name },
      ],
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'the lab stands in for the kubelet', lastHeartbeatTime: now, lastTransitionTime: now }],
    });
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: n.name,
        labels: { 'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' },
        annotations: nodeAnnotations(plan, n),
      },
      spec: { podCIDR: n.podCIDR, podCIDRs: [n.podCIDR] },
    };
  });
  const namespaces = s.namespaces.filter((ns) => ns !== 'default').map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
  const podStatusMap = new Map<string, object>();
  const pods = plan.pods.map((p) => {
    podStatusMap.set(p.key, podStatus(p, now));
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: p.pod.name, namespace: p.pod.namespace, labels: p.pod.labels, ...(p.pod.terminating ? { finalizers: [TERMINATING_FINALIZER] } : {}) },
      spec: {
        nodeName: p.node.name,
        // No kubelet mounts anything here; a token would only be one more secret in the API for nothing.
        automountServiceAccountToken: false,
        containers: [
          {
            name: 'app',
            image: 'patchbay/lab-pod-server:0',
            ports: p.pod.ports.map((cp) => ({ ...(cp.name ? { name: cp.name } : {}), containerPort: cp.containerPort, protocol: cp.protocol })),
          },
        ],
      },
    };
  });
  const serviceStatus = new Map<string, object>();
  const endpointSlices: object[] = [];
  for (const svc of s.services) {
    if (svc.loadBalancerIPs.length > 0) serviceStatus.set(`${svc.namespace}/${svc.name}`, { loadBalancer: { ingress: svc.loadBalancerIPs.map((ip) => ({ ip, ipMode: 'VIP' })) } });
    if (!svc.endpoints) continue;
    endpointSlices.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: `${svc.name}-manual`,
        namespace: svc.namespace,
        // The service-name label ties it to the service; another manager's name keeps the controller off it.
        labels: { 'kubernetes.io/service-name': svc.name, 'endpointslice.kubernetes.io/managed-by': 'patchbay-lab' },
      },
      addressType: 'IPv4',
      endpoints: svc.endpoints.map((e) => ({ addresses: [e.ip], conditions: { ready: true }, ...(e.node ? { nodeName: e.node } : {}) })),
      ports: svc.ports.map((port) => ({ ...(port.name ? { name: port.name } : {}), protocol: port.protocol, port: typeof port.targetPort === 'number' ? port.targetPort : port.port })),
    });
  }
  const services = s.services.map((svc) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: svc.name, namespace: svc.namespace },
    spec: {
      type: svc.type,
      ...(svc.externalIPs.length > 0 ? { externalIPs: svc.externalIPs } : {}),
      ...(svc.loadBalancerSourceRanges.length > 0 ? { loadBalancerSourceRanges: svc.loadBalancerSourceRanges } : {}),
      clusterIP: svc.clusterIP,
      ports: svc.ports.map((port) => ({
        ...(port.name ? { name: port.name } : {}),
        protocol: port.protocol,
        port: port.port,
        targetPort: port.targetPort ?? port.port,
        ...(port.nodePort !== undefined ? { nodePort: port.nodePort } : {}),
      })),
      ...(svc.selector ? { selector: svc.selector } : {}),
      sessionAffinity: svc.sessionAffinity,
      ...(svc.type !== 'ClusterIP' || svc.externalIPs.length > 0 ? { externalTrafficPolicy: svc.externalTrafficPolicy ?? 'Cluster' } : {}),
      internalTrafficPolicy: svc.internalTrafficPolicy,
    },
  }));
  const networkPolicies = s.networkPolicies.map((np) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', ...np, metadata: { name: np.metadata.name, namespace: np.metadata.namespace } }));
  const terminating = plan.pods.filter((p) => p.pod.terminating).map((p) => p.key);
  return { namespaces, nodes, nodeStatus, pods, podStatus: podStatusMap, services, serviceStatus, endpointSlices, networkPolicies, terminating };
}
