import assert from 'node:assert/strict';
import { test } from 'node:test';
import { iterate } from '../../../src/bench/iterate.js';
import { confidenceInterval, median, percentiles, summarize } from '../../../src/bench/stats.js';

const close = (a: number, b: number, eps = 1e-6) =>
  assert.ok(Math.abs(a - b) < eps, `${a} vs ${b}`);

test('summary: mean, sample standard deviation, min, max', () => {
  const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.equal(s.n, 8);
  close(s.mean, 5);
  close(s.stddev, Math.sqrt(32 / 7));
  assert.deepEqual([s.min, s.max], [2, 9]);
  assert.equal(summarize([3]).stddev, 0);
  assert.throws(() => summarize([]), /no samples/);
});

test('t interval: matches the textbook value (n = 5, 95%: t = 2.776)', () => {
  const samples = [10, 12, 11, 13, 9];
  const ci = confidenceInterval(samples, 0.95);
  const sd = Math.sqrt(2.5);
  close(ci.halfWidth, (2.776445 * sd) / Math.sqrt(5), 1e-4);
  close(ci.halfWidthPct, (100 * ci.halfWidth) / 11, 1e-9);
  assert.equal(confidenceInterval([5], 0.99).halfWidth, Number.POSITIVE_INFINITY);
});

test('percentiles interpolate; median', () => {
  assert.deepEqual(percentiles([1, 2, 3, 4, 5], [0, 50, 100]), [1, 3, 5]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  const big = Float64Array.from({ length: 1001 }, (_, i) => 1000 - i);
  assert.deepEqual(percentiles(big, [50, 90, 99]), [500, 900, 990]);
});

test('iterate: stops as soon as the interval is narrow enough, after at least MIN runs', async () => {
  const values = [100, 101, 100, 101, 100, 101, 100];
  const outcome = await iterate(
    { min: 3, max: 7, level: 0.95, widthPct: 2 },
    async (i) => values[i] ?? 0,
    (v) => v,
  );
  assert.equal(outcome.runs.length, 3);
  assert.equal(outcome.confident, true);
  assert.ok(outcome.interval.halfWidthPct <= 2);
});

test('iterate: gives up at MAX and says the confidence was not reached', async () => {
  const noisy = [10, 100, 20, 90, 30];
  const outcome = await iterate(
    { min: 2, max: 5, level: 0.99, widthPct: 1 },
    async (i) => noisy[i] ?? 0,
    (v) => v,
  );
  assert.equal(outcome.runs.length, 5);
  assert.equal(outcome.confident, false);
});

test('iterate: a single run asked for reports no confidence at all', async () => {
  const outcome = await iterate(
    { min: 1, max: 1, level: 0.99, widthPct: Number.POSITIVE_INFINITY },
    async () => 7,
    (v) => v,
  );
  assert.equal(outcome.runs.length, 1);
  assert.equal(outcome.confident, null);
});
