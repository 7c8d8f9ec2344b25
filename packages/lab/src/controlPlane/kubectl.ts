import path from 'node:path';
import { run, type ExecResult } from '../exec.js';

// kubectl always runs inside the control plane's namespace (the API server listens nowhere else) with the
// lab's admin kubeconfig. Objects go in on stdin as JSON, never through a shell.

export interface Kubectl {
  /** Runs kubectl with these arguments; never throws for a non-zero exit. */
  run(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<ExecResult>;
  /** Like run, but throws naming the command and kubectl's message when it fails; returns stdout. */
  must(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<string>;
  /** `kubectl create -f -` of these objects (one List); fails if any already exists. */
  create(objects: readonly object[]): Promise<void>;
  /** `kubectl apply --server-side -f -` (field manager patchbay-lab): creates or updates. */
  apply(objects: readonly object[]): Promise<void>;
  /**
   * Merge-patches an object's status subresource, as the component that owns it would (a kubelet for nodes and
   * pods, a load-balancer controller for services); `namespace` null for cluster-scoped kinds.
   */
  patchStatus(resource: 'node' | 'pod' | 'service', namespace: string | null, name: string, status: object): Promise<void>;
  /** patchStatus for a pod (there is no kubelet to do it). */
  patchPodStatus(namespace: string, name: string, status: object): Promise<void>;
  /** `kubectl get ... -o json`, parsed. */
  getJson(args: string[]): Promise<unknown>;
}

export function makeKubectl(o: { netns: string; binDir: string; kubeconfig: string }): Kubectl {
  const exe = path.join(o.binDir, 'kubectl');
  const k: Kubectl = {
    run: (args, opts) => run('ip', ['netns', 'exec', o.netns, exe, '--kubeconfig', o.kubeconfig, ...args], { timeoutMs: opts?.timeoutMs ?? 30_000, input: opts?.input }),
    async must(args, opts) {
      const r = await k.run(args, opts);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${(r.stderr.trim() || r.stdout.trim()).slice(0, 2000)}`);
      return r.stdout;
    },
    async create(objects) {
      await k.must(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
    },
    async apply(objects) {
      await k.must(['apply', '--server-side', '--field-manager=patchbay-lab', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
    },
    async patchStatus(resource, namespace, name, status) {
      await k.must(['patch', resource, name, ...(namespace ? ['-n', namespace] : []), '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
    },
    patchPodStatus: (namespace, name, status) => k.patchStatus('pod', namespace, name, status),
    async getJson(args) {
      const out = await k.must(['get', ...args, '-o', 'json']);
      try {
        return JSON.parse(out) as unknown;
      } catch (e) {
        throw new Error(`kubectl get ${args.join(' ')} printed no JSON: ${(e as Error).message}`, { cause: e });
      }
    },
  };
  return k;
}
