/**
 * Reading an Open MPI job's output (src/runtime/openmpi-output.ts): tagged lines, mpirun's
 * failure messages as Open MPI 4.1 words them, tails, and the clock files.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  mpirunMessage,
  programSeconds,
  rankFailure,
  Tails,
  untag,
} from '../../../src/runtime/openmpi-output.js';

test('tagged lines name their rank and stream; others are mpirun’s', () => {
  assert.deepEqual(untag('[1,12]<stdout>:hello: x', 'out'), {
    rank: 12,
    stream: 'out',
    text: 'hello: x',
  });
  assert.deepEqual(untag('[1,0]<stderr>:oops', 'out'), { rank: 0, stream: 'err', text: 'oops' });
  assert.deepEqual(untag('mpirun noticed', 'err'), {
    rank: null,
    stream: 'err',
    text: 'mpirun noticed',
  });
});

test('tails keep the last lines of each rank', () => {
  const tails = new Tails(2);
  for (const l of ['a', 'b', 'c']) tails.add(1, l);
  tails.add(0, 'z');
  assert.deepEqual(tails.of(1), ['b', 'c']);
  assert.deepEqual(tails.of(0), ['z']);
  assert.deepEqual(tails.of(5), []);
});

test("mpirun's reports: exit code, signal, MPI_Abort", () => {
  const exit = `mpirun detected that one or more processes exited with non-zero status, thus causing
the job to be terminated. The first process to do so was:

  Process name: [[29755,1],2]
  Exit code:    3
`;
  assert.deepEqual(rankFailure(exit), {
    rank: 2,
    exitCode: 3,
    signal: null,
    signalName: null,
    aborted: false,
  });
  const signal =
    'mpirun noticed that process rank 5 with PID 23185 on node host1 exited on signal 11 (Segmentation fault).';
  assert.deepEqual(rankFailure(signal), {
    rank: 5,
    exitCode: null,
    signal: 11,
    signalName: 'Segmentation fault',
    aborted: false,
  });
  const abort = 'MPI_ABORT was invoked on rank 1 in communicator MPI_COMM_WORLD\nwith errorcode 7.';
  assert.deepEqual(rankFailure(abort), {
    rank: 1,
    exitCode: 7,
    signal: null,
    signalName: null,
    aborted: true,
  });
  assert.equal(rankFailure('something else'), null);
  assert.equal(mpirunMessage('-----\nA\n\n[1,0]<stderr>:x\nB\n-----\n'), 'A B');
});

test('the program ran from the first MPI_Init to the last MPI_Finalize', () => {
  assert.equal(programSeconds(['10.5 12.0\n', '10.0 11.0\n'], 2), 2);
  assert.equal(programSeconds(['10.5 12.0\n'], 2), null, 'a rank wrote none');
  assert.equal(programSeconds(['x y'], 1), null);
});
