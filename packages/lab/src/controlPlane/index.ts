// The lab's real Kubernetes control plane (issue #19): etcd, kube-apiserver and kube-controller-manager in a
// lab namespace, with per-lab certificates, and kubectl inside that namespace.
export { startControlPlane, controlPlaneNetns, CONTROL_PLANE_IP, API_PORT, KUBERNETES_SERVICE_IP, SERVICE_CIDR } from './start.js';
export type { ControlPlane, ControlPlaneOptions } from './start.js';
export type { Kubectl } from './kubectl.js';
export { k8sBinDir, k8sCacheDir, COMPONENTS } from './binaries.js';
export { isRunning, procStat } from './processes.js';
