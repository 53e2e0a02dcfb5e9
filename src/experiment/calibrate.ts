/**
 * `vmpath calibrate`: measures a running testbed and fits its model (src/model).
 *
 * Per message class the topology offers (intra-vm: two ranks in one vm; inter-vm: the first two
 * vms of host 0; inter-host: the first vm of host 0 and of host 1), the runtime's OSU ping-pong
 * and windowed bandwidth curves from 8 B to 4 MiB, fitted piecewise (one-way time, and time per
 * message when streaming); the stream bandwidth of one cross-host pair alone and of all the
 * study's concurrent pairs (the capacity they share); the advection kernel's time per cell
 * and the faces' packing time per byte, in this process; and per level of core sharing, the
 * runtime's own cost and the kernel's as the ranks of those runs paid it (measureRuntime).
 */
import { cpus, release, totalmem, type } from 'node:os';
import { linearRegression } from 'simple-statistics';
import { BlockMemory, faceCells } from '../apps/advect/kernel.js';
import { makeParams, type Triple } from '../apps/advect/params.js';
import { advectTraffic } from '../apps/advect/pattern.js';
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
  type ClassCosts,
  type ClassModel,
  fingerprint,
  type RuntimeLevel,
  THIN_DEPTH,
} from '../model/calibration.js';
import { fitAt, fitPiecewise, type PiecewiseFit, type Point } from '../model/fit.js';
import type { MessageClass } from '../placement/classes.js';
import type { RankSlot } from '../runtime/launcher.js';
import type { TestbedRecord } from '../testbed/state.js';
import type { Datapath } from '../topology/types.js';
import { INLINE_BYTES } from '../transport/ring.js';
import type { SweepEnv } from './sweep.js';
import { type Turn, Turns } from './turns.js';
import { WARMUP_STEPS } from './validate.js';

export interface CalibrateOptions {
  readonly signal?: AbortSignal;
  readonly onStep?: (text: string) => void;
  /** Seconds of each stream test (single pair, then all pairs). */
  readonly streamS?: number;
  /** Each measurement waits for this turn (calibrateInTurns). */
  readonly turn?: Turn;
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
  const measure = <T>(body: () => Promise<T> | T): Promise<T> =>
    options.turn ? options.turn.run(body) : Promise.resolve().then(body);
  const classes: Partial<Record<MessageClass, ClassModel>> = {};
  for (const [messageClass, [a, b]] of Object.entries(classPairs(record)) as [
    MessageClass,
    [string, string],
  ][]) {
    step(`${messageClass}: ping-pong ${a} -> ${b}`);
    const latency = await measure(() =>
      vmpathOsu(env, testbed, a, b, 'latency', OSU_SIZES, signal),
    );
    step(`${messageClass}: windowed bandwidth ${a} -> ${b}`);
    const bw = await measure(() => vmpathOsu(env, testbed, a, b, 'bw', OSU_SIZES, signal));
    classes[messageClass] = {
      latency: fitPiecewise(toSeconds(latency)),
      stream: fitPiecewise(perMessage(bw)),
    };
  }
  const durationMs = (options.streamS ?? 3) * 1000;
  const params = { test: 'stream' as const, sizeBytes: 128 * 1024, durationMs, warmupMs: 500 };
  const pairs = studyPairs(record.topology, record.id);
  step(`sharing: one stream ${pairs[0]?.from.name} -> ${pairs[0]?.to.name}`);
  const single = await measure(() =>
    runPairs(env, pairs.slice(0, 1), {
      tool: 'vmpath',
      params,
      policy: SINGLE_RUN,
      ...(signal ? { signal } : {}),
    }),
  );
  step(`sharing: ${pairs.length} concurrent streams across hosts`);
  const all = await measure(() =>
    runPairs(env, pairs, {
      tool: 'vmpath',
      params,
      policy: SINGLE_RUN,
      ...(signal ? { signal } : {}),
    }),
  );
  step('kernel: one step of blocks of 32 Ki to 8 Mi cells, and packing, in this process');
  const alone = await measure(measureKernel);
  const measured = await measureRuntime(env, record, alone, levelRanks(record), {
    step,
    measure,
    signal,
  });
  const kernel = { ...alone, shared: measured.shared };
  const runtime = measured.levels;
  return {
    version: CALIBRATION_VERSION,
    topology: {
      name: record.topology.name,
      fingerprint: fingerprint(record.topology),
      rateMbit: record.topology.hosts[0]?.uplink.rateMbit ?? null,
    },
    datapath,
    machine: {
      cores: cpus().length,
      emulated: true,
      cpu: cpus()[0]?.model ?? 'unknown',
      kernel: `${type()} ${release()}`,
      memoryBytes: totalmem(),
    },
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

/** Calibrates several testbeds of this machine in turns (turns.ts): the first measurement of
 * each, then the second of each, and so on. Calibrated one after the other, each data path got
 * the machine of its own minutes: in one run here, the bridged testbed's runtime costs at 8
 * ranks on thick blocks came out about 30% below the other two's, its local transport's as much
 * as its bridge's, and the bridge then looked cheaper than a VF. When one calibration
 * fails, the others stop and the first failure is thrown. */
export async function calibrateInTurns(
  env: SweepEnv,
  records: readonly TestbedRecord[],
  options: Omit<CalibrateOptions, 'turn' | 'onStep'> & {
    readonly onStep?: (id: string, text: string) => void;
  } = {},
): Promise<Calibration[]> {
  const turns = new Turns(records.length);
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  let failure: { error: unknown } | undefined;
  const settled = await Promise.allSettled(
    records.map(async (record, index) => {
      try {
        return await calibrate(env, record, {
          ...options,
          signal,
          turn: turns.of(index),
          onStep: (text) => options.onStep?.(record.id, text),
        });
      } catch (error) {
        failure ??= { error };
        stop.abort(error);
        throw error;
      } finally {
        turns.leave(index);
      }
    }),
  );
  if (failure) throw failure.error;
  return settled.map((s) => (s as PromiseFulfilledResult<Calibration>).value);
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

/** Face sizes of the runtime runs (cells on a side): 2 and 63 KiB faces, below the local
 * transport's inline limit (ring.ts INLINE_BYTES: the payload goes on the Unix socket), 128 KiB,
 * 512 KiB and 1 MiB above it (the payload goes through a shared-memory ring): the cost changes
 * its slope there, and each side gets points of its own. Two lengths of run, long enough to
 * reach the steady steps (a 96^3 pipeline of 16 ranks: 2.5 ms a step over 48 steps, 1.7 over
 * 192): the line through them gives the cost per step and the cost of a run beyond its steps.
 * The longer reaches the steps a process pays once it has run a few hundred: the same pipeline
 * took 1.4-1.6 ms a step over 192 steps and 1.8-2.0 over 384 or 768 (32 warm-up steps before;
 * with 320 of them, 1.7 over 192), its ranks' kernel 0.6 ns a cell and then 0.9-1.1. */
const RUNTIME_FACES = [16, 90, 128, 256, 362] as const;
const RUNTIME_STEPS = [96, 384] as const;
/** Cells along the pipeline behind each face in the runtime runs: thin blocks (THIN_DEPTH),
 * where the kernel between two messages leaves them in the caches, and thick ones, where it
 * does not (at 8 ranks here, 160 x 160 faces: 1.8 ms of CPU a step beyond the kernel on thin
 * blocks, 3.1 on blocks 20 deep), with their shorter runs. */
const THICK_DEPTH = 24;
const THICK_STEPS = [48, 192] as const;
/** Fewest points per segment of the runtime's transient fits (breakpoints among powers of two). */
const RUNTIME_FIT_POINTS = 2;

/** The runtime's cost beyond the kernel and packing at each level of core sharing (levelRanks):
 * the pipeline on thin blocks and on thick ones, with every neighbour in the
 * same vm, in the other vm of the host, or on the other host (the data path's own channels for
 * each class), five face sizes and two run lengths each; and the busy share of the cores. The
 * ranks' kernel, as they paid it in these runs (sharing the cores and the caches), is measured
 * apart: at the levels with more ranks than cores, it is the kernel's cost under sharing. */
async function measureRuntime(
  env: SweepEnv,
  record: TestbedRecord,
  kernel: Calibration['kernel'],
  counts: readonly number[],
  how: RuntimeOptions,
): Promise<{ levels: RuntimeLevel[]; shared: { ranks: number; step: PiecewiseFit }[] }> {
  const levels: RuntimeLevel[] = [];
  const shared: { ranks: number; step: PiecewiseFit }[] = [];
  for (const ranks of counts) {
    const { level, kernelPoints } = await measureLevel(env, record, kernel, ranks, how);
    levels.push(level);
    if (ranks > cpus().length) shared.push({ ranks, step: fitPiecewise(kernelPoints) });
  }
  return { levels, shared };
}

interface RuntimeOptions {
  readonly step: (text: string) => void;
  /** Runs one measurement (in the calibration's turn, when it has one). */
  readonly measure: <T>(body: () => Promise<T> | T) => Promise<T>;
  readonly signal: AbortSignal | undefined;
}

/** The rank counts calibration measures at: as many as cores, then doubling (each level has
 * twice the ranks per core of the last) up to every slot; 2 at least. The runtime's cost per
 * message grows faster than the ranks between levels far apart: at 8 ranks here, 265 us of CPU
 * per 200 KiB face against 140 interpolated between 6 and 16. */
export function levelRanks(record: TestbedRecord): number[] {
  const slots = record.topology.hosts.reduce(
    (n, h) => n + h.vms.reduce((m, v) => m + v.slots, 0),
    0,
  );
  const cores = Math.min(cpus().length, slots);
  const counts: number[] = [];
  for (let ranks = cores; ranks < slots; ranks *= 2) counts.push(ranks);
  counts.push(slots);
  return counts.filter((r) => r >= 2);
}

/** A run's figures per step: the ranks' kernel's CPU per rank (the slope over the run
 * lengths: a process's later steps cost more), the rest of their CPU (see below); and the wall
 * time a run takes beyond its steps (the intercept: the pipeline's skew, the first steps after
 * the barrier). */
interface PerStep {
  readonly kernel: number;
  /** The ranks' CPU beyond the kernel per rank and step, over the longest run's steps. */
  readonly rest: number;
  readonly transient: number;
  /** Busy share of the cores in the longest run. */
  readonly share: number;
}

async function measureLevel(
  env: SweepEnv,
  record: TestbedRecord,
  kernel: Calibration['kernel'],
  ranks: number,
  { step, measure, signal }: RuntimeOptions,
): Promise<{ level: RuntimeLevel; kernelPoints: Point[] }> {
  const topology = record.topology;
  // Every neighbour in the same vm, in the other vm of host 0, on the other host.
  const pairs = classPairs(record);
  const layouts: Partial<Record<MessageClass, RankSlot[]>> = {};
  for (const [c, [a, b]] of Object.entries(pairs) as [MessageClass, [string, string]][])
    layouts[c] = Array.from({ length: ranks }, (_, rank) => ({ rank, vm: rank % 2 ? b : a }));
  const busy: number[] = [];
  const kernelPoints: Point[] = [];
  const cores = Math.min(ranks, cpus().length);
  // A rank's message ends a step, on average, as the pipeline's own pattern has them: it is open
  // (the first rank only sends, the last only receives), 1.75 at 8 ranks; a rank packs or
  // unpacks as many faces of `side` cells a side. Its figures are scaled to one message out and
  // one in: taken as that, they had priced a message 12.5% short at 8 ranks (and 50% at 2).
  const ends = (2 * advectTraffic([1, 1, ranks], [1, 1, ranks], 1).length) / ranks;
  const pack = (side: number) => ends * side * side * 8 * kernel.packSecondsPerByte;
  const run = async (placement: RankSlot[], side: number, depth: number, steps: number) => {
    const params = makeParams(
      {
        grid: [side, side, ranks * depth],
        steps,
        decomp: [1, 1, ranks],
        warmup: WARMUP_STEPS,
      },
      ranks,
    );
    const { result } = await measure(() =>
      runAdvect(
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
      ),
    );
    const sum = (f: (r: (typeof result.ranks)[number]) => number) =>
      result.ranks.reduce((total, r) => total + f(r), 0);
    return {
      steps,
      cpu: sum((r) => r.cpuS) / ranks,
      kernel: sum((r) => r.kernelCpuS ?? 0) / ranks,
      wall: result.totals.wallS,
      busy: sum((r) => r.cpuS),
    };
  };
  // Runs of two lengths: a line through (steps, figure) gives the figure per step (slope).
  const perStep = async (
    placement: RankSlot[],
    side: number,
    depth: number,
    lengths: readonly number[],
  ): Promise<PerStep> => {
    const runs: Awaited<ReturnType<typeof run>>[] = [];
    for (const steps of lengths) runs.push(await run(placement, side, depth, steps));
    const slope = (f: (r: (typeof runs)[number]) => number) =>
      linearRegression(runs.map((r) => [r.steps, f(r)]));
    const wall = slope((r) => r.wall);
    const longest = runs[runs.length - 1] as (typeof runs)[number];
    // The runtime's CPU is taken from the longest run alone: a line through two runs doubles the
    // noise of a run (at 8 ranks here, 160 x 160 faces 20 deep, four repeats spread by 21% that
    // way, by 13% this way, at the same level).
    return {
      kernel: slope((r) => r.kernel).m,
      rest: (longest.cpu - longest.kernel) / longest.steps,
      transient: wall.b,
      share: Math.min(1, longest.busy / (cores * longest.wall)),
    };
  };
  const costsAt = async (depth: number, lengths: readonly number[]): Promise<ClassCosts> => {
    const costs: ClassCosts = {};
    for (const [transport, placement] of Object.entries(layouts) as [MessageClass, RankSlot[]][]) {
      const cpuPoints: Point[] = [];
      const transientPoints: Point[] = [];
      for (const side of RUNTIME_FACES) {
        step(
          `runtime: ${ranks} ranks, ${transport} neighbours, ${side}x${side} faces, ${depth} deep`,
        );
        const m = await perStep(placement, side, depth, lengths);
        const faceBytes = side * side * 8;
        cpuPoints.push({
          bytes: faceBytes,
          seconds: Math.max(((m.rest - pack(side)) * 2) / ends, 1e-6),
        });
        transientPoints.push({ bytes: faceBytes, seconds: Math.max(m.transient, 1e-6) });
        kernelPoints.push({ bytes: side * side * depth, seconds: m.kernel });
        busy.push(m.share);
      }
      // One run per size and length: each segment on two face sizes at least. The CPU breaks
      // where the local transport changes (INLINE_BYTES), between the faces measured on each
      // side: left free, the break fell at 64 or 256 KiB by the runs' noise, and a 200 KiB face
      // was priced by one line or the other, up to 2x apart (200 against 386 us at 8 ranks).
      costs[transport] = {
        cpu: fitAt(cpuPoints, [INLINE_BYTES]),
        transient: fitPiecewise(transientPoints, RUNTIME_FIT_POINTS),
      };
    }
    return costs;
  };
  const costs = await costsAt(THIN_DEPTH, RUNTIME_STEPS);
  const thick = { depth: THICK_DEPTH, classes: await costsAt(THICK_DEPTH, THICK_STEPS) };
  return {
    level: { ranks, classes: costs, depth: THIN_DEPTH, thick, utilization: median(busy) },
    kernelPoints,
  };
}
