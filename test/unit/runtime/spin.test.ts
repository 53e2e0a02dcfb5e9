/**
 * The busy-polling policy (src/runtime/spin.ts) on a scripted clock and CPU meter: polling that
 * gets its core goes on; polling that does not backs off, longer each time, and comes back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FIRST_BACKOFF_MS,
  MAX_BACKOFF_MS,
  MIN_SHARE,
  SpinPolicy,
  WINDOW_MS,
} from '../../../src/runtime/spin.js';

/** A meter the test moves: `run(wallMs, share)` passes wall time, of which `share` on a core. */
function scripted() {
  const state = { wall: 0, cpu: 0 };
  return {
    meter: { now: () => state.wall, cpu: () => state.cpu },
    run(wallMs: number, share: number) {
      state.wall += wallMs;
      state.cpu += wallMs * share;
    },
    wait(wallMs: number) {
      state.wall += wallMs;
    },
  };
}

/** Spells of `spellMs` at `share` until a window is full. */
function fillWindow(policy: SpinPolicy, clock: ReturnType<typeof scripted>, share: number) {
  for (let spent = 0; spent < WINDOW_MS; spent += 1) {
    const spell = policy.begin();
    clock.run(1, share);
    policy.end(spell);
  }
}

test('polling that has its core goes on', () => {
  const clock = scripted();
  const policy = new SpinPolicy(clock.meter);
  for (let i = 0; i < 10; i++) fillWindow(policy, clock, 0.97);
  assert.equal(policy.allowed(), true);
});

test('polling that shares its core backs off, twice as long each time, up to the maximum', () => {
  const clock = scripted();
  const policy = new SpinPolicy(clock.meter);
  const share = MIN_SHARE - 0.15; // three runnable processes on two cores: about 0.67
  let expected = FIRST_BACKOFF_MS;
  for (let round = 0; round < 8; round++) {
    fillWindow(policy, clock, share);
    assert.equal(policy.allowed(), false, `round ${round}: backing off`);
    clock.wait(expected - 1);
    assert.equal(policy.allowed(), false, `round ${round}: still within ${expected} ms`);
    clock.wait(1);
    assert.equal(policy.allowed(), true, `round ${round}: polls again after ${expected} ms`);
    expected = Math.min(MAX_BACKOFF_MS, expected * 2);
  }
  assert.equal(expected, MAX_BACKOFF_MS, 'the back-off reached its cap');
});

test('a window without contention resets the back-off; short spells are judged together', () => {
  const clock = scripted();
  const policy = new SpinPolicy(clock.meter);
  fillWindow(policy, clock, 0.5);
  clock.wait(FIRST_BACKOFF_MS);
  fillWindow(policy, clock, 0.5);
  clock.wait(2 * FIRST_BACKOFF_MS);
  fillWindow(policy, clock, 1);
  assert.equal(policy.allowed(), true);
  fillWindow(policy, clock, 0.5);
  clock.wait(FIRST_BACKOFF_MS);
  assert.equal(policy.allowed(), true, 'back to the first back-off');
  // Less than a window of contended polling decides nothing yet.
  const spell = policy.begin();
  clock.run(WINDOW_MS / 2, 0.1);
  policy.end(spell);
  assert.equal(policy.allowed(), true);
});
