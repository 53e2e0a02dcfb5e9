#!/usr/bin/env node
/**
 * OSU-style collective benchmarks on the vmpath runtime: the twin of apps/osu-c/osu-coll.c (same
 * tests, sizes, iteration counts and output), run on any number of ranks by
 * src/bench/osu-coll.ts (bench osu-collectives).
 *   barrier:   world.barrier(), once (bytes 0)
 *   bcast:     world.bcast of BYTES bytes from rank 0, per size
 *   allreduce: world.allreduce of BYTES/8 doubles with sum, per size
 * Per size, after a barrier: `skip` untimed then `iters` timed calls back to back (OSU puts a
 * barrier after each timed call; here a bcast's root runs ahead down its tree, in both twins
 * alike). The figure is the mean over ranks of each rank's mean time per call (as OSU's "Avg
 * Latency"), with the slowest rank's, and the mean over ranks of each one's CPU time per call
 * (user and system, all its threads).
 * Usage: osu-coll-rank TEST[,TEST...] MIN_BYTES MAX_BYTES
 */
import { init } from '../runtime/index.js';

export const COLL_TESTS = ['barrier', 'bcast', 'allreduce'] as const;
export type CollTest = (typeof COLL_TESTS)[number];
const itersOf = (bytes: number) => (bytes <= 8192 ? 200 : bytes <= 131072 ? 50 : 20);

const [list, minText, maxText] = process.argv.slice(2);
const tests = (list ?? '').split(',');
const min = Number(minText);
const max = Number(maxText);
if (
  !tests.every((t) => (COLL_TESTS as readonly string[]).includes(t)) ||
  !Number.isInteger(min) ||
  min < 8 ||
  !(max >= min)
) {
  process.stderr.write(
    'usage: osu-coll-rank barrier|bcast|allreduce[,...] MIN_BYTES MAX_BYTES (MIN >= 8)\n',
  );
  process.exit(2);
}
const world = await init();
const buf = Buffer.alloc(max, world.rank + 1);
const vector = Float64Array.from({ length: max / 8 }, (_, i) => world.rank + i);

function call(test: CollTest, bytes: number): Promise<unknown> {
  if (test === 'barrier') return world.barrier();
  if (test === 'bcast') return world.bcast(buf.subarray(0, bytes), 0);
  return world.allreduce(vector.subarray(0, bytes / 8), 'sum');
}

const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/** Mean wall and CPU microseconds per call on this rank. */
async function timed(test: CollTest, bytes: number): Promise<Float64Array> {
  const iters = itersOf(bytes);
  const skip = iters / 10;
  let start = 0;
  let cpu = 0;
  await world.barrier();
  for (let i = 0; i < iters + skip; i++) {
    if (i === skip) {
      start = performance.now();
      cpu = cpuMicros();
    }
    await call(test, bytes);
  }
  const wall = performance.now() - start;
  return Float64Array.of((wall * 1000) / iters, (cpuMicros() - cpu) / iters);
}

async function report(test: CollTest, bytes: number): Promise<void> {
  const us = await timed(test, bytes);
  const sum = await world.reduce(us, 'sum', 0);
  const slowest = await world.reduce(us[0] as number, 'max', 0);
  if (world.rank === 0 && sum !== null && slowest !== null) {
    const mean = (i: number) => Number(((sum[i] as number) / world.size).toFixed(3));
    process.stdout.write(
      `${JSON.stringify({ test, bytes, value: mean(0), max: Number(slowest.toFixed(3)), cpu: mean(1), ranks: world.size, unit: 'us' })}\n`,
    );
  }
}

// JavaScript warms up before the first figure (osu-rank.ts says why), here in CPU time: every
// test at its smallest and largest size until every rank has run WARMUP_CPU_MS, at most
// WARMUP_MAX_MS. Ranks beyond the cores share them, so a wall-clock warm-up leaves each less
// to compile with (16 ranks on 2 cores: 1.5 s of wall time, 0.19 s of CPU each, and barriers
// still 1.7 times as slow as after 4 s more).
const WARMUP_CPU_MS = 1500;
const WARMUP_MAX_MS = 60_000;
const began = performance.now();
for (;;) {
  for (const test of tests as CollTest[]) {
    await call(test, min);
    await call(test, max);
  }
  // One decision for all: the least CPU time of any rank, the longest wall time.
  const [lessCpu, wall] = await world.allreduce(
    Float64Array.of(-cpuMicros() / 1000, performance.now() - began),
    'max',
  );
  if (-(lessCpu as number) >= WARMUP_CPU_MS || (wall as number) >= WARMUP_MAX_MS) break;
}
for (const test of tests as CollTest[]) {
  if (test === 'barrier') await report(test, 0);
  else for (let bytes = min; bytes <= max; bytes *= 2) await report(test, bytes);
}
await world.finalize();
