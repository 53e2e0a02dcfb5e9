#!/usr/bin/env node
/**
 * OSU-style point-to-point benchmarks on the vmpath runtime: the twin of apps/osu-c/osu.c (same
 * tests, sizes, iteration counts and output), run as a 2-rank job by src/bench/osu.ts (the
 * benches osu-tcp and osu-local, sweeps with the osu test, vmpath calibrate).
 *   latency: ping-pong between ranks 0 and 1, half the round trip, per size
 *   bw:      rank 0 posts a window of 64 nonblocking sends, rank 1 64 receives, then a 4-byte
 *            ack; bandwidth = bytes sent / time, per size
 * Usage: osu-rank latency|bw MIN_BYTES MAX_BYTES
 */
import { init } from '../runtime/index.js';

const WINDOW = 64;
const latencyIters = (bytes: number) => (bytes <= 8192 ? 2000 : bytes <= 262144 ? 200 : 50);
const bwIters = (bytes: number) => (bytes <= 8192 ? 50 : bytes <= 262144 ? 20 : 5);

const [test, minText, maxText] = process.argv.slice(2);
const min = Number(minText);
const max = Number(maxText);
if ((test !== 'latency' && test !== 'bw') || !(min >= 1) || !(max >= min)) {
  process.stderr.write('usage: osu-rank latency|bw MIN_BYTES MAX_BYTES\n');
  process.exit(2);
}
const world = await init();
if (world.size !== 2) world.abort(2, 'osu-rank needs exactly 2 ranks');
const peer = 1 - world.rank;
const buf = Buffer.alloc(max, world.rank + 1);
const ack = Buffer.alloc(4);

/** Runs `round` iters + skip times after a barrier; milliseconds of the last `iters`. */
async function timed(iters: number, skip: number, round: () => Promise<unknown>): Promise<number> {
  let start = 0;
  await world.barrier();
  for (let i = 0; i < iters + skip; i++) {
    if (i === skip) start = performance.now();
    await round();
  }
  return performance.now() - start;
}

async function latency(bytes: number): Promise<number> {
  const iters = latencyIters(bytes);
  const view = buf.subarray(0, bytes);
  const ms = await timed(iters, iters / 10, async () => {
    if (world.rank === 0) {
      await world.send(view, peer, 1);
      await world.recv(peer, 1, view);
    } else {
      await world.recv(peer, 1, view);
      await world.send(view, peer, 1);
    }
  });
  return (ms * 1000) / (2 * iters);
}

async function bandwidth(bytes: number): Promise<number> {
  const iters = bwIters(bytes);
  const view = buf.subarray(0, bytes);
  const ms = await timed(iters, iters / 5, async () => {
    if (world.rank === 0) {
      await world.waitAll(Array.from({ length: WINDOW }, () => world.isend(view, peer, 100)));
      await world.recv(peer, 101, ack);
    } else {
      await world.waitAll(Array.from({ length: WINDOW }, () => world.irecv(peer, 100, view)));
      await world.send(ack, peer, 101);
    }
  });
  return (bytes * WINDOW * iters) / (ms / 1000) / (1024 * 1024);
}

// JavaScript warms up before the first size is timed, for at least WARMUP_MS: the JIT compiles
// the loops on helper threads meanwhile, which on few cores take the peer's core and keep its
// polling backed off (spin.ts) for the first half second or so; C needs no warm-up. As
// benchmark harnesses for JIT runtimes do (JMH's warm-up iterations); OSU's own skip
// iterations still precede each size.
const WARMUP_MS = 1500;
const warmupEnd = performance.now() + WARMUP_MS;
const more = Float64Array.of(1);
while (more[0] === 1) {
  if (test === 'latency') await latency(min);
  else await bandwidth(min);
  // Every rank goes on together: rank 0 decides, and tells the others.
  more[0] = world.rank === 0 && performance.now() < warmupEnd ? 1 : 0;
  await world.bcast(more, 0);
}
for (let bytes = min; bytes <= max; bytes *= 2) {
  const value = test === 'latency' ? await latency(bytes) : await bandwidth(bytes);
  if (world.rank === 0)
    process.stdout.write(
      `${JSON.stringify({ test, bytes, value: Number(value.toFixed(3)), unit: test === 'latency' ? 'us' : 'MiB/s' })}\n`,
    );
}
await world.finalize();
