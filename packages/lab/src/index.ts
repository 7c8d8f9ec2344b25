// Public surface of @patchbay/lab. kubeProxy/ (rule writers) and synthetic/ (large generated bundles) are
// re-exported whole; the rest is listed by name as it lands.
export * from './kubeProxy/index.js';
export * from './synthetic/index.js';

export { Scenario, ScenarioNode, ScenarioPod, ScenarioService, parseScenario } from './scenario.js';
export type { ScenarioInput } from './scenario.js';
export { scenarios, loadScenario } from './scenarios.js';
export { FAULTS, FAULT_NAMES } from './faultNames.js';
export type { FaultInfo, FaultName } from './faultNames.js';
export { startLab, withLab, makeLab } from './lab.js';
export type { Lab, StartLabOptions } from './lab.js';
export type { LabPlan, NodePlan, PodPlan } from './plan.js';
export { assertLabCapable, LabIncapableError } from './capability.js';
export type { ProbeOptions, ProbeOutcome, ProbeResult, ProbeTarget } from './probe.js';
export { parseIptablesCounters, parseNftCounters } from './counters.js';
export type { RuleCounter, RuleCounters } from './counters.js';
export { destroyPrefix, listNetns } from './teardown.js';
export * from './controlPlane/index.js';
export { STATE_DIR, readState } from './state.js';
export type { LabProcess, LabState } from './state.js';
export { kubeProxyMetrics, metricValue, SYNC_COUNT_METRIC, IPV4 } from './kubernetes/kubeProxyDaemons.js';
