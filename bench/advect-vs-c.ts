/**
 * bench advect-vs-c: the advection application on the vmpath runtime against its C twin on
 * Open MPI, on the same testbed, data path and placement: paper preset with iov, 8 ranks,
 * decomposition 1x1x8 (the study's pipeline), block placement, grid 128^3, 64 timed steps after
 * 16 untimed warm-up steps on both engines. The two engines run alternately 3 times; medians of
 * wall time, with each engine's computation / packing / communication split (mean over ranks).
 * Target: vmpath at most 1.3x the twin.
 */

import { makeParams } from '../src/apps/advect/params.js';
import type { AdvectResult } from '../src/apps/advect/result.js';
import { median } from '../src/bench/stats.js';
import { formatTable } from '../src/cli/table.js';
import { place } from '../src/placement/patterns.js';
import { presetSpec } from '../src/topology/presets.js';
import { resolveTopology } from '../src/topology/resolve.js';
import { runOnce } from './advect-support.js';
import {
  alternate,
  buildTestbed,
  removeTestbed,
  requireOpenMpi,
  requireRoot,
  verdict,
} from './support.js';

const ROUNDS = 3;
requireRoot('advect-vs-c');
requireOpenMpi('advect-vs-c');
// 16 untimed warm-up steps on both engines (then both start again from t = 0): the timed steps
// compare steady states, not the JIT's start-up (printed below without warm-up, for the record).
const WARMUP = 16;
const params = makeParams({ grid: [128, 128, 128], steps: 64, decomp: [1, 1, 8], warmup: WARMUP });
const topology = resolveTopology(presetSpec('paper'), { datapath: 'iov' });
const id = await buildTestbed(topology);
const results: Record<'vmpath' | 'openmpi', AdvectResult[]> = { vmpath: [], openmpi: [] };
let checksum = '';
let longRatio = '';
try {
  const target = { kind: 'testbed' as const, topology, id, placement: place(topology, 'block', 8) };
  await alternate(ROUNDS, ['vmpath', 'openmpi'] as const, async (engine) => {
    const result = await runOnce(params, target, engine);
    results[engine].push(result);
    if (checksum && result.checksum !== checksum)
      throw new Error(`checksums differ: ${result.checksum} (${engine}) and ${checksum}`);
    checksum = result.checksum;
    return result.totals.wallS;
  });
  // Not the target: the same without warm-up steps, one run each, to show what the start-up of
  // the JIT in 8 processes sharing this machine's 2 cores costs.
  const cold = { ...params, warmup: 0 };
  const coldRuns = await alternate(
    1,
    ['vmpath', 'openmpi'] as const,
    async (engine) => (await runOnce(cold, target, engine)).totals.wallS,
  );
  longRatio = `without warm-up: vmpath ${coldRuns.vmpath[0]?.toFixed(3)} s, Open MPI ${coldRuns.openmpi[0]?.toFixed(3)} s, ratio ${((coldRuns.vmpath[0] ?? 0) / (coldRuns.openmpi[0] ?? 1)).toFixed(3)}`;
} finally {
  await removeTestbed(id);
}
const med = (engine: 'vmpath' | 'openmpi', pick: (r: AdvectResult) => number) =>
  median(results[engine].map(pick));
const rows = (['vmpath', 'openmpi'] as const).map((engine) => [
  engine === 'vmpath' ? 'vmpath runtime (TypeScript, wasm kernel)' : 'C twin on Open MPI 4.1',
  med(engine, (r) => r.totals.wallS).toFixed(3),
  med(engine, (r) => r.totals.computeS.mean).toFixed(3),
  med(engine, (r) => r.totals.packS.mean).toFixed(3),
  med(engine, (r) => r.totals.commS.mean).toFixed(3),
  med(engine, (r) => r.totals.mcups).toFixed(0),
]);
process.stdout.write(
  `${formatTable(['engine', 'wall s', 'compute s', 'pack s', 'comm s', 'Mcell/s'], rows)}\n\n`,
);
process.stdout.write(
  `paper preset, iov, 8 ranks (block), decomposition 1x1x8, grid 128^3, 64 steps after ${WARMUP} warm-up steps; ${ROUNDS} alternating runs each, medians (compute/pack/comm: mean over ranks); checksum ${checksum} on both\n`,
);
process.stdout.write(`for comparison (one run each, not the target), ${longRatio}\n`);
const ratio = med('vmpath', (r) => r.totals.wallS) / med('openmpi', (r) => r.totals.wallS);
process.stdout.write(`${verdict('advect-vs-c', 'wall_ratio', ratio, '<=', 1.3)}\n`);
