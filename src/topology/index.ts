/**
 * Cluster specs: types, validation, presets. Pure: no I/O; callers pass file text in.
 */
export { BENCHMARK_RANGE } from './address.js';
export { parseSpecText } from './parse.js';
export { PRESETS, presetSpec } from './presets.js';
export { slotsOf, vmsOf } from './query.js';
export { DEFAULTS, resolveTopology, type TopologyOverrides } from './resolve.js';
export type { TopologyInput } from './schema.js';
export * from './types.js';
