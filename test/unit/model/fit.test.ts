/** Piecewise fits (src/model/fit.ts): segments by fit error, at given breaks, means of fits. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluate, fitAt, fitPiecewise, meanFit } from '../../../src/model/fit.js';

test('fit: one line where one fits; segments where the slope changes (as SMPI corrects by size)', () => {
  const straight = [8, 64, 512, 4096, 32768, 262144].map((bytes) => ({
    bytes,
    seconds: 20e-6 + bytes / 1e9,
  }));
  const one = fitPiecewise(straight);
  assert.equal(one.segments.length, 1);
  assert.ok(Math.abs((one.segments[0]?.a ?? 0) - 20e-6) < 1e-9);
  assert.ok(one.error < 1e-6);
  // eager below 64 KiB, rendezvous (an extra round trip, faster per byte) above
  const kinked = [8, 64, 512, 4096, 16384, 32768, 65536, 262144, 1048576, 4194304].map((bytes) => ({
    bytes,
    seconds: bytes < 65536 ? 10e-6 + bytes / 0.5e9 : 150e-6 + bytes / 2e9,
  }));
  const two = fitPiecewise(kinked);
  assert.ok(two.segments.length >= 2, `${two.segments.length} segments`);
  assert.ok(two.error < 0.02, `error ${two.error}`);
  for (const p of kinked) assert.ok(Math.abs(evaluate(two, p.bytes) / p.seconds - 1) < 0.05);
  assert.throws(() => fitPiecewise([{ bytes: 8, seconds: 1e-5 }]), /two points/);
  assert.deepEqual(two.samples, kinked);
});

test('fit at given breaks: segments where the caller knows the cost changes, not where noise puts them', () => {
  // Two faces below 64 KiB, three above; the middle one above ran 20% low. Left free, the fit
  // breaks past it (256 KiB) and prices 200 KiB on the small faces' line; broken at 64 KiB, the
  // three faces above make one line.
  const points = [
    { bytes: 2048, seconds: 60e-6 },
    { bytes: 64800, seconds: 105e-6 },
    { bytes: 131072, seconds: 150e-6 * 0.8 },
    { bytes: 524288, seconds: 772e-6 },
    { bytes: 1048576, seconds: 1406e-6 },
  ];
  const free = fitPiecewise(points);
  const fixed = fitAt(points, [65536]);
  assert.deepEqual(
    fixed.segments.map((s) => s.fromBytes),
    [0, 65536],
  );
  assert.equal(fixed.points, 5);
  assert.deepEqual(fixed.samples, points);
  // below the break, the line through the two small faces
  assert.ok(Math.abs(evaluate(fixed, 2048) - 60e-6) < 1e-12);
  assert.ok(Math.abs(evaluate(fixed, 64800) - 105e-6) < 1e-12);
  // above, the three faces' line: 200 KiB between the measured 128 and 512 KiB
  const at200 = evaluate(fixed, 204800) * 1e6;
  assert.ok(at200 > 200 && at200 < 400, `${at200} us`);
  assert.ok(evaluate(free, 204800) * 1e6 < at200, 'the free fit priced it lower');
  assert.throws(() => fitAt(points, [4096]), /two points or more from 0 to 4096 bytes, got 1/);
});

test('the mean of piecewise fits is exact on the union of their breakpoints', () => {
  const a = { segments: [{ fromBytes: 0, a: 1, g: 2 }], error: 0.1, points: 4 };
  const b = {
    segments: [
      { fromBytes: 0, a: 3, g: 0 },
      { fromBytes: 1024, a: 5, g: 4 },
    ],
    error: 0.3,
    points: 6,
  };
  const m = meanFit([a, b]);
  for (const x of [0, 10, 1023, 1024, 5000])
    assert.equal(evaluate(m, x), (evaluate(a, x) + evaluate(b, x)) / 2, `at ${x}`);
  assert.equal(m.segments.length, 2);
  assert.ok(Math.abs(m.error - 0.2) < 1e-12);
  assert.equal(m.points, 10);
  assert.throws(() => meanFit([]), RangeError);
});
