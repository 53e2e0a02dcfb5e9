/**
 * `vmpath calibrate`: measures a running testbed and fits its model (src/model).
 *
 * Per message class the topology offers (intra-vm: two ranks in one vm; inter-vm: the first two
 * vms of host 0; inter-host: the first vm of host 0 and of host 1), the runtime's OSU ping-pong
 * and windowed bandwidth curves from 8 B to 4 MiB, fitted piecewise (one-way time, and time per
 * message when streaming); the stream bandwidth of one cross-host pair alone and of all the
 * study's concurrent pairs (the capacity they share); the advection kernel's time per cell
 * and the faces' packing time per byte, in this process, and the kernel's time when as many
 * processes as a level's ranks share the cores; and the runtime's own cost per level of core
 * sharing (measureRuntime).
 */
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { linearRegression } from 'simple-statistics';
import { BlockMemory, faceCells } from '../apps/advect/kernel.js';
import { makeParams, type Triple } from '../apps/advect/params.js';
import { runAdvect } from '../apps/advect/run.js';
import { SINGLE_RUN } from '../bench/iterate.js';
import { OSU_SIZES, type OsuPoint, vmpathOsu } from '../bench/osu.js';
import { studyPairs } from '../bench/pairs.js';
import { runPairs } from '../bench/run.js';
import { median } from '../bench/stats.js';
import { MiB } from '../bench/types.js';
import { VmpathError } from '../core/errors.js';
import {
  CALIBRATION_VERSION,
  type Calibration,
  type ClassModel,
  cellSeconds,
  fingerprint,
  type RuntimeLevel,
  type TransportCost,
} from '../model/calibration.js';
import { evaluate, fitPiecewise, type PiecewiseFit, type Point } from '../model/fit.js';
import { classOf, type MessageClass } from '../placement/classes.js';
import { type Placed, place } from '../placement/patterns.js';
import type { RankSlot } from '../runtime/launcher.js';
import type { TestbedRecord } from '../testbed/state.js';
import type { Datapath } from '../topology/types.js';
import type { SweepEnv } from './sweep.js';
import { WARMUP_STEPS } from './validate.js';

export interface CalibrateOptions {
  readonly signal?: AbortSignal;
  readonly onStep?: (text: string) => void;
  /** Seconds of each stream test (single pair, then all pairs). */
  readonly streamS?: number;
}

/** The vm pairs that carry each class on this topology (rank 0's vm, rank 1's vm). */
export function classPairs(record: TestbedRecord): Partial<Record<MessageClass, [string, string]>> {
  const hosts = record.topology.hosts;
  const vmName = (h: number, v: number) => {
    const host = hosts[h];
    if (!host) return undefined;
    return host.native ? host.name : host.vms[v]?.name;
  };
  const out: Partial<Record<MessageClass, [string, string]>> = {};
  const first = vmName(0, 0);
  if (first) out['intra-vm'] = [first, first];
  const second = hosts[0]?.native ? undefined : vmName(0, 1);
  if (first && second) out['inter-vm'] = [first, second];
  const other = vmName(1, 0);
  if (first && other) out['inter-host'] = [first, other];
  return out;
}

const toSeconds = (latency: readonly OsuPoint[]) =>
  latency.map((p) => ({ bytes: p.bytes, seconds: p.value / 1e6 }));
const perMessage = (bw: readonly OsuPoint[]) =>
  bw.map((p) => ({ bytes: p.bytes, seconds: p.bytes / (p.value * MiB) }));

export function datapathOf(record: TestbedRecord): Datapath {
  const kinds = new Set(
    record.topology.hosts.flatMap((h) =>
      h.native ? ['native' as const] : h.vms.map((v) => v.datapath),
    ),
  );
  if (kinds.size !== 1)
    throw new VmpathError(
      'E_MODEL_INPUT',
      `--id ${record.id}: its hosts mix data paths (${[...kinds].join(', ')}); allowed: a testbed with one data path`,
      { details: { field: '--id', value: record.id } },
    );
  return [...kinds][0] as Datapath;
}

export async function calibrate(
  env: SweepEnv,
  record: TestbedRecord,
  options: CalibrateOptions = {},
): Promise<Calibration> {
  const datapath = datapathOf(record);
  const testbed = { topology: record.topology, id: record.id };
  const signal = options.signal;
  const step = (text: string) => options.onStep?.(text);
  const classes: Partial<Record<MessageClass, ClassModel>> = {};
  for (const [messageClass, [a, b]] of Object.entries(classPairs(record)) as [
    MessageClass,
    [string, string],
  ][]) {
    step(`${messageClass}: ping-pong ${a} -> ${b}`);
    const latency = await vmpathOsu(env, testbed, a, b, 'latency', OSU_SIZES, signal);
    step(`${messageClass}: windowed bandwidth ${a} -> ${b}`);
    const bw = await vmpathOsu(env, testbed, a, b, 'bw', OSU_SIZES, signal);
    classes[messageClass] = {
      latency: fitPiecewise(toSeconds(latency)),
      stream: fitPiecewise(perMessage(bw)),
    };
  }
  const durationMs = (options.streamS ?? 3) * 1000;
  const params = { test: 'stream' as const, sizeBytes: 128 * 1024, durationMs, warmupMs: 500 };
  const pairs = studyPairs(record.topology, record.id);
  step(`sharing: one stream ${pairs[0]?.from.name} -> ${pairs[0]?.to.name}`);
  const single = await runPairs(env, pairs.slice(0, 1), {
    tool: 'vmpath',
    params,
    policy: SINGLE_RUN,
    ...(signal ? { signal } : {}),
  });
  step(`sharing: ${pairs.length} concurrent streams across hosts`);
  const all = await runPairs(env, pairs, {
    tool: 'vmpath',
    params,
    policy: SINGLE_RUN,
    ...(signal ? { signal } : {}),
  });
  step('kernel: one step of blocks of 32 Ki to 8 Mi cells, and packing, in this process');
  const counts = levelRanks(record);
  const shared = await measureSharedKernel(
    env,
    counts.filter((r) => r > cpus().length),
    step,
    signal,
  );
  const kernel = { ...measureKernel(), shared };
  const runtime = await measureRuntime(env, record, kernel, counts, step, signal);
  return {
    version: CALIBRATION_VERSION,
    topology: {
      name: record.topology.name,
      fingerprint: fingerprint(record.topology),
      rateMbit: record.topology.hosts[0]?.uplink.rateMbit ?? null,
    },
    datapath,
    machine: { cores: cpus().length, emulated: true },
    classes,
    sharing: {
      singleFlowBytesPerS: single.total.mean * MiB,
      aggregateBytesPerS: all.total.mean * MiB,
      pairs: pairs.length,
    },
    kernel,
    runtime,
    measuredAt: new Date().toISOString(),
  };
}

/** Blocks as the pipeline makes them (a slab of the grid), 32 Ki to 8 Mi cells: in the caches
 * and past them. */
const KERNEL_BLOCKS: readonly Triple[] = [
  [64, 64, 8],
  [96, 96, 16],
  [128, 128, 32],
  [160, 160, 40],
  [256, 256, 64],
  [256, 256, 128],
];

/** The kernel's step time against block size (per block, the best of 3 rounds, each the
 * median of 6 timed steps after 2 untimed ones, the blocks taken in turn), and the packing time
 * per byte over the three dimensions. */
export function measureKernel(): Calibration['kernel'] {
  const blocks = KERNEL_BLOCKS.map((count) => {
    const block = new BlockMemory(count);
    block.field.fill(0.5);
    return { count, block, rounds: [] as number[] };
  });
  let packSeconds = 0;
  let packBytes = 0;
  for (let round = 0; round < 3; round++)
    for (const { count, block, rounds } of blocks) {
      const times: number[] = [];
      for (let i = 0; i < 8; i++) {
        const t = performance.now();
        block.step(0.3, 0.3, 0.3);
        if (i >= 2) times.push((performance.now() - t) / 1000);
      }
      rounds.push(median(times));
      for (let dim = 0; dim < 3; dim++) {
        const t = performance.now();
        for (let i = 0; i < 5; i++) block.pack(dim);
        packSeconds += (performance.now() - t) / 1000;
        packBytes += 5 * faceCells(count, dim) * 8;
      }
    }
  // The best round: on a busy machine, noise only ever adds time.
  const points: Point[] = blocks.map(({ count, rounds }) => ({
    bytes: count[0] * count[1] * count[2],
    seconds: Math.min(...rounds),
  }));
  return { step: fitPiecewise(points), packSecondsPerByte: packSeconds / packBytes };
}

/** Face sizes of the runtime runs (cells on a side): 2, 72 and 242 KiB faces, below the local
 * transport's inline limit (ring.ts INLINE_BYTES: the payload goes on the Unix socket), 512 KiB
 * and 1 MiB above it (the payload goes through a shared-memory ring): the cost changes its slope
 * there, and each side gets points of its own (at 16 ranks here, an intra-vm step with 200 KiB
 * faces: 1.5 ms from these points, 0.7 ms from a line through 72 and 512 KiB). Two lengths of
 * run, long enough to reach the steady steps (a 96^3 pipeline of 16 ranks: 2.5 ms a step over
 * 48 steps, 1.7 over 192): the line through them gives the cost per step and the cost of a
 * run beyond its steps. */
const RUNTIME_FACES = [16, 96, 176, 256, 362] as const;
const RUNTIME_STEPS = [48, 192] as const;
/** Cells along the pipeline of each rank's thin block in the runtime runs. */
const RUNTIME_DEPTH = 4;
/** Fewest points per segment of the runtime fits (breakpoints among powers of two). */
const RUNTIME_FIT_POINTS = 2;

/** The runtime's cost beyond the kernel and packing, with as many ranks as cores and with
 * every slot busy: the pipeline on thin blocks with every neighbour in the same vm, in the
 * other vm of the host, or on the other host (the data path's own channels for each class),
 * five face sizes and two run lengths each; and the busy share of the cores. */
async function measureRuntime(
  env: SweepEnv,
  record: TestbedRecord,
  kernel: Calibration['kernel'],
  counts: readonly number[],
  step: (text: string) => void,
  signal: AbortSignal | undefined,
): Promise<Calibration['runtime']> {
  const levels: RuntimeLevel[] = [];
  for (const ranks of counts)
    levels.push(await measureLevel(env, record, kernel, ranks, step, signal));
  return levels;
}

/** The rank counts calibration measures at: as many as cores; every slot; and one level
 * between, at their geometric mean (even); 2 at least. */
export function levelRanks(record: TestbedRecord): number[] {
  const slots = record.topology.hosts.reduce(
    (n, h) => n + h.vms.reduce((m, v) => m + v.slots, 0),
    0,
  );
  const cores = Math.min(cpus().length, slots);
  const middle = 2 * Math.round(Math.sqrt(cores * slots) / 2);
  const counts = [cores, ...(middle > cores && middle < slots ? [middle] : []), slots];
  return [...new Set(counts)].filter((r) => r >= 2);
}

const PROBE = fileURLToPath(new URL('../apps/advect/kernel-probe.js', import.meta.url));
/** Slabs as pipelines cut them, 32 Ki to 4 Mi cells. */
const SHARED_BLOCKS: readonly Triple[] = [
  [64, 64, 8],
  [96, 96, 8],
  [128, 128, 16],
  [160, 160, 20],
  [256, 256, 16],
  [256, 256, 64],
];
/** How long the processes of one probe step together, and the head start they get to be up. */
const PROBE_WINDOW_MS = 800;
const PROBE_START_MS = 1500;

/** The kernel when `ranks` processes share the cores, each giving up its core after a step as
 * ranks do (kernel-probe.ts): per block, the median over the processes of the CPU seconds of a
 * step. With 16 processes on 2 cores here, a 160 x 160 x 20 block costs 1.6 times its cost
 * alone, a 256 x 256 x 8 one 1.1 times: the caches are everyone's. */
async function measureSharedKernel(
  env: SweepEnv,
  counts: readonly number[],
  step: (text: string) => void,
  signal: AbortSignal | undefined,
): Promise<{ ranks: number; step: PiecewiseFit }[]> {
  const levels: { ranks: number; step: PiecewiseFit }[] = [];
  for (const ranks of counts) {
    const points: Point[] = [];
    for (const block of SHARED_BLOCKS) {
      step(`kernel: ${ranks} processes sharing the cores, blocks of ${block.join('x')}`);
      const start = Date.now() + PROBE_START_MS;
      const argv = [
        env.execPath,
        PROBE,
        ...block.map(String),
        String(start),
        String(start + PROBE_WINDOW_MS),
      ];
      const results = await Promise.all(
        Array.from({ length: ranks }, () =>
          env.runner.run(
            { argv, description: `kernel probe ${block.join('x')}` },
            { timeoutMs: 60_000, ...(signal ? { signal } : {}) },
          ),
        ),
      );
      const perStep = results.map((r) => {
        const { steps, cpuS } = JSON.parse(r.stdout) as { steps: number; cpuS: number };
        return cpuS / Math.max(steps, 1);
      });
      points.push({ bytes: block[0] * block[1] * block[2], seconds: median(perStep) });
    }
    levels.push({ ranks, step: fitPiecewise(points) });
  }
  return levels;
}

async function measureLevel(
  env: SweepEnv,
  record: TestbedRecord,
  kernel: Calibration['kernel'],
  ranks: number,
  step: (text: string) => void,
  signal: AbortSignal | undefined,
): Promise<RuntimeLevel> {
  const topology = record.topology;
  // Every neighbour in the same vm, in the other vm of host 0, on the other host.
  const pairs = classPairs(record);
  const layouts: Partial<Record<MessageClass, RankSlot[]>> = {};
  for (const [c, [a, b]] of Object.entries(pairs) as [MessageClass, [string, string]][])
    layouts[c] = Array.from({ length: ranks }, (_, rank) => ({ rank, vm: rank % 2 ? b : a }));
  const costs: Partial<Record<MessageClass, TransportCost>> = {};
  const busy: number[] = [];
  const cores = Math.min(ranks, cpus().length);
  // A rank's kernel (as `ranks` processes sharing the cores pay it) and packing per step on a
  // thin block with faces of `side` cells a side.
  const machine = { cores: cpus().length, emulated: true };
  const work = (side: number) => {
    const cells = side * side * RUNTIME_DEPTH;
    return (
      cells * cellSeconds(kernel, machine, cells, ranks) +
      2 * side * side * 8 * kernel.packSecondsPerByte
    );
  };
  const run = async (placement: RankSlot[], side: number, steps: number) => {
    const params = makeParams(
      {
        grid: [side, side, ranks * RUNTIME_DEPTH],
        steps,
        decomp: [1, 1, ranks],
        warmup: WARMUP_STEPS,
      },
      ranks,
    );
    const { result } = await runAdvect(
      params,
      { kind: 'testbed', topology, id: record.id, placement },
      {
        runner: env.runner,
        execPath: env.execPath,
        searchPath: env.searchPath,
        engine: 'vmpath',
        timeoutMs: 600_000,
        ...(signal ? { signal } : {}),
        // With a core each, ranks busy-poll while they wait: CPU spent, but no work that
        // delays anyone. Measured without it, the CPU figures are the runtime's work.
        env: { VMPATH_SPIN_US: '0' },
      },
    );
    return { cpu: result.ranks.reduce((sum, r) => sum + r.cpuS, 0), wall: result.totals.wallS };
  };
  for (const [transport, placement] of Object.entries(layouts) as [MessageClass, RankSlot[]][]) {
    const cpuPoints: Point[] = [];
    const stepPoints: Point[] = [];
    const transientPoints: Point[] = [];
    for (const side of RUNTIME_FACES) {
      step(`runtime: ${ranks} ranks, ${transport} neighbours, ${side}x${side} faces`);
      // Runs of two lengths: a line through (steps, time) gives the time per step (slope)
      // and what a run costs beyond its steps (intercept: the pipeline's skew, the first
      // steps after the barrier); the same for the ranks' CPU.
      const runs: { steps: number; cpu: number; wall: number }[] = [];
      for (const steps of RUNTIME_STEPS)
        runs.push({ steps, ...(await run(placement, side, steps)) });
      const wall = linearRegression(runs.map((r) => [r.steps, r.wall]));
      const cpu = linearRegression(runs.map((r) => [r.steps, r.cpu / ranks]));
      const faceBytes = side * side * 8;
      cpuPoints.push({ bytes: faceBytes, seconds: Math.max(cpu.m - work(side), 1e-6) });
      // The machine's time per step for the runtime: the rest once the ranks' kernel and
      // packing, spread over the busy cores, are taken out.
      const longest = runs[runs.length - 1] as (typeof runs)[number];
      const share = Math.min(1, longest.cpu / (cores * longest.wall));
      const machine = (ranks * work(side)) / (cores * share);
      stepPoints.push({ bytes: faceBytes, seconds: Math.max(wall.m - machine, 1e-6) });
      transientPoints.push({ bytes: faceBytes, seconds: Math.max(wall.b, 1e-6) });
      busy.push(share);
    }
    // One run per size and length: each segment on two face sizes at least.
    costs[transport] = {
      cpu: fitPiecewise(cpuPoints, RUNTIME_FIT_POINTS),
      step: fitPiecewise(stepPoints, RUNTIME_FIT_POINTS),
      transient: fitPiecewise(transientPoints, RUNTIME_FIT_POINTS),
    };
  }
  const utilization = median(busy);
  // A pipeline whose hops are of different classes runs slower than its hops' costs add up to
  // (measured here: ranks waiting on one kind of channel while the other is served). The
  // factor: the runtime's time per step in the hybrid layout (pairs in a vm, vms alternating
  // hosts) over the sum of its messages' costs from the homogeneous runs above.
  let mixing = 1;
  const hybrid = place(topology, 'hybrid', ranks);
  const hopClasses = hybrid.slice(1).map((p, i) => classOf(hybrid[i] as Placed, p));
  if (ranks > cores && new Set(hopClasses).size > 1 && hopClasses.every((c) => costs[c])) {
    step(`runtime: ${ranks} ranks, mixed classes (hybrid layout, 96x96 faces)`);
    const runs: number[][] = [];
    const slots = hybrid.map((p) => ({ rank: p.rank, vm: p.vm }));
    for (const steps of RUNTIME_STEPS) runs.push([steps, (await run(slots, 96, steps)).wall]);
    const faceBytes = 96 * 96 * 8;
    const machine = (ranks * work(96)) / (cores * utilization);
    const expected =
      hopClasses.reduce(
        (sum, c) => sum + evaluate((costs[c] as TransportCost).step, faceBytes),
        0,
      ) / hopClasses.length;
    mixing = Math.min(4, Math.max(0.5, (linearRegression(runs).m - machine) / expected));
  }
  return { ranks, classes: costs, utilization, mixing };
}
