import { Scenario, parseScenario, type ScenarioInput } from './scenario.js';

// The built-in scenarios: one small "shop" cluster (3 nodes, 9 pods, 14 services, 2 NetworkPolicies) wired four
// ways, plus a 20-pod variant for the bring-up bench. Tests derive their expectations from the intent below.

const nodes = [
  { name: 'n1', podCIDR: '10.244.1.0/24', internalIP: '192.0.2.11' },
  { name: 'n2', podCIDR: '10.244.2.0/24', internalIP: '192.0.2.12' },
  { name: 'n3', podCIDR: '10.244.3.0/24', internalIP: '192.0.2.13' },
];

const http = { name: 'http', containerPort: 8080, protocol: 'TCP' as const };

const shopPods: ScenarioInput['pods'] = [
  { namespace: 'shop', name: 'client-0', node: 'n1', labels: { app: 'client' }, ports: [{ containerPort: 80 }] },
  { namespace: 'shop', name: 'cache-0', node: 'n1', labels: { app: 'cache' }, ports: [{ name: 'redis', containerPort: 6379 }] },
  { namespace: 'shop', name: 'web-0', node: 'n1', labels: { app: 'web', tier: 'front' }, ports: [http] },
  { namespace: 'shop', name: 'web-1', node: 'n2', labels: { app: 'web', tier: 'front' }, ports: [http] },
  { namespace: 'shop', name: 'api-0', node: 'n2', labels: { app: 'api', tier: 'back' }, ports: [http] },
  { namespace: 'default', name: 'dns-0', node: 'n2', labels: { app: 'dns' }, ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: 53 }] },
  { namespace: 'shop', name: 'db-0', node: 'n3', labels: { app: 'db', tier: 'data' }, ports: [{ name: 'postgres', containerPort: 5432 }] },
  { namespace: 'shop', name: 'cart-0', node: 'n3', labels: { app: 'cart', tier: 'back' }, ports: [http] },
  // Being deleted (a finalizer holds it): still serving, so kube-proxy falls back to it, its service's only endpoint.
  { namespace: 'shop', name: 'orders-0', node: 'n3', labels: { app: 'orders' }, ports: [http], terminating: true },
];

const shopServices: ScenarioInput['services'] = [
  { namespace: 'shop', name: 'web', clusterIP: '10.96.0.10', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  { namespace: 'shop', name: 'api', type: 'NodePort', clusterIP: '10.96.0.20', selector: { app: 'api' }, ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }] },
  { namespace: 'shop', name: 'checkout', clusterIP: '10.96.0.30', selector: { app: 'checkout' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  {
    namespace: 'shop',
    name: 'web-sticky',
    clusterIP: '10.96.0.11',
    selector: { app: 'web' },
    sessionAffinity: 'ClientIP',
    ports: [{ name: 'http', port: 80, targetPort: 'http' }],
  },
  {
    namespace: 'shop',
    name: 'web-node-local',
    clusterIP: '10.96.0.12',
    selector: { app: 'web' },
    internalTrafficPolicy: 'Local',
    ports: [{ name: 'http', port: 80, targetPort: 'http' }],
  },
  { namespace: 'shop', name: 'db', clusterIP: '10.96.0.40', selector: { app: 'db' }, ports: [{ name: 'postgres', port: 5432, targetPort: 'postgres' }] },
  {
    namespace: 'shop',
    name: 'web-local',
    type: 'NodePort',
    clusterIP: '10.96.0.50',
    selector: { app: 'web' },
    externalTrafficPolicy: 'Local',
    ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30050 }],
  },
  { namespace: 'shop', name: 'cart', clusterIP: '10.96.0.60', selector: { app: 'cart' }, ports: [{ port: 80, targetPort: 8080 }] },
  {
    namespace: 'shop',
    name: 'web-lb',
    type: 'LoadBalancer',
    clusterIP: '10.96.0.14',
    selector: { app: 'web' },
    externalTrafficPolicy: 'Local',
    loadBalancerIPs: ['192.0.2.224'],
    // n1's pods and n1 itself may use the load balancer's address; every other source is dropped.
    loadBalancerSourceRanges: ['10.244.1.0/24', '192.0.2.11/32'],
    ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30081 }],
  },
  { namespace: 'shop', name: 'api-ext', clusterIP: '10.96.0.21', selector: { app: 'api' }, externalIPs: ['192.0.2.225'], ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  { namespace: 'shop', name: 'db-headless', clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'postgres', port: 5432, targetPort: 'postgres' }] },
  // No selector: its EndpointSlice is written by hand and points at cache-0 (10.244.1.3 on n1).
  { namespace: 'shop', name: 'legacy', clusterIP: '10.96.0.70', endpoints: [{ ip: '10.244.1.3', node: 'n1' }], ports: [{ name: 'redis', port: 80, targetPort: 6379 }] },
  { namespace: 'shop', name: 'orders', clusterIP: '10.96.0.80', selector: { app: 'orders' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  {
    namespace: 'default',
    name: 'dns',
    clusterIP: '10.96.0.53',
    selector: { app: 'dns' },
    ports: [
      { name: 'dns', protocol: 'UDP', port: 53, targetPort: 53 },
      { name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: 53 },
    ],
  },
];

const shopPolicies: ScenarioInput['networkPolicies'] = [
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'db-allow-api', namespace: 'shop' },
    spec: {
      podSelector: { matchLabels: { app: 'db' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ protocol: 'TCP', port: 'postgres' }] }],
    },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'web-allow-all', namespace: 'shop' },
    spec: { podSelector: { matchLabels: { tier: 'front' } }, policyTypes: ['Ingress'], ingress: [{}] },
  },
];

function shop(name: string, cni: ScenarioInput['cni'], kubeProxy: ScenarioInput['kubeProxy'], description: string): Scenario {
  return parseScenario(
    { name, description, cni, kubeProxy, namespaces: ['default', 'shop'], nodes, pods: shopPods, services: shopServices, networkPolicies: shopPolicies },
    `scenario ${name}`,
  );
}

/** 3 nodes and 20 pods (web, api, db and client pods spread round-robin), for the bring-up bench. */
function bench20(): Scenario {
  const apps = ['web', 'api', 'client', 'cache'];
  const pods = Array.from({ length: 20 }, (_, i) => ({
    namespace: 'shop',
    name: `${apps[i % apps.length]}-${Math.floor(i / apps.length)}`,
    node: nodes[i % nodes.length]!.name,
    labels: { app: apps[i % apps.length]! },
    ports: [http],
  }));
  return parseScenario(
    {
      name: 'bench-20',
      description: 'flannel VXLAN + kube-proxy iptables, 3 nodes, 20 pods, for the bring-up bench',
      cni: 'flannel-vxlan',
      kubeProxy: 'iptables',
      namespaces: ['default', 'shop'],
      nodes,
      pods,
      services: apps.map((app, i) => ({ namespace: 'shop', name: app, clusterIP: `10.96.1.${10 + i}`, selector: { app }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] })),
    },
    'scenario bench-20',
  );
}

export const scenarios: Record<string, Scenario> = {
  'flannel-vxlan': shop('flannel-vxlan', 'flannel-vxlan', 'iptables', 'flannel VXLAN backend (cni0, flannel.1) + kube-proxy iptables mode'),
  'host-gw': shop('host-gw', 'flannel-host-gw', 'iptables', 'flannel host-gw backend (cni0, routes via node addresses) + kube-proxy iptables mode'),
  'calico-routed': shop('calico-routed', 'calico-routed', 'iptables', 'Calico-style routed pods (cali* veths, proxy_arp, 169.254.1.1) without a tunnel + kube-proxy iptables mode'),
  nftables: shop('nftables', 'flannel-vxlan', 'nftables', 'flannel VXLAN backend + kube-proxy nftables mode'),
  'bench-20': bench20(),
};

export function loadScenario(name: string): Scenario {
  const s = scenarios[name];
  if (!s) throw new Error(`unknown scenario "${name}" (known: ${Object.keys(scenarios).join(', ')})`);
  return Scenario.parse(structuredClone(s));
}
