// Public surface of @patchbay/lab. kubeProxy/ (rule writers) and synthetic/ (large generated bundles) are
// re-exported whole; the rest is listed by name as it lands.
export * from './kubeProxy/index.js';
export * from './synthetic/index.js';
