/** Predictions (src/model/predict.ts): message times, the advection pipeline, any matrix. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { messageTimes, predictAdvect, predictMatrix } from '../../../src/model/predict.js';
import { place } from '../../../src/placement/patterns.js';
import { paper, roundCalibration } from '../../support/calibration-fixture.js';

test('message times: classes, and flows sharing an uplink', () => {
  const cal = roundCalibration();
  const placed = place(paper, 'inter-node', 16);
  // one 1 MB message across hosts alone: 10 us + 1 ms
  const one = messageTimes(cal, 'iov', placed, [{ from: 0, to: 1, bytes: 1e6 }]);
  assert.equal(one.classes[0], 'inter-host');
  assert.ok(Math.abs((one.seconds[0] ?? 0) - 1.01e-3) < 1e-9);
  // two at once from host0 to host1 share its uplink: 2 ms each
  const two = messageTimes(cal, 'iov', placed, [
    { from: 0, to: 1, bytes: 1e6 },
    { from: 2, to: 3, bytes: 1e6 },
  ]);
  assert.ok(Math.abs((two.seconds[0] ?? 0) - 2.01e-3) < 1e-9);
  // opposite directions do not share (full duplex)
  const duplex = messageTimes(cal, 'iov', placed, [
    { from: 0, to: 1, bytes: 1e6 },
    { from: 1, to: 0, bytes: 1e6 },
  ]);
  assert.ok(Math.abs((duplex.seconds[1] ?? 0) - 1.01e-3) < 1e-9);
});

test('advect prediction: a 2-rank pipeline by hand, and the pipeline fill of P ranks', () => {
  const cal = roundCalibration();
  const placed = place(paper, 'inter-node', 2);
  // 100x100x200 split in z: 1e6 cells per rank -> 1 ms per step; face 100x100x8 = 80 kB
  // per step: rank 1 waits for rank 0's face: 10 us + 80 us; steps T: T x 1 ms + one message
  const p = predictAdvect(
    cal,
    { grid: [100, 100, 200], steps: 10, decomp: [1, 1, 2] },
    placed,
    'iov',
  );
  assert.ok(Math.abs(p.computeS - 0.01) < 1e-12);
  assert.ok(Math.abs(p.wallS - (0.01 + 90e-6)) < 1e-9, `${p.wallS}`);
  assert.equal(p.byClass['inter-host'].messages, 10);
  assert.equal(p.cpuStretch, 1);
  // emulated on 2 cores: 8 ranks stretch computation 4x
  const emulated = roundCalibration({ machine: { cores: 2, emulated: true } });
  const e = predictAdvect(
    emulated,
    { grid: [100, 100, 800], steps: 4, decomp: [1, 1, 8] },
    place(paper, 'intra-node', 8),
    'iov',
  );
  assert.equal(e.cpuStretch, 4);
  assert.ok(Math.abs(e.computeS - 4 * 4 * 1e-3) < 1e-12);
  // intra-node beats inter-node on a pipeline: fewer host crossings
  const app = { grid: [128, 128, 128] as const, steps: 8, decomp: [1, 1, 16] as const };
  const intra = predictAdvect(cal, app, place(paper, 'intra-node', 16), 'iov');
  const inter = predictAdvect(cal, app, place(paper, 'inter-node', 16), 'iov');
  assert.ok(intra.wallS < inter.wallS);
  assert.equal(inter.byClass['inter-host'].messages, 15 * 8);
  assert.equal(intra.byClass['inter-host'].messages, 1 * 8);
});

test('matrix prediction: the slowest rank, messages under sharing', () => {
  const cal = roundCalibration();
  const placed = place(paper, 'intra-node', 4);
  const p = predictMatrix(
    cal,
    [
      { from: 0, to: 1, messages: 10, bytes: 10e6 },
      { from: 2, to: 3, messages: 1, bytes: 8 },
    ],
    placed,
    'iov',
  );
  // ranks 0 and 1 share vm node1: intra-vm, 10 x (1 us + 1 MB / 8 GB/s)
  assert.ok(Math.abs(p.commS - 10 * (1e-6 + 1e6 / 8e9)) < 1e-12);
  assert.equal(p.computeS, 0);
});
