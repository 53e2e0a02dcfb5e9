/**
 * The busy-polling policy (src/runtime/spin.ts) on a scripted clock, usage and load: polling
 * that keeps its core goes on; polling while threads wait for a core, or pre-empted, or with too
 * little of a core, backs off, longer each time, and comes back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CHECK_MS,
  FIRST_BACKOFF_MS,
  LOADED_READS,
  MAX_BACKOFF_MS,
  MAX_PREEMPTIONS,
  MIN_SHARE,
  SpinPolicy,
  WINDOW_MS,
} from '../../../src/runtime/spin.js';

const CORES = 2;

/** A meter the test moves: `run(ms, share)` passes wall time, `share` of it on a core;
 * `runnable` is the machine's runnable threads (this rank included). */
function scripted() {
  const state = { wall: 0, cpu: 0, preemptions: 0, runnable: 1 as number | null };
  return {
    state,
    meter: {
      now: () => state.wall,
      usage: () => ({ cpuMs: state.cpu, preemptions: state.preemptions }),
      runnable: () => state.runnable,
    },
    run(ms: number, share: number) {
      state.wall += ms;
      state.cpu += ms * share;
    },
    preempt() {
      state.preemptions++;
    },
    wait(ms: number) {
      state.wall += ms;
    },
  };
}

type Clock = ReturnType<typeof scripted>;

/** Spells of 1 ms at `share` until a window is full. */
function fillWindow(policy: SpinPolicy, clock: Clock, share: number): void {
  for (let spent = 0; spent < WINDOW_MS; spent += 1) {
    const spell = policy.begin();
    clock.run(1, share);
    policy.end(spell);
  }
}

test('polling that keeps its core goes on', () => {
  const clock = scripted();
  const policy = new SpinPolicy(CORES, clock.meter);
  for (let i = 0; i < 10; i++) fillWindow(policy, clock, 0.97);
  assert.equal(policy.allowed(), true);
});

test('pre-emptions beyond MAX_PREEMPTIONS in a window back off at once; the back-off doubles up to its cap', () => {
  const clock = scripted();
  const policy = new SpinPolicy(CORES, clock.meter);
  let expected = FIRST_BACKOFF_MS;
  for (let round = 0; round < 10; round++) {
    for (let tolerated = 0; tolerated < MAX_PREEMPTIONS; tolerated++) {
      const spell = policy.begin();
      clock.run(0.1, 1);
      clock.preempt();
      policy.end(spell);
      assert.equal(
        policy.allowed(),
        true,
        `round ${round}: pre-emption ${tolerated + 1} is tolerated`,
      );
    }
    const spell = policy.begin();
    clock.run(0.1, 1);
    clock.preempt();
    policy.end(spell);
    assert.equal(policy.allowed(), false, `round ${round}: backing off`);
    clock.wait(expected - 1);
    assert.equal(policy.allowed(), false, `round ${round}: still within ${expected} ms`);
    clock.wait(1);
    assert.equal(policy.allowed(), true, `round ${round}: polls again after ${expected} ms`);
    expected = Math.min(MAX_BACKOFF_MS, expected * 2);
  }
  assert.equal(expected, MAX_BACKOFF_MS, 'the back-off reached its cap');
});

test('too little of a core over a window backs off; a good window resets the back-off', () => {
  const clock = scripted();
  const policy = new SpinPolicy(CORES, clock.meter);
  const share = MIN_SHARE - 0.15; // three runnable processes on two cores: about 0.67
  fillWindow(policy, clock, share);
  assert.equal(policy.allowed(), false);
  clock.wait(FIRST_BACKOFF_MS);
  fillWindow(policy, clock, share);
  clock.wait(FIRST_BACKOFF_MS);
  assert.equal(policy.allowed(), false, 'the second back-off is twice as long');
  clock.wait(FIRST_BACKOFF_MS);
  fillWindow(policy, clock, 1);
  assert.equal(policy.allowed(), true);
  fillWindow(policy, clock, share);
  clock.wait(FIRST_BACKOFF_MS);
  assert.equal(policy.allowed(), true, 'back to the first back-off');
  // Less than a window of contended polling, without a pre-emption, decides nothing yet.
  const spell = policy.begin();
  clock.run(WINDOW_MS / 2, 0.1);
  policy.end(spell);
  assert.equal(policy.allowed(), true);
});

test('threads waiting for a core on most reads of a window stop polling; a burst does not', () => {
  const clock = scripted();
  const policy = new SpinPolicy(CORES, clock.meter);
  clock.state.runnable = CORES + 1;
  assert.equal(policy.allowed(), true, 'one loaded read decides nothing');
  const spell = policy.begin();
  for (let read = 2; read < LOADED_READS; read++) {
    clock.run(CHECK_MS, 1);
    assert.equal(policy.keep(), true, `read ${read}: too few reads to judge`);
  }
  clock.run(CHECK_MS, 1);
  assert.equal(policy.keep(), false, 'every read loaded: a thread waits, the spell ends');
  policy.end(spell);
  assert.equal(policy.allowed(), false, 'and polling backs off');
  clock.wait(FIRST_BACKOFF_MS);
  // A burst: a few loaded reads among many idle ones, as a launcher's or the kernel's thread.
  clock.state.runnable = CORES;
  assert.equal(policy.allowed(), true);
  const calm = policy.begin();
  for (let read = 0; read < 40; read++) {
    clock.state.runnable = read % 5 === 0 ? CORES + 1 : CORES;
    clock.run(CHECK_MS, 1);
    assert.equal(policy.keep(), true, `read ${read}: a fifth of the reads loaded`);
  }
  policy.end(calm);
  clock.state.runnable = null;
  assert.equal(policy.allowed(), true, 'an unknown load does not stop polling');
});

test('a spell that keep() ended backs off once, not again when it ends pre-empted', () => {
  const clock = scripted();
  const policy = new SpinPolicy(CORES, clock.meter);
  const spell = policy.begin();
  clock.state.runnable = CORES + 1;
  policy.allowed();
  for (let read = 2; read < LOADED_READS; read++) {
    clock.run(CHECK_MS, 1);
    policy.keep();
  }
  clock.run(CHECK_MS, 1);
  for (let i = 0; i <= MAX_PREEMPTIONS; i++) clock.preempt();
  assert.equal(policy.keep(), false);
  policy.end(spell);
  clock.state.runnable = CORES;
  clock.wait(FIRST_BACKOFF_MS);
  assert.equal(policy.allowed(), true, 'one back-off of FIRST_BACKOFF_MS, not two');
});
