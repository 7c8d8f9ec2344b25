import { createHash } from 'node:crypto';
import type { LabPlan, PodPlan } from './plan.js';
import type { ScenarioService } from './scenario.js';

// Writes what `kubectl get nodes,namespaces,pods,services,endpointslices,networkpolicies -A -o json` would print
// for the lab: the API's view of the cluster, derived from the same plan the builder wires.

const CREATED = '2026-01-01T00:00:00Z';

function uid(kind: string, key: string): string {
  const h = createHash('sha1').update(`${kind}/${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The uid cluster.json gives a pod (the CNI cache's K8S_POD_UID must agree). */
export function podUid(key: string): string {
  return uid('Pod', key);
}

function meta(kind: string, name: string, namespace?: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    uid: uid(kind, `${namespace ?? ''}/${name}`),
    resourceVersion: '1',
    creationTimestamp: CREATED,
    ...extra,
  };
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** The pods that back a service, in scenario order (only pods that exist, unless `intended`). */
export function servicePods(plan: LabPlan, svc: ScenarioService, intended = false): PodPlan[] {
  return plan.pods.filter((p) => (intended || p.present) && p.pod.namespace === svc.namespace && matches(svc.selector, p.pod.labels));
}

function resolveTargetPort(port: ScenarioService['ports'][number], pod: PodPlan | undefined): number | undefined {
  const t = port.targetPort ?? port.port;
  if (typeof t === 'number') return t;
  return pod?.pod.ports.find((cp) => cp.name === t && cp.protocol === port.protocol)?.containerPort;
}

/**
 * The Kubernetes List for a lab. `intended: true` includes pods a fault deleted (what kube-proxy last saw, for
 * stale rules); the default is what the API says now.
 */
export function buildClusterList(plan: LabPlan, opts: { intended?: boolean } = {}): { apiVersion: 'v1'; kind: 'List'; items: unknown[] } {
  const s = plan.scenario;
  const items: unknown[] = [];
  for (const ns of s.namespaces) {
    items.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: meta('Namespace', ns, undefined, { labels: { 'kubernetes.io/metadata.name': ns } }),
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  }
  for (const n of plan.nodes) {
    const annotations: Record<string, string> = { 'node.alpha.kubernetes.io/ttl': '0' };
    if (s.cni === 'flannel-vxlan' || s.cni === 'flannel-host-gw') {
      annotations['flannel.alpha.coreos.com/backend-type'] = s.cni === 'flannel-vxlan' ? 'vxlan' : 'host-gw';
      annotations['flannel.alpha.coreos.com/backend-data'] = s.cni === 'flannel-vxlan' ? JSON.stringify({ VNI: 1, VtepMAC: n.vtepMac }) : 'null';
      annotations['flannel.alpha.coreos.com/public-ip'] = n.internalIP;
      annotations['flannel.alpha.coreos.com/kube-subnet-manager'] = 'true';
    } else {
      annotations['projectcalico.org/IPv4Address'] = `${n.internalIP}/24`;
    }
    items.push({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: meta('Node', n.name, undefined, {
        labels: { 'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' },
        annotations,
      }),
      spec: { podCIDR: n.podCIDR, podCIDRs: [n.podCIDR] },
      status: {
        addresses: [
          { type: 'InternalIP', address: n.internalIP },
          { type: 'Hostname', address: n.name },
        ],
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
        nodeInfo: { kubeProxyVersion: 'v1.33.0', kubeletVersion: 'v1.33.0', operatingSystem: 'linux', architecture: 'amd64' },
      },
    });
  }
  for (const p of plan.pods) {
    if (!p.present && !opts.intended) continue;
    const ready = [
      { type: 'PodReadyToStartContainers', status: 'True' },
      { type: 'Initialized', status: 'True' },
      { type: 'Ready', status: 'True' },
      { type: 'ContainersReady', status: 'True' },
      { type: 'PodScheduled', status: 'True' },
    ].map((c) => ({ ...c, lastTransitionTime: CREATED }));
    items.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: meta('Pod', p.pod.name, p.pod.namespace, { labels: p.pod.labels }),
      spec: {
        nodeName: p.node.name,
        containers: [
          {
            name: 'app',
            image: 'patchbay/lab-pod-server:0',
            ports: p.pod.ports.map((cp) => ({ ...(cp.name ? { name: cp.name } : {}), containerPort: cp.containerPort, protocol: cp.protocol })),
          },
        ],
      },
      status: {
        phase: 'Running',
        conditions: ready,
        hostIP: p.node.internalIP,
        hostIPs: [{ ip: p.node.internalIP }],
        podIP: p.ip,
        podIPs: [{ ip: p.ip }],
        startTime: CREATED,
      },
    });
  }
  for (const svc of s.services) {
    const ports = svc.ports.map((port) => ({
      ...(port.name ? { name: port.name } : {}),
      protocol: port.protocol,
      port: port.port,
      targetPort: port.targetPort ?? port.port,
      ...(port.nodePort !== undefined ? { nodePort: port.nodePort } : {}),
    }));
    items.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('Service', svc.name, svc.namespace),
      spec: {
        type: svc.type,
        clusterIP: svc.clusterIP,
        clusterIPs: [svc.clusterIP],
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        ports,
        ...(svc.selector ? { selector: svc.selector } : {}),
        sessionAffinity: svc.sessionAffinity,
        ...(svc.sessionAffinity === 'ClientIP' ? { sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } } } : {}),
        ...(svc.type === 'NodePort' ? { externalTrafficPolicy: svc.externalTrafficPolicy ?? 'Cluster' } : {}),
        internalTrafficPolicy: svc.internalTrafficPolicy,
      },
      status: { loadBalancer: {} },
    });
    if (!svc.selector) continue;
    const backing = servicePods(plan, svc, opts.intended);
    const name = `${svc.name}-${createHash('sha1').update(`${svc.namespace}/${svc.name}`).digest('hex').slice(0, 5)}`;
    items.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: meta('EndpointSlice', name, svc.namespace, {
        generateName: `${svc.name}-`,
        labels: { 'kubernetes.io/service-name': svc.name, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: svc.name, uid: uid('Service', `${svc.namespace}/${svc.name}`), controller: true, blockOwnerDeletion: true }],
      }),
      addressType: 'IPv4',
      endpoints:
        backing.length === 0
          ? null
          : backing.map((p) => ({
              addresses: [p.ip],
              conditions: { ready: true, serving: true, terminating: false },
              nodeName: p.node.name,
              targetRef: { kind: 'Pod', name: p.pod.name, namespace: p.pod.namespace, uid: uid('Pod', p.key) },
            })),
      ports: svc.ports.map((port) => {
        const resolved = resolveTargetPort(port, backing[0]);
        return { ...(port.name ? { name: port.name } : { name: '' }), protocol: port.protocol, ...(resolved !== undefined ? { port: resolved } : {}) };
      }),
    });
  }
  for (const np of s.networkPolicies) {
    items.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      ...np,
      metadata: { ...meta('NetworkPolicy', np.metadata.name, np.metadata.namespace), ...np.metadata },
    });
  }
  return { apiVersion: 'v1', kind: 'List', items };
}
