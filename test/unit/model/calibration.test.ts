/** Calibrations (src/model/calibration.ts): levels of core sharing, thin and thick blocks, the
 * kernel under sharing, reading files. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Calibration,
  checkTopology,
  levelCost,
  parseCalibration,
  runtimeAt,
  secondsPerCell,
} from '../../../src/model/calibration.js';
import { fitPiecewise } from '../../../src/model/fit.js';
import { predictAdvect } from '../../../src/model/predict.js';
import { place } from '../../../src/placement/patterns.js';
import { presetSpec } from '../../../src/topology/presets.js';
import { resolveTopology } from '../../../src/topology/resolve.js';
import { line, paper, roundCalibration } from '../../support/calibration-fixture.js';

test('a shared machine: per-message costs interpolated between levels, all CPU over the busy cores', () => {
  const level = (ranks: number, cpuS: number) => ({
    ranks,
    classes: {
      'inter-host': { cpu: line(cpuS, 0), transient: line(0, 0) },
      'intra-vm': { cpu: line(cpuS, 0), transient: line(0, 0) },
    },
    utilization: 0.5,
  });
  // a message costs the runtime 0.1 ms of CPU at 4 ranks, 0.2 ms at 16: 0.15 ms at 10
  const cal = roundCalibration({
    machine: { cores: 2, emulated: true },
    runtime: [level(2, 0), level(4, 0.1e-3), level(16, 0.2e-3)],
  });
  assert.ok(Math.abs(runtimeAt(cal, 10).cpu('inter-host', 1000, 1000) - 0.15e-3) < 1e-15);
  // 10 ranks inter-node (one class), 100 steps, 1 ms of kernel per rank and step:
  // 100 x (9 messages x 0.15 ms + 10 x 1 ms) / (2 cores x 0.5) = 100 x 11.35 ms
  const app = { grid: [100, 100, 1000] as const, steps: 100, decomp: [1, 1, 10] as const };
  const p = predictAdvect(cal, app, place(paper, 'inter-node', 10), 'iov');
  assert.equal(p.bound, 'cpu');
  assert.ok(Math.abs(p.wallS - 1.135) < 1e-9, `${p.wallS}`);
  // as many ranks as cores: nothing shared, the dependencies bound the run
  const two = predictAdvect(
    cal,
    { grid: [100, 100, 200], steps: 100, decomp: [1, 1, 2] },
    place(paper, 'inter-node', 2),
    'iov',
  );
  assert.equal(two.bound, 'dependencies');
});

test('a message costs between the thin and the thick runs by the depth of the block behind it', () => {
  const costs = (cpuS: number) => ({
    'inter-host': { cpu: line(cpuS, 0), transient: line(1e-3, 0) },
  });
  const level = {
    ranks: 8,
    classes: costs(1e-4),
    depth: 4,
    thick: { depth: 64, classes: costs(5e-4) },
    utilization: 1,
  };
  // a 8 KiB face (1024 cells): 4 deep is thin, 64 deep thick, 16 deep halfway on a log scale
  assert.equal(levelCost(level, 'inter-host', 'cpu', 8192, 4 * 1024), 1e-4);
  assert.equal(levelCost(level, 'inter-host', 'cpu', 8192, 1024), 1e-4, 'thinner: the thin cost');
  assert.ok(Math.abs(levelCost(level, 'inter-host', 'cpu', 8192, 16 * 1024) - 3e-4) < 1e-15);
  assert.equal(levelCost(level, 'inter-host', 'cpu', 8192, 1000 * 1024), 5e-4, 'thicker: thick');
  // the same block behind a face 4 times larger is 4 times thinner
  assert.ok(Math.abs(levelCost(level, 'inter-host', 'cpu', 4 * 8192, 64 * 1024) - 3e-4) < 1e-15);
  // the predictions follow: the same faces on thicker blocks cost the runtime more
  const cal = roundCalibration({ machine: { cores: 2, emulated: true }, runtime: [level] });
  const at = runtimeAt(cal, 8);
  assert.ok(at.cpu('inter-host', 8192, 64 * 1024) > at.cpu('inter-host', 8192, 4 * 1024));
  assert.equal(at.transient('inter-host', 8192), 1e-3, 'the transient: the thin runs');
});

test('a shared machine: a cell costs what processes sharing the cores paid, by rank count', () => {
  const base = roundCalibration({ machine: { cores: 2, emulated: true } });
  const cal: Calibration = {
    ...base,
    kernel: {
      step: line(0, 0.5e-9),
      packSecondsPerByte: 0,
      shared: [
        { ranks: 6, step: line(0, 0.9e-9) },
        { ranks: 16, step: line(0, 1.5e-9) },
      ],
    },
  };
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-18, `${a} != ${b}`);
  close(secondsPerCell(cal, 2 ** 16, 2), 0.5e-9); // a core each: alone
  close(secondsPerCell(cal, 2 ** 16, 4), 0.7e-9); // halfway from the cores (alone) to 6
  close(secondsPerCell(cal, 2 ** 16, 6), 0.9e-9);
  close(secondsPerCell(cal, 2 ** 16, 11), 1.2e-9);
  close(secondsPerCell(cal, 2 ** 16, 32), 1.5e-9); // past the last level: the last
  // A real cluster (simulate) and an older calibration without the levels: alone.
  close(
    secondsPerCell({ ...cal, machine: { ...cal.machine, emulated: false } }, 2 ** 16, 16),
    0.5e-9,
  );
  close(secondsPerCell({ ...cal, kernel: { ...cal.kernel, shared: [] } }, 2 ** 16, 16), 0.5e-9);
  assert.throws(
    () =>
      parseCalibration(
        { ...cal, kernel: { ...cal.kernel, shared: [{ ranks: 1, step: line(0, 1e-9) }] } },
        'c.json',
      ),
    /kernel\.shared\.0\.ranks/,
  );
});

const twoPoints = [
  { bytes: 1024, seconds: 1e-6 },
  { bytes: 2048, seconds: 2e-6 },
];

test('calibrations: checked on reading; another topology and a missing class are refused', () => {
  const cal = roundCalibration();
  assert.deepEqual(parseCalibration(JSON.parse(JSON.stringify(cal)), 'c.json'), cal);
  // the points a fit rests on are kept with it, and read back
  const sampled = { ...cal, kernel: { ...cal.kernel, step: fitPiecewise(twoPoints) } };
  assert.deepEqual(parseCalibration(JSON.parse(JSON.stringify(sampled)), 'c.json'), sampled);
  const negative = { ...fitPiecewise(twoPoints), samples: [{ bytes: -1, seconds: 1 }] };
  assert.throws(
    () => parseCalibration({ ...cal, kernel: { ...cal.kernel, step: negative } }, 'c.json'),
    /c\.json: kernel\.step\.samples\.0\.bytes: /,
  );
  assert.throws(
    () =>
      parseCalibration(
        { ...cal, kernel: { step: line(0, 1e-9), packSecondsPerByte: -1 } },
        'c.json',
      ),
    /c\.json: kernel\.packSecondsPerByte: /,
  );
  assert.throws(() => parseCalibration({ ...cal, version: 9 }, 'c.json'), /c\.json: version: /);
  // calibrations of the first format are refused with what to do; their fields are unknown
  assert.throws(
    () => parseCalibration({ ...cal, version: 1 }, 'old.json'),
    /old\.json: version: got 1; allowed: 2 .*run vmpath calibrate/,
  );
  const level = cal.runtime[0] as Calibration['runtime'][number];
  const cost = level.classes['inter-host'];
  const older = { ...level, classes: { 'inter-host': { ...cost, step: line(0, 0) } } };
  assert.throws(
    () => parseCalibration({ ...cal, runtime: [older] }, 'c.json'),
    /c\.json: runtime\.0\.classes\.inter-host: Unrecognized key: "step"/,
  );
  const tiny = resolveTopology(presetSpec('tiny'), { datapath: 'iov' });
  assert.throws(
    () => checkTopology(cal, tiny, 'c.json'),
    (e: Error & { kind?: string }) =>
      e.kind === 'input' &&
      /c\.json: measured on topology paper .*allowed: a calibration of tiny/.test(e.message),
  );
  const noIntra = roundCalibration({ classes: { 'inter-host': cal.classes['inter-host'] } });
  assert.throws(
    () =>
      predictAdvect(
        noIntra,
        { grid: [32, 32, 32], steps: 1, decomp: [1, 1, 4] },
        place(paper, 'intra-node', 4),
        'iov',
        'c.json',
      ),
    /c\.json: no intra-vm measurements for data path iov/,
  );
});
