import type { LabPlan, PodPlan } from '../plan.js';

// What the lab creates through the API for a planned lab, as a kubelet, a scheduler and a user would: Nodes
// (spec, then their addresses as status), Namespaces, Pods bound to their node (then Running/Ready status with
// the address the lab wired), Services and NetworkPolicies. EndpointSlices are never here: the controller makes
// them. Server-set fields (uid, resourceVersion, clusterIP allocation bookkeeping) are left to the API server.

export interface ApiObjects {
  namespaces: object[];
  nodes: object[];
  /** Node name -> its status (addresses), patched after creation. */
  nodeStatus: Map<string, object>;
  pods: object[];
  /** "ns/name" -> the pod's status, patched after creation. */
  podStatus: Map<string, object>;
  services: object[];
  networkPolicies: object[];
}

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
      metadata: { name: p.pod.name, namespace: p.pod.namespace, labels: p.pod.labels },
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
  const services = s.services.map((svc) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: svc.name, namespace: svc.namespace },
    spec: {
      type: svc.type,
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
      ...(svc.type === 'NodePort' ? { externalTrafficPolicy: svc.externalTrafficPolicy ?? 'Cluster' } : {}),
      internalTrafficPolicy: svc.internalTrafficPolicy,
    },
  }));
  const networkPolicies = s.networkPolicies.map((np) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', ...np, metadata: { name: np.metadata.name, namespace: np.metadata.namespace } }));
  return { namespaces, nodes, nodeStatus, pods, podStatus: podStatusMap, services, networkPolicies };
}
