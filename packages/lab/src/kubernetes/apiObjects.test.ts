import { describe, expect, it } from 'vitest';
import { planLab } from '../plan.js';
import { parseScenario } from '../scenario.js';
import { loadScenario } from '../scenarios.js';
import { TERMINATING_FINALIZER, apiObjects, type ApiObjects } from './apiObjects.js';

// Loose views of the objects, for reading them back in assertions.
type Meta = { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] };
type Obj = { apiVersion: string; kind: string; metadata: Meta; spec?: Record<string, unknown> };
type Pod = Obj & { spec: { nodeName: string; automountServiceAccountToken: boolean; containers: { ports: { name?: string; containerPort: number; protocol: string }[] }[] } };
type PodStatus = { phase: string; podIP: string; podIPs: { ip: string }[]; hostIP: string; conditions: { type: string; status: string; lastTransitionTime: string }[]; startTime: string };
type Service = Obj & { spec: { type: string; clusterIP: string; selector?: Record<string, string>; externalTrafficPolicy?: string; internalTrafficPolicy: string; sessionAffinity: string; externalIPs?: string[]; loadBalancerSourceRanges?: string[]; ports: { name?: string; port: number; targetPort: number | string; nodePort?: number; protocol: string }[] } };
type Slice = Obj & { addressType: string; endpoints: { addresses: string[]; conditions: { ready: boolean }; nodeName?: string }[]; ports: { name?: string; port: number; protocol: string }[] };

const NOW = '2026-01-02T03:04:05Z';
const plan = planLab(loadScenario('flannel-vxlan'), 'pb1234', []);
const objs: ApiObjects = apiObjects(plan, NOW);
const pods = objs.pods as Pod[];
const services = objs.services as Service[];
const svc = (name: string) => services.find((s) => s.metadata.name === name)!;
const every = (o: ApiObjects) => [...o.namespaces, ...o.nodes, ...o.pods, ...o.services, ...o.endpointSlices, ...o.networkPolicies] as Obj[];

describe('apiObjects: pods', () => {
  it('one Pod per planned pod, bound to its node, with its labels and container ports', () => {
    expect(pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(plan.pods.map((p) => p.key));
    for (const [i, p] of plan.pods.entries()) {
      const pod = pods[i]!;
      expect(pod.spec.nodeName).toBe(p.node.name);
      expect(pod.metadata.labels).toEqual(p.pod.labels);
      expect(pod.spec.containers.flatMap((c) => c.ports)).toEqual(p.pod.ports.map((cp) => ({ ...(cp.name ? { name: cp.name } : {}), containerPort: cp.containerPort, protocol: cp.protocol })));
      // Nothing would mount it: no token secret for pods that run no container.
      expect(pod.spec.automountServiceAccountToken).toBe(false);
    }
  });

  it("status is Running and Ready at the address the lab wired, on the node's address", () => {
    expect([...objs.podStatus.keys()]).toEqual(plan.pods.map((p) => p.key));
    for (const p of plan.pods) {
      const st = objs.podStatus.get(p.key) as PodStatus;
      expect(st).toMatchObject({ phase: 'Running', podIP: p.ip, podIPs: [{ ip: p.ip }], hostIP: p.node.internalIP, startTime: NOW });
      const cond = new Map(st.conditions.map((c) => [c.type, c.status]));
      for (const type of ['Ready', 'ContainersReady', 'PodScheduled', 'Initialized']) expect(cond.get(type), `${p.key} ${type}`).toBe('True');
      expect(st.conditions.every((c) => c.lastTransitionTime === NOW)).toBe(true);
    }
    // Distinct addresses: the EndpointSlice controller would otherwise list one address for two pods.
    expect(new Set(plan.pods.map((p) => p.ip)).size).toBe(plan.pods.length);
  });

  it('a terminating pod carries the finalizer that holds it and is listed for deletion; no other does', () => {
    const terminating = plan.pods.filter((p) => p.pod.terminating).map((p) => p.key);
    expect(terminating).toEqual(['shop/orders-0']);
    expect(objs.terminating).toEqual(terminating);
    for (const pod of pods) {
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      expect(pod.metadata.finalizers, key).toEqual(terminating.includes(key) ? [TERMINATING_FINALIZER] : undefined);
    }
  });

  it('the default timestamp has whole seconds, as the API server prints them', () => {
    const st = apiObjects(plan).podStatus.get('shop/web-0') as PodStatus;
    expect(st.startTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });
});

describe('apiObjects: services and their slices', () => {
  it('keeps every ClusterIP (headless too), selector and policy of the scenario', () => {
    expect(services.map((s) => `${s.metadata.namespace}/${s.metadata.name} ${s.spec.clusterIP}`)).toEqual(plan.scenario.services.map((s) => `${s.namespace}/${s.name} ${s.clusterIP}`));
    expect(svc('db-headless').spec.clusterIP).toBe('None');
    expect(svc('web').spec.selector).toEqual({ app: 'web' });
    expect(svc('legacy').spec).not.toHaveProperty('selector');
    expect(svc('web-sticky').spec.sessionAffinity).toBe('ClientIP');
    expect(svc('web-node-local').spec.internalTrafficPolicy).toBe('Local');
    expect(svc('web').spec.internalTrafficPolicy).toBe('Cluster');
  });

  it('a target port defaults to the port; named target ports and node ports are kept', () => {
    expect(svc('web').spec.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http' }]);
    expect(svc('api').spec.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }]);
    const bare = apiObjects(planLab(parseScenario({ name: 'bare', cni: 'flannel-vxlan', kubeProxy: 'iptables', nodes: plan.scenario.nodes, services: [{ namespace: 'default', name: 's', clusterIP: '10.96.0.9', selector: { a: 'b' }, ports: [{ port: 9000 }] }] }), 'pb1234', []));
    expect((bare.services[0] as Service).spec.ports).toEqual([{ protocol: 'TCP', port: 9000, targetPort: 9000 }]);
  });

  it('externalTrafficPolicy only where the API accepts one: NodePort, LoadBalancer, or externalIPs', () => {
    for (const s of services) {
      const external = s.spec.type !== 'ClusterIP' || (s.spec.externalIPs ?? []).length > 0;
      expect(s.spec.externalTrafficPolicy, s.metadata.name).toBe(external ? (plan.scenario.services.find((x) => x.name === s.metadata.name)!.externalTrafficPolicy ?? 'Cluster') : undefined);
    }
    expect(svc('web-local').spec.externalTrafficPolicy).toBe('Local');
    expect(svc('api').spec.externalTrafficPolicy).toBe('Cluster');
    expect(svc('api-ext').spec).toMatchObject({ externalIPs: ['192.0.2.225'], externalTrafficPolicy: 'Cluster' });
  });

  it('a LoadBalancer gets its source ranges in spec and its ingress IPs as status, as a controller would publish them', () => {
    expect(svc('web-lb').spec).toMatchObject({ type: 'LoadBalancer', loadBalancerSourceRanges: ['10.244.1.0/24', '192.0.2.11/32'], externalTrafficPolicy: 'Local' });
    expect([...objs.serviceStatus]).toEqual([['shop/web-lb', { loadBalancer: { ingress: [{ ip: '192.0.2.224', ipMode: 'VIP' }] } }]]);
  });

  it('writes EndpointSlices only for selector-less services, under a manager that is not the controller', () => {
    const slices = objs.endpointSlices as Slice[];
    const selectorless = plan.scenario.services.filter((s) => !s.selector);
    expect(slices.map((s) => `${s.metadata.namespace}/${s.metadata.labels?.['kubernetes.io/service-name']}`)).toEqual(selectorless.map((s) => `${s.namespace}/${s.name}`));
    const legacy = slices[0]!;
    expect(legacy.metadata.labels?.['endpointslice.kubernetes.io/managed-by']).not.toBe('endpointslice-controller.k8s.io');
    expect(legacy).toMatchObject({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4' });
    expect(legacy.endpoints).toEqual([{ addresses: ['10.244.1.3'], conditions: { ready: true }, nodeName: 'n1' }]);
    // The slice's port is where the backend listens (the service's numeric target port), under the service port's name.
    expect(legacy.ports).toEqual([{ name: 'redis', protocol: 'TCP', port: 6379 }]);
    // 10.244.1.3 is cache-0's address in the plan, as the scenario's comment says.
    expect(plan.pods.find((p) => p.ip === '10.244.1.3')?.key).toBe('shop/cache-0');
  });
});

describe('apiObjects: nodes, namespaces, policies', () => {
  it('nodes carry their pod CIDR in spec and their address in status', () => {
    expect((objs.nodes as Obj[]).map((n) => [n.metadata.name, n.spec])).toEqual(plan.nodes.map((n) => [n.name, { podCIDR: n.podCIDR, podCIDRs: [n.podCIDR] }]));
    for (const n of plan.nodes) {
      expect(objs.nodeStatus.get(n.name)).toMatchObject({ addresses: [{ type: 'InternalIP', address: n.internalIP }, { type: 'Hostname', address: n.name }], conditions: [{ type: 'Ready', status: 'True' }] });
    }
  });

  it("publishes each CNI's node annotations: flannel's VTEP for vxlan, none for host-gw, Calico's address", () => {
    const ann = (cni: string) => {
      const p = planLab({ ...loadScenario('flannel-vxlan'), cni: cni as 'flannel-vxlan' }, 'pb1234', []);
      return (apiObjects(p).nodes[0] as Obj).metadata.annotations!;
    };
    const n1 = plan.nodes[0]!;
    expect(JSON.parse(ann('flannel-vxlan')['flannel.alpha.coreos.com/backend-data']!)).toEqual({ VNI: 1, VtepMAC: n1.vtepMac });
    expect(ann('flannel-vxlan')['flannel.alpha.coreos.com/public-ip']).toBe(n1.internalIP);
    expect(ann('flannel-host-gw')).toMatchObject({ 'flannel.alpha.coreos.com/backend-type': 'host-gw', 'flannel.alpha.coreos.com/backend-data': 'null' });
    expect(ann('calico-routed')).toEqual({ 'projectcalico.org/IPv4Address': `${n1.internalIP}/24` });
  });

  it("creates every namespace but 'default', which the API server has", () => {
    expect(objs.namespaces).toEqual([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }]);
  });

  it('NetworkPolicies keep their spec and only the name and namespace of their metadata', () => {
    const withExtra = planLab({ ...loadScenario('flannel-vxlan'), networkPolicies: [{ metadata: { name: 'p', namespace: 'shop', uid: 'u-1', resourceVersion: '7' }, spec: { podSelector: {} } }] }, 'pb1234', []);
    expect(apiObjects(withExtra).networkPolicies).toEqual([{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p', namespace: 'shop' }, spec: { podSelector: {} } }]);
  });

  it('leaves server-set fields to the API server: no uid, resourceVersion or creationTimestamp anywhere', () => {
    for (const o of every(objs)) {
      for (const field of ['uid', 'resourceVersion', 'creationTimestamp']) expect(o.metadata, `${o.kind} ${o.metadata.name}`).not.toHaveProperty(field);
      expect(o).not.toHaveProperty('status');
    }
  });

  it('a pod a fault removes is still created (the fault deletes it through the API later)', () => {
    const faulted = planLab(loadScenario('flannel-vxlan'), 'pb1234', ['stale-service-rule']);
    const gone = faulted.pods.filter((p) => !p.present).map((p) => p.key);
    expect(gone.length).toBeGreaterThan(0);
    expect((apiObjects(faulted).pods as Pod[]).map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(expect.arrayContaining(gone));
  });
});
