/**
 * The busy-polling policy (src/runtime/spin.ts) on a scripted clock and thread CPU time: polling
 * that keeps its core goes on, short losses included; polling that loses its core backs off,
 * within a spell or at its end, longer each time, and comes back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CHECK_MS,
  FIRST_BACKOFF_MS,
  GOOD_WINDOWS,
  MAX_BACKOFF_MS,
  MAX_LOST_MS,
  QUOTA_MARGIN,
  QUOTA_PERIOD_MS,
  SpinPolicy,
  WINDOW_MS,
} from '../../../src/runtime/spin.js';

/** A meter the test moves: `run(ms, share)` passes wall time, `share` of it on a core (the
 * rest taken by another thread, which pre-empts this one); `steal(ms)` passes wall time off
 * the core with no pre-emption (the hypervisor's). */
function scripted() {
  const state = { wall: 0, cpu: 0, preemptions: 0, helpers: 0 };
  return {
    meter: {
      now: () => state.wall,
      usage: () => ({
        cpuMs: state.cpu,
        preemptions: state.preemptions,
        processCpuMs: state.cpu + state.helpers,
      }),
    },
    run(ms: number, share: number) {
      state.wall += ms;
      state.cpu += ms * share;
      if (share < 1) state.preemptions++;
    },
    steal(ms: number) {
      state.wall += ms;
    },
    /** The process's own other threads (a compiler's, a collector's) take `ms` of the core. */
    helper(ms: number) {
      state.wall += ms;
      state.helpers += ms;
      state.preemptions++;
    },
    wait(ms: number) {
      state.wall += ms;
    },
  };
}

type Clock = ReturnType<typeof scripted>;

/** Spells of 1 ms at `share` for a window's worth of polling; whether it was allowed all along. */
function fillWindow(policy: SpinPolicy, clock: Clock, share: number): boolean {
  for (let spent = 0; spent < WINDOW_MS; spent += 1) {
    if (!policy.allowed()) return false;
    const spell = policy.begin();
    clock.run(1, share);
    policy.end(spell);
  }
  return policy.allowed();
}

test('polling that keeps its core goes on, with short losses in every window', () => {
  const clock = scripted();
  const policy = new SpinPolicy(clock.meter);
  const share = 1 - (MAX_LOST_MS * 0.9) / WINDOW_MS;
  for (let i = 0; i < 10; i++) assert.equal(fillWindow(policy, clock, share), true, `window ${i}`);
});

test('a spell that loses its core ends within CHECK_MS of passing MAX_LOST_MS, and backs off', () => {
  const clock = scripted();
  const policy = new SpinPolicy(clock.meter);
  const spell = policy.begin();
  let kept = 0;
  // A competitor takes two thirds of the core: 1/3 of each step on it.
  while (policy.keep(spell) && kept < 1000) {
    clock.run(CHECK_MS, 1 / 3);
    kept++;
  }
  const lost = (kept * CHECK_MS * 2) / 3;
  assert.ok(lost > MAX_LOST_MS && lost <= MAX_LOST_MS + CHECK_MS, `lost ${lost} ms`);
  policy.end(spell);
  assert.equal(policy.allowed(), false, 'backing off');
  clock.wait(FIRST_BACKOFF_MS - 0.1);
  assert.equal(policy.allowed(), false, 'one back-off of FIRST_BACKOFF_MS, not two');
  clock.wait(0.1);
  assert.equal(policy.allowed(), true);
});

test('losses add up over the spells of a window; the back-off doubles up to its cap', () => {
  const clock = scripted();
  const policy = new SpinPolicy(clock.meter);
  let expected = FIRST_BACKOFF_MS;
  for (let round = 0; round < 12; round++) {
    // Spells of 1 ms, each losing a quarter: the window passes MAX_LOST_MS on spell 17.
    let spells = 0;
    while (policy.allowed() && spells < WINDOW_MS) {
      const spell = policy.begin();
      clock.run(1, 0.75);
      policy.end(spell);
      spells++;
    }
    assert.equal(spells, Math.floor(MAX_LOST_MS / 0.25) + 1, `round ${round}`);
    clock.wait(expected - 0.1);
    assert.equal(policy.allowed(), false, `round ${round}: still within ${expected} ms`);
    clock.wait(0.1);
    assert.equal(policy.allowed(), true, `round ${round}: polls again after ${expected} ms`);
    expected = Math.min(MAX_BACKOFF_MS, expected * 2);
  }
  assert.equal(expected, MAX_BACKOFF_MS, 'the back-off reached its cap');
});

test("time off the core without a pre-emption (a hypervisor's steal) is not lost", () => {
  const clock = scripted();
  const policy = new SpinPolicy(clock.meter);
  const spell = policy.begin();
  for (let i = 0; i < 100; i++) {
    clock.run(CHECK_MS / 2, 1);
    clock.steal(CHECK_MS / 2);
    assert.equal(policy.keep(spell), true, `check ${i}`);
  }
  policy.end(spell);
  assert.equal(policy.allowed(), true);
});

test("time taken by the process's own other threads is not lost either", () => {
  const clock = scripted();
  const policy = new SpinPolicy(clock.meter);
  const spell = policy.begin();
  for (let i = 0; i < 100; i++) {
    clock.run(CHECK_MS / 2, 1);
    clock.helper(CHECK_MS / 2);
    assert.equal(policy.keep(spell), true, `check ${i}`);
  }
  policy.end(spell);
  assert.equal(policy.allowed(), true);
});

/** Windows of 1-ms spells on their core, with long sleeps between them. */
function goodWindows(policy: SpinPolicy, clock: Clock, windows: number): void {
  for (let spent = 0; spent < windows * WINDOW_MS; spent++) {
    assert.equal(policy.allowed(), true);
    const spell = policy.begin();
    clock.run(1, 1);
    policy.end(spell);
    clock.wait(100);
  }
}

test('GOOD_WINDOWS windows that lose little reset the back-off; sleeping between spells is not lost', () => {
  const clock = scripted();
  const policy = new SpinPolicy(clock.meter);
  assert.equal(fillWindow(policy, clock, 0.5), false);
  clock.wait(FIRST_BACKOFF_MS);
  assert.equal(fillWindow(policy, clock, 0.5), false);
  clock.wait(FIRST_BACKOFF_MS);
  assert.equal(policy.allowed(), false, 'the second back-off is twice as long');
  clock.wait(FIRST_BACKOFF_MS);
  // Fewer good windows than GOOD_WINDOWS: the next back-off is longer still (4x).
  goodWindows(policy, clock, GOOD_WINDOWS - 1);
  assert.equal(fillWindow(policy, clock, 0.5), false);
  clock.wait(3 * FIRST_BACKOFF_MS);
  assert.equal(policy.allowed(), false, 'the third back-off is four times the first');
  clock.wait(FIRST_BACKOFF_MS);
  assert.equal(policy.allowed(), true);
  // GOOD_WINDOWS good windows in a row: back to the first back-off.
  goodWindows(policy, clock, GOOD_WINDOWS);
  assert.equal(fillWindow(policy, clock, 0.5), false);
  clock.wait(FIRST_BACKOFF_MS);
  assert.equal(policy.allowed(), true, 'back to the first back-off');
});

/** Polls under a quota of `share`, moving the clock by `step` before each reading, until the
 * policy backs off (or 3 periods pass): the wall milliseconds polled (Infinity: it never backed
 * off), and whether a spell is allowed then. */
function pollUnderQuota(share: number, step: (clock: Clock, i: number) => void) {
  const clock = scripted();
  const policy = new SpinPolicy(clock.meter, share);
  const spell = policy.begin();
  for (let i = 0; clock.meter.now() < 3 * QUOTA_PERIOD_MS; i++) {
    step(clock, i);
    if (!policy.keep(spell)) return { polledMs: clock.meter.now(), allowed: policy.allowed() };
  }
  return { polledMs: Number.POSITIVE_INFINITY, allowed: policy.allowed() };
}

test("under a quota a rank polls on through the quota's throttle, but not through contention", () => {
  const share = 0.5; // two ranks under a budget of one core
  const quotaMs = share * QUOTA_PERIOD_MS * QUOTA_MARGIN;
  // Throttled: the rank polls its share of each period on a core, then is off it (pre-empted)
  // for the rest: none of that is lost to another process.
  {
    const clock = scripted();
    const policy = new SpinPolicy(clock.meter, share);
    const spell = policy.begin();
    for (let period = 0; period < 5; period++) {
      for (let polled = 0; polled < share * QUOTA_PERIOD_MS; polled += CHECK_MS) {
        clock.run(CHECK_MS, 1);
        assert.equal(policy.keep(spell), true, `period ${period}, polled ${polled} ms`);
      }
      clock.run((1 - share) * QUOTA_PERIOD_MS, 0);
      assert.equal(policy.keep(spell), true, `period ${period}: the throttle is not contention`);
    }
    policy.end(spell);
    assert.equal(policy.allowed(), true);
  }
  // Contention: another process takes the core while the rank has used less than its share.
  const contended = pollUnderQuota(share, (clock) =>
    clock.run(CHECK_MS, (quotaMs * 0.5) / QUOTA_PERIOD_MS),
  );
  assert.ok(
    contended.polledMs <= WINDOW_MS,
    `it backs off within a window (${contended.polledMs} ms)`,
  );
  assert.equal(contended.allowed, false);
  // Two ranks of the budget taking turns on one core: each has its share, and loses a
  // stretch every time slice (3 ms on, 3 off), more than the one a period a throttle takes.
  const turns = pollUnderQuota(share, (clock, i) =>
    i % 7 < 6 ? clock.run(CHECK_MS, 1) : clock.run(3, 0),
  );
  assert.ok(
    turns.polledMs <= QUOTA_PERIOD_MS + WINDOW_MS,
    `it backs off within a period (${turns.polledMs} ms)`,
  );
});

test('without a quota, or with a share of a core or more, a rank polls as long as it keeps its core', () => {
  for (const share of [Number.POSITIVE_INFINITY, 1 / QUOTA_MARGIN]) {
    const clock = scripted();
    const policy = new SpinPolicy(clock.meter, share);
    const spell = policy.begin();
    for (let i = 0; i < (3 * QUOTA_PERIOD_MS) / CHECK_MS; i++) {
      clock.run(CHECK_MS, 1);
      assert.equal(policy.keep(spell), true, `share ${share}, check ${i}`);
    }
    policy.end(spell);
  }
});
