/**
 * Open MPI's command lines (src/runtime/openmpi.ts): finding the program among mpirun's
 * options, as `vmpath profile` must before it runs anything.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { monitoredMpirun, monitoringFiles, mpirunProgram } from '../../../src/runtime/openmpi.js';

test('the program is the first word that is neither an option nor an option value', () => {
  assert.equal(mpirunProgram(['-np', '4', './a.out', '-n', '3']), './a.out');
  assert.equal(mpirunProgram(['--mca', 'btl', 'tcp,self', '--oversubscribe', 'prog']), 'prog');
  assert.equal(mpirunProgram(['-x', 'FOO', '--host', 'a,b', '--map-by', 'node', 'x']), 'x');
  assert.equal(mpirunProgram(['--app', 'jobs.txt']), 'jobs.txt');
  assert.equal(mpirunProgram(['-np', '2']), null);
  assert.equal(mpirunProgram(['--mca', 'btl', 'self', '--tag-output']), null);
  assert.equal(mpirunProgram([]), null);
});

test('profile: the user mpirun line gains pml monitoring into a folder; rank files are found by name', () => {
  const argv = monitoredMpirun('/usr/bin/mpirun', ['-n', '4', './a.out'], '/tmp/p');
  assert.deepEqual(argv.slice(-4), ['/tmp/p/prof', '-n', '4', './a.out']);
  assert.equal(argv[0], '/usr/bin/mpirun');
  assert.ok(argv.includes('pml_monitoring_enable'));
  assert.deepEqual(monitoringFiles(['prof.1.prof', 'x', 'prof.0.prof', 'prof.a.prof']), [
    { rank: 1, name: 'prof.1.prof' },
    { rank: 0, name: 'prof.0.prof' },
  ]);
});
