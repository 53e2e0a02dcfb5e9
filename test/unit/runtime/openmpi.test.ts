/**
 * Open MPI's command lines (src/runtime/openmpi.ts): finding the program among mpirun's
 * options, as `vmpath profile` must before it runs anything.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mpirunProgram } from '../../../src/runtime/openmpi.js';

test('the program is the first word that is neither an option nor an option value', () => {
  assert.equal(mpirunProgram(['-np', '4', './a.out', '-n', '3']), './a.out');
  assert.equal(mpirunProgram(['--mca', 'btl', 'tcp,self', '--oversubscribe', 'prog']), 'prog');
  assert.equal(mpirunProgram(['-x', 'FOO', '--host', 'a,b', '--map-by', 'node', 'x']), 'x');
  assert.equal(mpirunProgram(['--app', 'jobs.txt']), 'jobs.txt');
  assert.equal(mpirunProgram(['-np', '2']), null);
  assert.equal(mpirunProgram(['--mca', 'btl', 'self', '--tag-output']), null);
  assert.equal(mpirunProgram([]), null);
});
