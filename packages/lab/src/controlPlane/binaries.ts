import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../exec.js';

// The upstream components are built and cached by scripts/k8s/build.sh; its `--print-dir` is the contract for
// where they are (it applies PATCHBAY_K8S_CACHE and the pins). The lab never builds: a missing binary is an
// error that says how to build it, so a test fails loudly instead of skipping.

export const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-proxy', 'kubectl'] as const;
export type Component = (typeof COMPONENTS)[number];

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const BUILD_SCRIPT = path.join(repoRoot, 'scripts/k8s/build.sh');

export async function k8sCacheDir(): Promise<string> {
  const r = await run('bash', [BUILD_SCRIPT, '--print-dir'], { timeoutMs: 30_000 });
  const dir = r.stdout.trim();
  if (r.code !== 0 || !path.isAbsolute(dir)) throw new Error(`cannot find the Kubernetes components: \`bash ${BUILD_SCRIPT} --print-dir\` failed (${r.code}): ${r.stderr.trim().slice(0, 500)}`);
  return dir;
}

/** The directory holding the components; throws naming every missing one and the command that builds them. */
export async function k8sBinDir(dir?: string): Promise<string> {
  const d = dir ?? (await k8sCacheDir());
  const missing = COMPONENTS.filter((c) => {
    try {
      accessSync(path.join(d, c), constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) throw new Error(`Kubernetes components missing in ${d}: ${missing.join(', ')}; run \`bash scripts/k8s/build.sh\` (it builds and caches them)`);
  return d;
}
