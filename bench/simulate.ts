/**
 * bench simulate: the model evaluated on a cluster far larger than this machine, 128 hosts x
 * 8 vms x 2 slots = 2048 ranks, the advection pipeline for 512 steps, under each placement
 * (intra-node, inter-node, hybrid, optimized: the graph mapping runs on 2048 ranks too). The
 * calibration is measured first on a paper iov testbed; as the reference, the same testbed runs
 * the 16-rank problem for 512 steps for real. Five timed evaluations, median.
 * Target: 2048 ranks x 512 steps in at most 10 s.
 */

import { advectTraffic } from '../src/apps/advect/pattern.js';
import { median } from '../src/bench/stats.js';
import { formatTable } from '../src/cli/table.js';
import { testbedTarget } from '../src/cluster/target.js';
import { calibrate } from '../src/experiment/calibrate.js';
import { measureCases } from '../src/experiment/validate.js';
import { type Candidate, deploymentOf, NAMED_PLACEMENTS } from '../src/model/advise.js';
import { type AdvectApp, predictAdvect } from '../src/model/predict.js';
import { asRealCluster, clusterTopology } from '../src/model/simulate.js';
import { placeFor } from '../src/placement/mapping.js';
import { place } from '../src/placement/patterns.js';
import { TestbedState } from '../src/testbed/state.js';
import { presetSpec } from '../src/topology/presets.js';
import { resolveTopology } from '../src/topology/resolve.js';
import { buildTestbed, env, interrupt, removeTestbed, requireRoot, verdict } from './support.js';

requireRoot('simulate');

const topology = resolveTopology(presetSpec('paper'), { datapath: 'iov', rateMbit: 0 });
const id = await buildTestbed(topology, 's');
let calibration: Awaited<ReturnType<typeof calibrate>>;
let realS: number;
const reference: AdvectApp = { grid: [64, 64, 64], steps: 512, decomp: [1, 1, 16] };
try {
  const record = new TestbedState(env.stateDir, id).read();
  if (!record) throw new Error(`testbed ${id} has no record`);
  calibration = await calibrate(env, testbedTarget(record), {
    signal: interrupt,
    onStep: (text) => process.stderr.write(`calibrate: ${text}\n`),
  });
  const placed = place(topology, 'hybrid', 16);
  const prediction = predictAdvect(calibration, reference, placed, 'iov');
  const c: Candidate = {
    datapath: 'iov',
    placement: 'hybrid',
    placed,
    prediction,
    deployment: deploymentOf('iov', placed, prediction.byClass),
  };
  const [measured] = await measureCases(
    env,
    new Map([['iov', testbedTarget({ topology, id })]]),
    reference,
    [c],
    1,
    { signal: interrupt },
  );
  realS = measured?.measuredS ?? Number.NaN;
} finally {
  await removeTestbed(id);
}

const cluster = clusterTopology(128, 8, 2, 'iov', null);
const app: AdvectApp = { grid: [1024, 1024, 2048], steps: 512, decomp: [1, 1, 2048] };
const real = asRealCluster(calibration);
const traffic = advectTraffic(app.grid, app.decomp, 1);
const placements = [...NAMED_PLACEMENTS, 'optimized'];
const times: number[] = [];
let rows: string[][] = [];
for (let round = 0; round < 5; round++) {
  const begin = performance.now();
  rows = placements.map((name) => {
    const placed = placeFor(cluster, name, 2048, traffic);
    const p = predictAdvect(real, app, placed, 'iov');
    return [
      name,
      (p.wallS * 1000).toFixed(0),
      (p.computeS * 1000).toFixed(0),
      (p.commS * 1000).toFixed(0),
    ];
  });
  times.push((performance.now() - begin) / 1000);
}
process.stdout.write(
  `128 hosts x 8 vms x 2 slots = 2048 ranks, advect ${app.grid.join('x')} x ${app.steps} steps (1x1x2048), iov, calibrated on paper:\n`,
);
process.stdout.write(
  `${formatTable(['placement', 'predicted wall ms', 'compute ms', 'comm ms'], rows)}\n\n`,
);
process.stdout.write(
  `${formatTable(
    ['what', 'seconds'],
    [
      ['simulate 2048 ranks x 512 steps, 4 placements (median of 5)', median(times).toFixed(3)],
      [
        `run 16 ranks ${reference.grid.join('x')} x 512 steps on the testbed (reference)`,
        realS.toFixed(3),
      ],
    ],
  )}\n`,
);
process.stdout.write(`${verdict('simulate', 'seconds_2048x512', median(times), '<=', 10)}\n`);
