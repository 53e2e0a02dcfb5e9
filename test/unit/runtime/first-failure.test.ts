/**
 * Which rank's failure is the job's (src/runtime/first-failure.ts), on mocked timers: the first
 * rank the rendezvous lost wins, whichever order the exits and the loss come in; a lost rank
 * still running is waited for longer; without a loss, the earliest failure is reported after
 * the wait; one report at most.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';
import { firstFailure, RUNNING_WAITS } from '../../../src/runtime/first-failure.js';

const WAIT = 1000;

beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

function judge(running: Set<number> = new Set()) {
  const reported: string[] = [];
  const whose = firstFailure({
    waitMs: WAIT,
    silent: (rank) => reported.push(`rank ${rank} without finalize`),
    running: (rank) => running.has(rank),
  });
  const fails = (rank: number, what: string) => {
    running.delete(rank);
    whose.failed(rank, () => reported.push(what));
  };
  return { reported, whose, fails };
}

test('the first lost rank is reported at once; the ranks it took down are not', () => {
  const { reported, whose, fails } = judge();
  whose.lost(2);
  fails(0, 'rank 0 exit 1');
  fails(2, 'rank 2 exit 3');
  whose.settle();
  mock.timers.tick(WAIT * 10);
  assert.deepEqual(reported, ['rank 2 exit 3']);
});

test('a rank that ends before the rendezvous loses the failed one waits for it', () => {
  const { reported, whose, fails } = judge(new Set([0, 1, 2, 3]));
  // Rank 0 learnt on its own socket that rank 2 was gone and ended before the rendezvous
  // lost rank 2, whose exit then came through ssh last.
  fails(0, 'rank 0 exit 1');
  mock.timers.tick(WAIT / 2);
  whose.lost(2);
  whose.lost(0);
  mock.timers.tick(WAIT);
  assert.deepEqual(reported, []);
  fails(2, 'rank 2 exit 3');
  assert.deepEqual(reported, ['rank 2 exit 3']);
});

test("the failed rank's exit before its loss is reported when the loss comes", () => {
  const { reported, whose, fails } = judge();
  fails(3, 'rank 3 exit 1');
  fails(1, 'rank 1 exit 3');
  assert.deepEqual(reported, []);
  whose.lost(1);
  assert.deepEqual(reported, ['rank 1 exit 3']);
});

test('a lost rank whose process ended without a failure ended without finalize', () => {
  const { reported, whose, fails } = judge();
  whose.lost(1);
  fails(0, 'rank 0 exit 1');
  mock.timers.tick(WAIT - 1);
  assert.deepEqual(reported, []);
  mock.timers.tick(1);
  assert.deepEqual(reported, ['rank 1 without finalize']);
  fails(1, 'rank 1 exit 3');
  assert.deepEqual(reported, ['rank 1 without finalize']);
});

test('a lost rank still running is waited for longer, but not for ever', () => {
  const { reported, whose, fails } = judge(new Set([0, 1]));
  whose.lost(1);
  fails(0, 'rank 0 exit 1');
  // One wait at a time: each wait sets the next.
  for (let i = 1; i < RUNNING_WAITS; i++) mock.timers.tick(WAIT);
  assert.deepEqual(reported, []);
  mock.timers.tick(WAIT);
  assert.deepEqual(reported, ['rank 1 without finalize']);
});

test('when every rank has ended, the first lost one is decided at once', () => {
  const { reported, whose, fails } = judge();
  whose.lost(3);
  fails(0, 'rank 0 exit 1');
  whose.settle();
  assert.deepEqual(reported, ['rank 3 without finalize']);
});

test('with no rank lost (none reached the rendezvous), the earliest failure, after the wait', () => {
  const { reported, fails } = judge();
  fails(0, 'rank 0 could not start');
  fails(1, 'rank 1 could not start');
  fails(0, 'rank 0 again');
  mock.timers.tick(WAIT - 1);
  assert.deepEqual(reported, []);
  mock.timers.tick(1);
  assert.deepEqual(reported, ['rank 0 could not start']);
  mock.timers.tick(WAIT * 10);
  assert.deepEqual(reported, ['rank 0 could not start']);
});
