/**
 * `vmpath calibrate`'s usage errors through the built CLI: they are found before any testbed is
 * looked up or measured, so they need no root.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { vmpath } from '../../support/cli.js';
import { tempDir } from '../../support/temp.js';

const STATE = { VMPATH_STATE_DIR: tempDir('vmpath-cal-cli-') };

test('calibrate: one testbed twice, or one --output for several, exits 2 naming the field', () => {
  const twice = vmpath(['calibrate', '--id', 'tb1', '--id', 'tb2', '--id', 'tb1'], STATE);
  assert.equal(twice.status, 2);
  assert.match(twice.stderr, /--id: got "tb1"; allowed: each testbed once/);
  const output = vmpath(['calibrate', '--id', 'tb1', '--id', 'tb2', '-o', 'c.json'], STATE);
  assert.equal(output.status, 2);
  assert.match(output.stderr, /--output: got "c.json"; allowed: one file, with one --id \(got 2;/);
  const unknown = vmpath(['calibrate', '--id', 'tb1', '--id', 'tb2'], STATE);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /--id: got "tb1"; allowed: an existing testbed \(none is up\)/);
});
