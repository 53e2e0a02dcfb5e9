import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labeller, SRUN_PIECE_BYTES, taskFailure } from '../../../src/runtime/srun-job.js';

test("srun's labelled lines become [rank] lines, a long line's pieces joined again", () => {
  const lines: string[] = [];
  const label = labeller('out', (line) => lines.push(line));
  const long = 'x'.repeat(SRUN_PIECE_BYTES * 2 + 10);
  label(`1: ${long.slice(0, SRUN_PIECE_BYTES)}`);
  label('0: short');
  label(`1: ${long.slice(SRUN_PIECE_BYTES, 2 * SRUN_PIECE_BYTES)}`);
  label(`1: ${long.slice(2 * SRUN_PIECE_BYTES)}`);
  label('srun: error: something of its own');
  label(' 12: padded label');
  assert.deepEqual(lines, [
    '[0] short',
    `[1] ${long}`,
    'srun: error: something of its own',
    '[12] padded label',
  ]);
});

test("srun's word on a failed task names the rank and its node", () => {
  assert.deepEqual(taskFailure('srun: error: vm2: task 3: Exited with exit code 7\n'), {
    rank: 3,
    reason: 'rank 3 (on vm2) exited with code 7',
    code: 7,
  });
  assert.deepEqual(taskFailure('srun: error: b: task 1: Killed'), {
    rank: 1,
    reason: 'rank 1 (on b) killed',
    code: 1,
  });
  assert.equal(taskFailure('srun: job 5 queued'), null);
});
