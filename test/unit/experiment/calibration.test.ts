/** A calibration's plan (src/experiment/calibration-plan.ts) and the fit of what it measured (calibration-fit.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitCalibration, type RunFigures } from '../../../src/experiment/calibration-fit.js';
import {
  levelRanks,
  planCalibration,
  RUN_LENGTHS,
  RUNTIME_FACES,
  THICK_DEPTH,
} from '../../../src/experiment/calibration-plan.js';
import { calibrationSchema, THIN_DEPTH } from '../../../src/model/calibration.js';
import { evaluate } from '../../../src/model/fit.js';
import type { TestbedRecord } from '../../../src/testbed/state.js';
import { presetSpec } from '../../../src/topology/presets.js';
import { resolveTopology } from '../../../src/topology/resolve.js';
import type { Datapath } from '../../../src/topology/types.js';

const record = (preset: string, datapath: Datapath): TestbedRecord => ({
  id: 'c1',
  state: 'up',
  createdAt: '2026-12-01T00:00:00Z',
  pid: 1,
  topology: resolveTopology(presetSpec(preset), { datapath }),
});

test('the plan: levels from the cores to every slot, doubling; six series a level, each face at both lengths', () => {
  const paper = record('paper', 'iov');
  assert.deepEqual(levelRanks(paper, 2), [2, 4, 8, 16]);
  assert.deepEqual(levelRanks(paper, 8), [8, 16]);
  assert.deepEqual(levelRanks(paper, 64), [16]);
  const plan = planCalibration(paper, 2);
  assert.equal(plan.datapath, 'iov');
  assert.deepEqual(
    plan.curves.map((c) => c.messageClass),
    ['intra-vm', 'inter-vm', 'inter-host'],
  );
  for (const level of plan.levels) {
    assert.equal(level.series.length, 6);
    for (const s of level.series) {
      assert.equal(s.placement.length, level.ranks);
      assert.equal(s.problems.length, RUNTIME_FACES.length * 2);
      const lengths = s.depth === THIN_DEPTH ? RUN_LENGTHS.thin : RUN_LENGTHS.thick;
      assert.deepEqual(s.runs.slice(0, 2), [
        { side: RUNTIME_FACES[0], steps: lengths[0] },
        { side: RUNTIME_FACES[0], steps: lengths[1] },
      ]);
      for (const [k, p] of s.problems.entries()) {
        const run = s.runs[k] as { side: number; steps: number };
        assert.deepEqual(p.grid, [run.side, run.side, level.ranks * s.depth]);
        assert.equal(p.steps, run.steps);
        assert.deepEqual(p.decomp, [1, 1, level.ranks]);
      }
    }
    assert.deepEqual(
      level.series.map((s) => s.depth),
      [THIN_DEPTH, THIN_DEPTH, THIN_DEPTH, THICK_DEPTH, THICK_DEPTH, THICK_DEPTH],
    );
  }
  // inter-host neighbours alternate between the first vm of each host
  const interHost = plan.levels[0]?.series[2];
  assert.equal(interHost?.messageClass, 'inter-host');
  assert.deepEqual(
    interHost?.placement.map((p) => p.vm),
    ['node1', 'node5'],
  );
});

test('the fit: per-step costs from two run lengths, scaled to one message out and one in', () => {
  const plan = planCalibration(record('tiny', 'bridged'), 2);
  // Every run: 1 ms of kernel CPU per rank and step plus 0.2 ms of the rest, 5 ms of wall
  // beyond its steps, and cores half busy.
  const figures = (steps: number): RunFigures => ({
    steps,
    kernel: 1e-3 * steps,
    cpu: 1.2e-3 * steps,
    wall: 5e-3 + 1e-3 * steps,
    busy: 0.5 * 2 * (5e-3 + 1e-3 * steps),
  });
  const flat = (x: number) => [
    { bytes: 10, value: x },
    { bytes: 100, value: x },
    { bytes: 1000, value: x },
  ];
  const calibration = fitCalibration(
    plan,
    {
      curves: Object.fromEntries(
        plan.curves.map((c) => [c.messageClass, { latency: flat(10), bw: flat(100) }]),
      ),
      sharing: { single: 100, all: 200, pairs: 2 },
      kernel: {
        step: { segments: [{ fromBytes: 0, a: 0, g: 1e-9 }], error: 0, points: 2 },
        packSecondsPerByte: 0,
      },
      runtime: plan.levels.map((l) => l.series.map((s) => s.runs.map((r) => figures(r.steps)))),
    },
    {
      topology: { name: 'tiny', fingerprint: 'f', rateMbit: null },
      machine: { cores: 2, emulated: true, cpu: 'c', kernel: 'k', memoryBytes: 1 },
      measuredAt: '2026-12-01T00:00:00Z',
    },
  );
  assert.ok(calibrationSchema.safeParse(calibration).success, 'a valid calibration');
  assert.deepEqual(
    calibration.runtime.map((l) => l.ranks),
    levelRanks(record('tiny', 'bridged'), 2),
  );
  for (const level of calibration.runtime) {
    assert.equal(level.depth, THIN_DEPTH);
    assert.equal(level.thick.depth, THICK_DEPTH);
    assert.ok(Math.abs(level.utilization - 0.5) < 1e-9);
    // A pipeline of n ranks sends 2(n-1)/n messages per rank and step: 0.2 ms of the rest is
    // 0.2 x 2 / that per message out and in.
    const ends = (2 * (level.ranks - 1)) / level.ranks;
    for (const cost of Object.values(level.classes)) {
      assert.ok(Math.abs(evaluate(cost.cpu, 8192) - (0.2e-3 * 2) / ends) < 1e-9);
      assert.ok(Math.abs(evaluate(cost.transient, 8192) - 5e-3) < 1e-9);
    }
  }
  // Levels with more ranks than cores measure the kernel under sharing: 1 ms per step of a
  // block of side^2 x depth cells.
  const shared = calibration.kernel.shared;
  assert.deepEqual(
    shared.map((l) => l.ranks),
    calibration.runtime.filter((l) => l.ranks > 2).map((l) => l.ranks),
  );
  assert.equal(calibration.sharing.aggregateBytesPerS, 200 * 2 ** 20);
  const latency = calibration.classes['inter-host']?.latency;
  assert.ok(latency && Math.abs(evaluate(latency, 100) - 10e-6) < 1e-12, 'one-way 10 us');
});
