/**
 * The collectives' algorithms against serial values, on both sides of each size threshold and
 * for powers of two and not: dissemination barrier, binomial and scatter-ring bcast,
 * recursive-doubling and ring allreduce. Whole jobs in one process, two ranks per "vm" (local
 * and tcp transports mixed).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ALLREDUCE_LONG,
  algorithmsFrom,
  allreduceAlgorithm,
  BCAST_LONG,
  BCAST_MIN_RANKS,
  barrierAlgorithm,
  bcastAlgorithm,
  type ReduceOp,
} from '../../../src/runtime/collectives.js';
import { ANY_SOURCE, ANY_TAG } from '../../../src/runtime/index.js';
import { crowded } from '../../../src/runtime/init.js';
import { each, inProcessJob } from '../../support/job.js';

const SIZES = [1, 2, 3, 5, 8, 11, 16];
/** Element counts: short, and long with blocks of unequal lengths for every size above. */
const SHORT = 3;
const LONG = ALLREDUCE_LONG / 8 + 13;
// Both sides of bcast's rank threshold are among the sizes.
assert.ok(SIZES.some((s) => s < BCAST_MIN_RANKS) && SIZES.some((s) => s >= BCAST_MIN_RANKS));

async function withJob(
  size: number,
  body: (job: Awaited<ReturnType<typeof inProcessJob>>) => Promise<void>,
  env: Parameters<typeof inProcessJob>[2] = {},
) {
  const job = await inProcessJob(size, (rank) => `vm${rank >> 1}`, env);
  try {
    await body(job);
  } finally {
    await each(job.worlds, (w) => w.finalize());
    await job.server.close();
  }
}

/** Integers, so that every order of summing gives the same doubles. */
const sample = (rank: number, i: number) => ((rank * 7919 + i * 104729) % 100003) - 50000;

function expected(size: number, length: number, op: ReduceOp): Float64Array {
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    let acc = sample(0, i);
    for (let r = 1; r < size; r++) {
      const v = sample(r, i);
      acc = op === 'sum' ? acc + v : op === 'min' ? Math.min(acc, v) : Math.max(acc, v);
    }
    out[i] = acc;
  }
  return out;
}

/** By size (not crowded: doubling and ring, binomial and scatter-ring, dissemination), each
 * other algorithm forced, and the ring forced on vectors shorter than the ranks (which double). */
const VARIANTS: Record<string, Record<string, string>> = {
  'by size': {},
  trees: { VMPATH_BARRIER: 'tree', VMPATH_BCAST: 'binomial', VMPATH_ALLREDUCE: 'tree' },
  rings: {
    VMPATH_BARRIER: 'dissemination',
    VMPATH_BCAST: 'scatter-ring',
    VMPATH_ALLREDUCE: 'ring',
  },
};

for (const [variant, env] of Object.entries(VARIANTS))
  for (const size of SIZES)
    test(`${size} ranks, ${variant}: allreduce, bcast, barrier against serial values`, {
      timeout: 60_000,
    }, async () => {
      await withJob(
        size,
        async ({ worlds }) => {
          for (const length of [SHORT, LONG])
            for (const op of ['sum', 'min', 'max'] as const) {
              const got = await each(worlds, (w) =>
                w.allreduce(
                  Float64Array.from({ length }, (_, i) => sample(w.rank, i)),
                  op,
                ),
              );
              const want = expected(size, length, op);
              for (const [rank, result] of got.entries())
                assert.deepEqual(result, want, `allreduce ${op} of ${length} on rank ${rank}`);
            }
          // A non-integer sum: every rank must still hold the same bits.
          const fractions = await each(worlds, (w) =>
            w.allreduce(
              Float64Array.from({ length: LONG }, (_, i) => 1 / (w.rank + i + 3)),
              'sum',
            ),
          );
          for (const result of fractions) assert.deepEqual(result, fractions[0]);

          for (const bytes of [5, BCAST_LONG + 1001])
            for (const root of new Set([0, size - 1, size >> 1])) {
              const pattern = Buffer.from(
                Array.from({ length: bytes }, (_, i) => (i * 31 + root) & 255),
              );
              const got = await each(worlds, (w) =>
                w.bcast(w.rank === root ? Buffer.from(pattern) : Buffer.alloc(bytes), root),
              );
              for (const [rank, data] of got.entries())
                assert.ok(data.equals(pattern), `bcast of ${bytes} B from ${root} on rank ${rank}`);
            }
          // A long bcast of typed arrays, whose bytes are a view into a larger buffer.
          const big = new Float64Array(BCAST_LONG / 4 + 10);
          const view = big.subarray(5, big.length - 5);
          const sent = await each(worlds, (w) =>
            w.bcast(w.rank === 0 ? view.map((_, i) => i + 0.5) : new Float64Array(view.length), 0),
          );
          for (const data of sent) assert.equal(data[view.length - 1], view.length - 0.5);

          // No rank leaves the barrier before the last one enters.
          const entered: number[] = [];
          const left = await each(worlds, async (w) => {
            await new Promise((resolve) => setTimeout(resolve, ((w.rank * 3) % size) * 15));
            entered.push(performance.now());
            await w.barrier();
            return performance.now();
          });
          assert.ok(Math.min(...left) >= Math.max(...entered));
        },
        env,
      );
    });

test('collectives in between user messages: ANY_TAG does not take theirs, order is kept', {
  timeout: 60_000,
}, async () => {
  await withJob(6, async ({ worlds }) => {
    const got = await each(worlds, async (w) => {
      const early = w.irecv(ANY_SOURCE, ANY_TAG);
      const sums: number[] = [];
      for (let i = 0; i < 4; i++) {
        sums.push(await w.allreduce(w.rank + i, 'sum'));
        const long = await w.allreduce(new Float64Array(LONG).fill(1), 'max');
        assert.equal(long[LONG - 1], 1);
        await w.barrier();
      }
      // Each rank sends its left neighbour one user message after the collectives.
      await w.send(Buffer.from(`from ${w.rank}`), (w.rank + w.size - 1) % w.size, 9);
      const message = await early.done;
      return { sums, message: message.data.toString(), tag: message.tag };
    });
    for (const [rank, { sums, message, tag }] of got.entries()) {
      assert.deepEqual(sums, [15, 21, 27, 33]);
      assert.equal(message, `from ${(rank + 1) % 6}`);
      assert.equal(tag, 9);
    }
  });
});

test('forcing an algorithm: a value not among its algorithms is refused, naming the variable', () => {
  assert.deepEqual(algorithmsFrom({ VMPATH_BARRIER: 'tree', VMPATH_BCAST: 'auto' }), {
    barrier: 'tree',
  });
  assert.throws(
    () => algorithmsFrom({ VMPATH_ALLREDUCE: 'rabenseifner' }),
    /VMPATH_ALLREDUCE: got "rabenseifner"; allowed: auto, doubling, tree, ring/,
  );
});

test('crowded: more ranks than cores on the machine, or than a host budget allows', () => {
  assert.equal(crowded({ VMPATH_LOCAL_SIZE: '2' }, 2), false);
  assert.equal(crowded({ VMPATH_LOCAL_SIZE: '3' }, 2), true);
  assert.equal(crowded({ OMPI_COMM_WORLD_LOCAL_SIZE: '4' }, 8), false);
  assert.equal(crowded({ OMPI_COMM_WORLD_LOCAL_SIZE: '9' }, 8), true);
  // paper: 0.875 cores a host; one rank is never crowded, two are.
  const budget = { VMPATH_LOCAL_SIZE: '2', VMPATH_CPU_BUDGET: '0.875' };
  assert.equal(crowded({ ...budget, VMPATH_BUDGET_RANKS: '1' }, 2), false);
  assert.equal(crowded({ ...budget, VMPATH_BUDGET_RANKS: '2' }, 2), true);
  assert.equal(crowded({}, 2), false);
});

test('the choice by size, and crowded ranks sending fewest messages', () => {
  const crowd = { crowded: true };
  assert.equal(barrierAlgorithm({}), 'dissemination');
  assert.equal(barrierAlgorithm(crowd), 'tree');
  assert.equal(barrierAlgorithm({ ...crowd, barrier: 'dissemination' }), 'dissemination');
  assert.equal(bcastAlgorithm(BCAST_LONG - 1, 16, {}), 'binomial');
  assert.equal(bcastAlgorithm(BCAST_LONG, 16, {}), 'scatter-ring');
  assert.equal(bcastAlgorithm(BCAST_LONG, BCAST_MIN_RANKS - 1, {}), 'binomial');
  assert.equal(bcastAlgorithm(1 << 20, 16, crowd), 'binomial');
  const doubles = (bytes: number) => bytes / 8;
  assert.equal(allreduceAlgorithm(doubles(ALLREDUCE_LONG) - 1, 4, {}), 'doubling');
  assert.equal(allreduceAlgorithm(doubles(ALLREDUCE_LONG), 4, {}), 'ring');
  assert.equal(allreduceAlgorithm(1, 1, {}), 'doubling');
  // Crowded: the ring once its blocks reach 16 KiB, on at most 8 ranks.
  assert.equal(allreduceAlgorithm(doubles(64 << 10), 4, crowd), 'ring');
  assert.equal(allreduceAlgorithm(doubles(64 << 10) - 1, 4, crowd), 'tree');
  assert.equal(allreduceAlgorithm(doubles(128 << 10), 8, crowd), 'ring');
  assert.equal(allreduceAlgorithm(doubles(1 << 20), 16, crowd), 'tree');
  assert.equal(allreduceAlgorithm(doubles(1 << 20), 16, {}), 'ring');
  // A ring forced on fewer elements than ranks takes the short way.
  assert.equal(allreduceAlgorithm(3, 8, { allreduce: 'ring' }), 'doubling');
  assert.equal(allreduceAlgorithm(3, 8, { ...crowd, allreduce: 'ring' }), 'tree');
});

test('ranks that see different cores or environments still pick alike (crowded if any is; rank 0 forces)', {
  timeout: 60_000,
}, async () => {
  // Rank 1 alone is crowded, rank 2 alone forces other algorithms: without one choice for the
  // job, the ranks would run different algorithms and wait for each other for ever.
  const env = (rank: number): Record<string, string> =>
    rank === 1
      ? { VMPATH_LOCAL_SIZE: '1000' }
      : rank === 2
        ? { VMPATH_BARRIER: 'tree', VMPATH_ALLREDUCE: 'ring', VMPATH_BCAST: 'scatter-ring' }
        : {};
  await withJob(
    8,
    async ({ worlds }) => {
      for (const length of [SHORT, LONG]) {
        const got = await each(worlds, (w) =>
          w.allreduce(
            Float64Array.from({ length }, (_, i) => sample(w.rank, i)),
            'sum',
          ),
        );
        for (const result of got) assert.deepEqual(result, expected(8, length, 'sum'));
      }
      const pattern = Buffer.alloc(BCAST_LONG * 2, 7);
      const got = await each(worlds, (w) =>
        w.bcast(w.rank === 3 ? Buffer.from(pattern) : Buffer.alloc(pattern.length), 3),
      );
      for (const data of got) assert.ok(data.equals(pattern));
      await each(worlds, (w) => w.barrier());
    },
    env,
  );
});
