/**
 * The emulated cluster: plans (pure) and the code that applies them, status, traffic checks.
 */
export {
  type Channel,
  DATAPATH_RECORDS,
  type DatapathRecord,
  datapathRecord,
  transportOf,
} from './datapaths/index.js';
export { inspectNetns } from './inspect.js';
export { clean, down, type RemovalReport, type TestbedEnv, up } from './lifecycle.js';
export * from './names.js';
export { endpointsOf, findNode, nodesOf, type TestbedNode } from './nodes.js';
export type { LedgerObject, Step } from './plan.js';
export { namespacesOf, planUp } from './plan-up.js';
export { listIds, listNetns, type TestbedRecord, TestbedState } from './state.js';
export { type NodeStatus, type TestbedStatus, testbedStatus } from './status.js';
export {
  checkReachability,
  type ReachabilityReport,
  type TrafficEnv,
  transfer,
} from './traffic.js';
