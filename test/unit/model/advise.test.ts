/** The advisor (src/model/advise.ts): candidates ranked and explained, disagreement between
 * calibrations. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { advectTraffic } from '../../../src/apps/advect/pattern.js';
import { advise, explain } from '../../../src/model/advise.js';
import { line, paper, roundCalibration } from '../../support/calibration-fixture.js';

test('advise: ranks candidates by predicted time and explains the winner', () => {
  const iov = roundCalibration();
  const bridged = roundCalibration({
    datapath: 'bridged',
    classes: {
      ...iov.classes,
      'inter-host': { latency: line(40e-6, 1 / 0.5e9), stream: line(20e-6, 1 / 0.5e9) },
    },
  });
  const app = { grid: [128, 128, 128] as const, steps: 8, decomp: [1, 1, 16] as const };
  const advice = advise(
    paper,
    new Map([
      ['iov', { calibration: iov, source: 'iov.json' }],
      ['bridged', { calibration: bridged, source: 'bridged.json' }],
    ]),
    { kind: 'advect', app, traffic: advectTraffic(app.grid, app.decomp, app.steps) },
    16,
  );
  assert.equal(advice.ranked.length, 2 * 4);
  const times = advice.ranked.map((c) => c.prediction.wallS);
  assert.deepEqual(
    times,
    [...times].sort((a, b) => a - b),
  );
  assert.equal(advice.ranked[0]?.datapath, 'iov');
  assert.match(
    advice.explanation,
    /^iov with (intra-node|optimized): \d+% of bytes stay inside vms, .* iov wins by \d\.\d\dx over the best bridged/,
  );
});

test('advise: how far two calibrations priced one deployment apart, and who is within it', () => {
  const iov = roundCalibration();
  const shm = roundCalibration({
    datapath: 'shm',
    kernel: { step: line(0, 1.5e-9), packSecondsPerByte: 0 },
  });
  const app = { grid: [128, 128, 128] as const, steps: 8, decomp: [1, 1, 16] as const };
  const workload = {
    kind: 'advect' as const,
    app,
    traffic: advectTraffic(app.grid, app.decomp, app.steps),
  };
  const advice = advise(
    paper,
    new Map([
      ['iov', { calibration: iov, source: 'iov.json' }],
      ['shm', { calibration: shm, source: 'shm.json' }],
    ] as const),
    workload,
    16,
  );
  // hybrid and inter-node are one deployment on iov and shm: alone, the calibrations priced
  // them apart by what their kernels differ, at most 50%; pooled, alike
  const d = advice.disagreement as number;
  assert.ok(d > 0.05 && d <= 0.5 + 1e-9, `${d}`);
  const hybrid = advice.ranked.filter((c) => c.placement === 'hybrid');
  assert.equal(hybrid[0]?.prediction.wallS, hybrid[1]?.prediction.wallS);
  // the winner leads by 2x: no other deployment within d of it
  assert.doesNotMatch(advice.explanation, /predicted within/);
  // with calibrations this far apart, every other deployment is
  const deployments = new Set(advice.ranked.map((c) => c.deployment)).size;
  assert.match(
    explain(advice.ranked, 100),
    new RegExp(`; ${deployments - 1} other deployments are predicted within 10000% of it,`),
  );
  // one data path: nothing to compare, nothing said
  const one = advise(
    paper,
    new Map([['iov', { calibration: iov, source: 'iov.json' }]]),
    workload,
    16,
  );
  assert.equal(one.disagreement, undefined);
  assert.doesNotMatch(one.explanation, /predicted within/);
});
