/**
 * The example calibrations that ship with vmpath: each parses, is of the paper preset and its
 * data path, and states the machine and date it was measured on; predict, advise and simulate
 * use them when no --calibration is given (no root needed), saying so in one line.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { EXAMPLE_DATAPATHS, exampleFile } from '../../../src/cli/calibrations.js';
import { parseCalibration } from '../../../src/model/calibration.js';
import { vmpath } from '../../support/cli.js';

test('each example calibration parses and states its data path, machine and date', () => {
  for (const datapath of EXAMPLE_DATAPATHS) {
    const file = exampleFile(datapath);
    const calibration = parseCalibration(JSON.parse(readFileSync(file, 'utf8')), file);
    assert.equal(calibration.datapath, datapath);
    assert.equal(calibration.topology.name, 'paper');
    assert.ok(calibration.machine.cpu && calibration.machine.kernel, 'the machine is named');
    assert.ok(calibration.machine.cores >= 1 && calibration.machine.emulated);
    assert.ok(!Number.isNaN(Date.parse(calibration.measuredAt)), calibration.measuredAt);
  }
});

const notice =
  /^vmpath: no --calibration given: using the example calibrations? of the paper preset/m;

test('predict, advise and simulate run on the examples without --calibration', () => {
  const predict = vmpath(['predict', '--grid', '96x96x96', '--steps', '64', '--datapath', 'iov']);
  assert.equal(predict.status, 0, predict.stderr);
  assert.match(predict.stderr, notice);
  assert.match(predict.stderr, /\(iov\) shipped with vmpath, measured \d{4}-\d\d-\d\d on .*cores/);
  assert.equal(predict.stderr.trim().split('\n').length, 1, 'one line');
  assert.match(predict.stdout, /advect 96x96x96 x 64 steps, 1x1x16, hybrid on paper \(iov\)/);

  const advise = vmpath(['advise', '--grid', '96x96x96', '--steps', '64', '--json']);
  assert.equal(advise.status, 0, advise.stderr);
  assert.match(advise.stderr, /example calibrations of the paper preset \(bridged, iov, shm\)/);
  const ranked = (JSON.parse(advise.stdout) as { ranked: { datapath: string }[] }).ranked;
  assert.deepEqual([...new Set(ranked.map((c) => c.datapath))].sort(), ['bridged', 'iov', 'shm']);

  const simulate = vmpath(['simulate', '--hosts', '128', '--vms-per-host', '8', '--slots', '2']);
  assert.equal(simulate.status, 0, simulate.stderr);
  assert.match(simulate.stderr, /\(bridged\)/);
  assert.match(simulate.stdout, /128 hosts x 8 vms x 2 slots = 2048 ranks/);
});

test('the examples are of paper: another topology needs a calibration of its own', () => {
  const tiny = vmpath(['predict', '--preset', 'tiny', '--decomp', '1x1x4']);
  assert.equal(tiny.status, 2, tiny.stderr);
  assert.match(tiny.stderr, /allowed: a calibration of tiny/);
});
