/**
 * The advection application's pure parts and its kernel: parameters, decomposition, the
 * WebAssembly kernel against the plain JavaScript one, face packing, first-order convergence
 * of the serial solver, and the memory arithmetic.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blockOf, messagesPerStep, range } from '../../../src/apps/advect/decomp.js';
import { BlockMemory } from '../../../src/apps/advect/kernel.js';
import { checkMemory, memoryPlan } from '../../../src/apps/advect/memory.js';
import { courant, makeParams, parseDims, parseVelocity } from '../../../src/apps/advect/params.js';
import { referenceStep } from '../../../src/apps/advect/reference.js';
import { combine } from '../../../src/apps/advect/result.js';
import { solveBlock } from '../../../src/apps/advect/solve.js';

const GiB = 2 ** 30;

test('parameters: dt defaults to 0.9 of the stable limit; bad input names the option', () => {
  const p = makeParams({ grid: [64, 32, 16], steps: 10, decomp: [1, 1, 1] });
  assert.ok(Math.abs(courant(p.grid, p.velocity, p.dt) - 0.9) < 1e-12);
  const bad = (f: () => unknown, message: RegExp) =>
    assert.throws(
      f,
      (e: Error & { code?: string }) => e.code === 'E_APP_INPUT' && message.test(e.message),
    );
  bad(
    () => parseDims('64x0x64', '--grid'),
    /^--grid: got "64x0x64"; allowed: three whole numbers >= 1/,
  );
  bad(() => parseDims('-4x4x4', '--decomp'), /^--decomp: got "-4x4x4"/);
  bad(() => parseDims('4x4', '--grid'), /--grid: got "4x4"/);
  bad(() => parseVelocity('1,0,1'), /--velocity: got "1,0,1"; allowed: three numbers > 0/);
  bad(
    () => makeParams({ grid: [4, 4, 4], steps: 1, decomp: [5, 1, 1] }),
    /at most 4 processes along X/,
  );
  bad(
    () => makeParams({ grid: [8, 8, 8], steps: 1, decomp: [2, 2, 1] }, 8),
    /product is the 8 ranks \(this one has 4\)/,
  );
  bad(() => makeParams({ grid: [8, 8, 8], steps: 0, decomp: [1, 1, 1] }), /--steps: got 0/);
  bad(
    () => makeParams({ grid: [10, 10, 10], steps: 1, decomp: [1, 1, 1], dt: 0.04 }),
    /--dt: got 0.04; allowed: at most 0.0333.*Courant number 1.200 > 1/,
  );
});

test('decomposition: uneven blocks cover the grid; neighbours; P-1 messages for a pipeline', () => {
  assert.deepEqual(
    [0, 1, 2].map((i) => range(10, 3, i)),
    [
      { start: 0, count: 4 },
      { start: 4, count: 3 },
      { start: 7, count: 3 },
    ],
  );
  const b = blockOf([25, 19, 23], [3, 1, 5], 7);
  assert.deepEqual(b.coords, [1, 0, 2]);
  assert.deepEqual(b.start, [9, 0, 10]);
  assert.deepEqual(b.count, [8, 19, 5]);
  assert.deepEqual(b.predecessor, [2, null, 6]);
  assert.deepEqual(b.successor, [12, null, 8]);
  assert.equal(messagesPerStep([1, 1, 16]), 15);
  assert.equal(messagesPerStep([16, 1, 1]), 15);
  assert.equal(messagesPerStep([2, 2, 4]), 2 * 4 + 2 * 4 + 2 * 2 * 3);
});

test('the WebAssembly kernel computes the same bits as the plain JavaScript one', () => {
  for (const count of [
    [5, 4, 7],
    [3, 6, 8],
    [1, 1, 1],
    [9, 2, 2],
  ] as const) {
    const block = new BlockMemory(count);
    let seed = 12345;
    for (let i = 0; i < block.field.length; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      block.field[i] = seed / 2 ** 31;
    }
    const plain = Float64Array.from(block.field);
    for (let s = 0; s < 3; s++) {
      block.step(0.31, 0.27, 0.33);
      referenceStep(plain, count, 0.31, 0.27, 0.33);
    }
    assert.deepEqual(
      Buffer.from(block.field.buffer, block.field.byteOffset, block.field.byteLength),
      Buffer.from(plain.buffer),
      `block ${count.join('x')}`,
    );
  }
});

test('packing takes the last plane of a dimension; unpacking fills its ghost plane', () => {
  const block = new BlockMemory([3, 4, 5]);
  block.field.forEach((_, i, f) => {
    f[i] = i;
  });
  for (const dim of [0, 1, 2]) {
    block.pack(dim);
    const out = block.send[dim] as Buffer;
    const sent = new Float64Array(out.buffer, out.byteOffset, out.length / 8);
    const expected: number[] = [];
    for (let x = 1; x <= 3; x++)
      for (let y = 1; y <= 4; y++)
        for (let z = 1; z <= 5; z++) {
          const on = dim === 0 ? x === 3 : dim === 1 ? y === 4 : z === 5;
          if (on) expected.push(block.index(x, y, z));
        }
    assert.deepEqual([...sent], expected, `pack ${dim}`);
    (block.recv[dim] as Buffer).set(out);
    block.unpack(dim);
    let k = 0;
    for (let x = 1; x <= 3; x++)
      for (let y = 1; y <= 4; y++)
        for (let z = 1; z <= 5; z++) {
          const on = dim === 0 ? x === 3 : dim === 1 ? y === 4 : z === 5;
          if (!on) continue;
          const ghost =
            dim === 0
              ? block.index(0, y, z)
              : dim === 1
                ? block.index(x, 0, z)
                : block.index(x, y, 0);
          assert.equal(block.field[ghost], expected[k++], `unpack ${dim}`);
        }
  }
});

test('serial runs converge at first order (L1 and max) as the grid is refined', async () => {
  const errors: { l1: number; max: number }[] = [];
  for (const n of [16, 32, 64]) {
    // The same final time (0.25) on every grid: Courant 0.75.
    const params = makeParams({ grid: [n, n, n], steps: n, decomp: [1, 1, 1], dt: 0.25 / n });
    errors.push(combine('serial', params, [await solveBlock(params, 0, null)]).errors);
  }
  for (let i = 1; i < errors.length; i++) {
    const prev = errors[i - 1] as { l1: number; max: number };
    const next = errors[i] as { l1: number; max: number };
    for (const norm of ['l1', 'max'] as const) {
      const order = Math.log2(prev[norm] / next[norm]);
      assert.ok(
        order >= 0.8 && order <= 1.2,
        `${norm} order ${order.toFixed(3)} at refinement ${i}`,
      );
    }
  }
});

test("memory: the study's size (512^3 on 16 ranks) fits, within 2.5x a rank's share; too large is refused", () => {
  const study = makeParams({ grid: [512, 512, 512], steps: 512, decomp: [1, 1, 16] });
  const plan = memoryPlan(study);
  assert.equal(plan.shareBytes, 512 * 512 * 32 * 8);
  assert.ok(plan.rankBytes <= 2.5 * plan.shareBytes, `${plan.rankBytes} per rank`);
  assert.ok(plan.totalBytes < 3 * GiB, `${plan.totalBytes} in all`);
  assert.doesNotThrow(() => checkMemory(study, 24 * GiB));
  assert.throws(
    () => checkMemory(study, 2 * GiB),
    /needs about 2\.\d+ GiB, more than 80% of this machine's 2\.00 GiB/,
  );
  const huge = makeParams({ grid: [4096, 4096, 4096], steps: 1, decomp: [1, 1, 8] });
  assert.throws(
    () => checkMemory(huge, 24 * GiB),
    (e: Error & { code?: string }) =>
      e.code === 'E_APP_MEMORY' && /blocks of at most 4 GiB/.test(e.message),
  );
});
