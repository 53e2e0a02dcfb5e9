/** Calibrations of one machine pooled (src/model/pool.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Calibration } from '../../../src/model/calibration.js';
import { evaluate } from '../../../src/model/fit.js';
import { poolCalibrations } from '../../../src/model/pool.js';
import { line, roundCalibration } from '../../support/calibration-fixture.js';

test('calibrations of one machine: the parts they measured in common priced by their mean', () => {
  const cost = (us: number) => ({ cpu: line(us * 1e-6, 0), transient: line(0, 0) });
  const level = (local: number, vf: number, other: number, utilization: number) => ({
    ranks: 16,
    depth: 4,
    classes: { 'intra-vm': cost(local), 'inter-vm': cost(other), 'inter-host': cost(vf) },
    utilization,
  });
  const iov = roundCalibration({
    kernel: { step: line(0, 1e-9), packSecondsPerByte: 1e-10 },
    runtime: [level(10, 40, 40, 0.8)],
  });
  const shm = roundCalibration({
    datapath: 'shm',
    classes: {
      ...iov.classes,
      'inter-vm': { latency: line(2e-6, 1 / 6e9), stream: line(1e-6, 1 / 6e9) },
      'inter-host': { latency: line(20e-6, 1 / 1e9), stream: line(8e-6, 1 / 1e9) },
    },
    sharing: { singleFlowBytesPerS: 2e9, aggregateBytesPerS: 3e9, pairs: 4 },
    kernel: { step: line(0, 3e-9), packSecondsPerByte: 3e-10 },
    runtime: [level(30, 60, 20, 1)],
  });
  const bridged = roundCalibration({
    datapath: 'bridged',
    kernel: { step: line(0, 2e-9), packSecondsPerByte: 2e-10 },
    runtime: [level(20, 90, 90, 0.9)],
  });
  const { calibrations, notes } = poolCalibrations(
    new Map([
      ['iov', { calibration: iov, source: 'iov.json' }],
      ['shm', { calibration: shm, source: 'shm.json' }],
      ['bridged', { calibration: bridged, source: 'bridged.json' }],
    ] as const),
  );
  const get = (d: 'iov' | 'shm' | 'bridged') => calibrations.get(d)?.calibration as Calibration;
  const us = (c: Calibration, k: 'intra-vm' | 'inter-vm' | 'inter-host') =>
    Math.round(evaluate(c.runtime[0]?.classes[k]?.cpu ?? line(0, 0), 0) * 1e6);
  // the kernel, packing, the busy share and the local transport: one mean for all three
  for (const d of ['iov', 'shm', 'bridged'] as const) {
    assert.ok(Math.abs(evaluate(get(d).kernel.step, 1e6) - 2e-3) < 1e-12, d);
    assert.ok(Math.abs(get(d).kernel.packSecondsPerByte - 2e-10) < 1e-20, d);
    assert.ok(Math.abs((get(d).runtime[0]?.utilization ?? 0) - 0.9) < 1e-12, d);
    assert.equal(us(get(d), 'intra-vm'), 20, d);
  }
  // vf across hosts: iov and shm, not bridged; each data path keeps its own inter-vm channel
  assert.equal(us(get('iov'), 'inter-host'), 50);
  assert.equal(us(get('shm'), 'inter-host'), 50);
  assert.equal(us(get('bridged'), 'inter-host'), 90);
  assert.equal(us(get('iov'), 'inter-vm'), 40);
  assert.equal(us(get('shm'), 'inter-vm'), 20);
  assert.ok(
    Math.abs(evaluate(get('shm').classes['inter-host']?.latency ?? line(0, 0), 0) - 15e-6) < 1e-15,
  );
  assert.equal(get('iov').sharing.aggregateBytesPerS, 2e9);
  assert.equal(get('bridged').sharing.aggregateBytesPerS, 1e9);
  assert.deepEqual(notes, [
    "the kernel, packing and the cores' busy share: mean of iov, shm, bridged",
    'intra-vm (local): mean of iov, shm, bridged',
    "inter-vm runtime CPU: one curve for vf, shm, bridge (the mean of their means), times each one's factor over 20 comparisons: vf 0.80, shm 0.40, bridge 1.80",
    'inter-host (vf): mean of iov, shm',
    "inter-host runtime CPU: one curve for vf, bridge (the mean of their means), times each one's factor over 20 comparisons: vf 0.71, bridge 1.29",
  ]);
  // another machine's calibration is left as measured
  const alone = poolCalibrations(
    new Map([
      ['iov', { calibration: iov, source: 'iov.json' }],
      [
        'shm',
        {
          calibration: { ...shm, machine: { ...shm.machine, cores: 2, emulated: true } },
          source: 's',
        },
      ],
    ] as const),
  );
  assert.equal(alone.calibrations.get('iov')?.calibration, iov);
  assert.deepEqual(alone.notes, []);
});

test("calibrations of one machine: a channel's runtime CPU from all its runs, not its one run at a rank count", () => {
  const cost = (us: number) => ({ cpu: line(us * 1e-6, 0), transient: line(0, 0) });
  // vf across hosts costs 50 us at 8 and at 16 ranks; the bridge's runs gave 60 and 40: one
  // high, one low, as runs spread. Alone at 16 ranks, the bridge looked 20% cheaper than the vf.
  const levels = (vf: readonly number[]) =>
    [8, 16].map((ranks, i) => ({
      ranks,
      depth: 4,
      classes: { 'intra-vm': cost(10), 'inter-host': cost(vf[i] as number) },
      utilization: 0.9,
    }));
  const iov = roundCalibration({ runtime: levels([50, 50]) });
  const shm = roundCalibration({ datapath: 'shm', runtime: levels([50, 50]) });
  const bridged = roundCalibration({ datapath: 'bridged', runtime: levels([60, 40]) });
  const { calibrations } = poolCalibrations(
    new Map([
      ['iov', { calibration: iov, source: 'iov.json' }],
      ['shm', { calibration: shm, source: 'shm.json' }],
      ['bridged', { calibration: bridged, source: 'bridged.json' }],
    ] as const),
  );
  const us = (d: 'iov' | 'bridged', level: number) =>
    evaluate(
      calibrations.get(d)?.calibration.runtime[level]?.classes['inter-host']?.cpu ?? line(0, 0),
      4096,
    ) * 1e6;
  // Each level's curve is the mean of the two channels' (55, then 45); the bridge's factor is
  // the geometric mean of 60/55 and 40/45, the vf's of 50/55 and 50/45.
  const bridge = Math.sqrt((60 / 55) * (40 / 45));
  const vf = Math.sqrt((50 / 55) * (50 / 45));
  for (const [level, curve] of [
    [0, 55],
    [1, 45],
  ] as const) {
    assert.ok(Math.abs(us('bridged', level) - curve * bridge) < 1e-9, `bridge at level ${level}`);
    assert.ok(Math.abs(us('iov', level) - curve * vf) < 1e-9, `vf at level ${level}`);
  }
  // at 16 ranks the two now differ by what both levels say (2%), not by the one run (20%)
  assert.ok(us('bridged', 1) / us('iov', 1) > 0.97);
  assert.ok(us('bridged', 1) < us('iov', 1));
});
