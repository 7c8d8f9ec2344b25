// Mutated inputs for the tRPC procedures: a valid input built from the demo bundle's model, then one change
// (a wrong type, a huge string, an odd endpoint or name, extra keys, numbers at the edges, the whole input
// replaced). Described in one line, never with the value itself.
import type { ClusterModel } from '@patchbay/resolve';
import { ODD_NUMBERS, ODD_STRINGS } from './jsonValues.js';
import type { Rng } from './prng.js';

export const PROCEDURES = ['summary', 'clusterMap', 'search', 'node', 'pod', 'service', 'trace'] as const;
export type Procedure = (typeof PROCEDURES)[number];

export interface TrpcCase {
  proc: Procedure;
  input: unknown;
  what: string;
}

/** Endpoints the grammar must refuse or the tracer must answer with a named error. */
export const ODD_ENDPOINTS: readonly string[] = [
  'pod/../x',
  'pod/shop/../../etc/passwd',
  'pod//',
  'pod/shop/',
  'pod/shop/client-0/extra',
  'svc/shop/web',
  'svc/shop/web:0',
  'svc/shop/web:65536',
  'svc/shop/web:nosuchport',
  'svc/shop/web:-1',
  'svc/shop/web:80:80',
  'node/',
  'node/n1/x',
  'node/ghost',
  '10.244.1.2',
  '10.244.1.2:99999',
  '256.1.1.1:80',
  '1.2.3.4:80:90',
  '::1',
  '[::1]:80',
  '0.0.0.0:0',
  '255.255.255.255:65535',
  '127.0.0.1:80',
  '203.0.113.9:443',
  'pod/shop/client-0\u0000',
  'pod/\u001b[31m/x',
  `pod/${'a'.repeat(10_000)}/b`,
  `pod/shop/${'é'.repeat(150)}`,
  ' pod/shop/client-0',
  'POD/shop/client-0',
  'pod/shop/client-0?x=1',
  'pod%2Fshop%2Fclient-0',
  'svc/kube-system/kube-dns:53',
  '\ufeffpod/shop/client-0',
  'pod/shop/client-0\r\nX-Injected: 1',
];

/** A nested value of the given depth, built without recursion. */
export function nested(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

function oddValue(rng: Rng): { value: unknown; what: string } {
  const kind = rng.weighted({ type: 4, hugeString: 2, oddString: 3, oddNumber: 2, nested: 1, hugeArray: 1 });
  switch (kind) {
    case 'type': {
      const v = rng.pick<unknown>([null, undefined, 0, -1, true, [], {}, [1, 2], { a: 1 }, 'x', 1.5]);
      return { value: v, what: `type ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v}` };
    }
    case 'hugeString': {
      const n = rng.pick([301, 10_000, 100_000, 1_000_000]);
      return { value: 'a'.repeat(n), what: `string of ${n} chars` };
    }
    case 'oddString': {
      const i = rng.int(0, ODD_STRINGS.length - 1);
      return { value: ODD_STRINGS[i], what: `odd string #${i}` };
    }
    case 'oddNumber': {
      const v = rng.pick([...ODD_NUMBERS, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
      return { value: v, what: `number ${Object.is(v, -0) ? '-0' : v}` };
    }
    case 'nested': {
      const n = rng.pick([100, 1_000, 10_000]);
      return { value: nested(n), what: `nested ${n} levels` };
    }
    default: {
      const n = rng.pick([1_000, 10_000, 100_000]);
      return { value: new Array(n).fill('n1'), what: `array of ${n} items` };
    }
  }
}

function validInput(rng: Rng, proc: Procedure, model: ClusterModel): Record<string, unknown> | undefined {
  const pods = [...model.pods.values()];
  const services = [...model.services.values()];
  const nodes = [...model.nodes.keys()];
  const pod = rng.pick(pods);
  const svc = rng.pick(services);
  switch (proc) {
    case 'summary':
      return undefined;
    case 'clusterMap':
      return { expandedNodes: [rng.pick(nodes)], namespaces: [pod.namespace], nodes: [], focusNodes: [rng.pick(nodes)] };
    case 'search':
      return { q: rng.pick(['web', '10.244', 'n1', 'shop/', '']), limit: rng.int(1, 100) };
    case 'node':
      return { name: rng.pick(nodes) };
    case 'pod':
      return { namespace: pod.namespace, name: pod.name };
    case 'service':
      return { namespace: svc.namespace, name: svc.name };
    case 'trace': {
      const port = svc.ports[0]?.port ?? 80;
      const to = rng.pick([`svc/${svc.namespace}/${svc.name}:${port}`, `pod/${pod.namespace}/${pod.name}`, `${pod.ip ?? '10.244.1.2'}:8080`]);
      return { from: `pod/${pod.namespace}/${pod.name}`, to, proto: rng.pick(['tcp', 'udp', 'icmp']), port: to.startsWith('pod/') ? 8080 : null };
    }
  }
}

export function trpcCase(rng: Rng, model: ClusterModel): TrpcCase {
  const proc = rng.pick(PROCEDURES);
  const input = validInput(rng, proc, model);
  const kind = rng.weighted({ valid: 1, field: 6, endpoint: proc === 'trace' ? 5 : 0, extraKeys: 1, whole: 1, dropField: 1 });
  if (kind === 'valid') return { proc, input, what: `${proc}: valid input` };
  if (kind === 'whole' || input === undefined) {
    const v = rng.chance(0.5) ? oddValue(rng) : { value: rng.pick<unknown>([null, [], 'x', 42, {}, [{}]]), what: 'not an object' };
    return { proc, input: v.value, what: `${proc}: whole input is ${v.what}` };
  }
  const keys = Object.keys(input);
  const key = rng.pick(keys);
  if (kind === 'endpoint') {
    const i = rng.int(0, ODD_ENDPOINTS.length - 1);
    return { proc, input: { ...input, [key === 'proto' || key === 'port' ? 'to' : key]: ODD_ENDPOINTS[i] }, what: `${proc}: odd endpoint #${i}` };
  }
  if (kind === 'extraKeys') {
    const extra = JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{}},"x":1}') as Record<string, unknown>;
    return { proc, input: { ...input, ...extra }, what: `${proc}: extra keys (__proto__, constructor)` };
  }
  if (kind === 'dropField') {
    const copy = { ...input };
    delete copy[key];
    return { proc, input: copy, what: `${proc}: ${key} missing` };
  }
  const v = oddValue(rng);
  // Array fields get odd items as often as odd values.
  const value = Array.isArray(input[key]) && rng.chance(0.5) ? [v.value] : v.value;
  return { proc, input: { ...input, [key]: value }, what: `${proc}: ${key} = ${Array.isArray(input[key]) && value !== v.value ? '[' + v.what + ']' : v.what}` };
}
