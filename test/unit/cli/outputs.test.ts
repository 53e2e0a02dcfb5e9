/**
 * Writing outputs (src/cli/outputs.ts): whole files, through links, into devices, and a result
 * that cannot be written where asked saved elsewhere, the error saying where.
 */
import assert from 'node:assert/strict';
import { lstatSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkOutput, writeResult, writeWhole } from '../../../src/cli/outputs.js';
import { hasCode } from '../../../src/core/errors.js';
import { tempDir } from '../../support/temp.js';

const dir = tempDir('vmpath-outputs-');

test('a link is written through, its target replaced whole; a device is written to', () => {
  const target = join(dir, 'target.json');
  writeFileSync(target, 'old');
  const link = join(dir, 'link.json');
  symlinkSync(target, link);
  writeWhole(link, 'new');
  assert.equal(lstatSync(link).isSymbolicLink(), true, 'the link stays a link');
  assert.equal(readFileSync(target, 'utf8'), 'new');
  assert.doesNotThrow(() => writeWhole('/dev/null', 'discarded'));
  assert.equal(checkOutput('/dev/null', '-o'), '/dev/null');
});

test('a result that cannot be written where asked is saved in the temporary folder', () => {
  const gone = join(dir, 'no-such-folder', 'calibration.json');
  let caught: unknown;
  try {
    writeResult(gone, '{"kept":true}', 'calibration');
  } catch (error) {
    caught = error;
  }
  assert.ok(hasCode(caught, 'E_CLI_WRITE'), String(caught));
  const saved = /it is saved in (\S+)$/.exec((caught as Error).message)?.[1];
  assert.ok(saved, (caught as Error).message);
  assert.equal(readFileSync(saved, 'utf8'), '{"kept":true}');
  rmSync(saved);
});
