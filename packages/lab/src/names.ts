import { createHash, randomBytes } from 'node:crypto';

// Every name a lab creates starts with its prefix (`pb` + hex), so teardown and the leak check can find exactly
// what this lab made, and labs can run side by side.

export const PREFIX_RE = /^pb[0-9a-f]{4,6}$/;

export function newPrefix(): string {
  return `pb${randomBytes(3).toString('hex')}`;
}

export function nodeNetnsName(prefix: string, node: string): string {
  return `${prefix}-${node}`;
}

export function switchNetnsName(prefix: string): string {
  return `${prefix}-sw`;
}

/** A short stable id for a pod, so netns and interface names stay short (<= 15 chars for interfaces). */
export function podShort(namespace: string, pod: string): string {
  return createHash('sha1').update(`${namespace}.${pod}`).digest('hex').slice(0, 11);
}

export function podNetnsName(prefix: string, namespace: string, pod: string): string {
  return `${prefix}-p-${namespace}-${pod}`;
}

/** Host-side veth name: `veth` + 8 hex (the bridge plugin's style) or `cali` + 11 hex (Calico's, from ns.pod). */
export function hostVethName(cni: string, namespace: string, pod: string): string {
  const h = podShort(namespace, pod);
  return cni === 'calico-routed' ? `cali${h}` : `veth${h.slice(0, 8)}`;
}
