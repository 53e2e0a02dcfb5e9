/**
 * `vmpath calibrate`: runs a calibration's plan (calibration-plan.ts) on a running testbed,
 * one measurement at a time (each in its turn, when several testbeds are calibrated together),
 * and fits what it measured (calibration-fit.ts).
 */
import { cpus, release, totalmem, type } from 'node:os';
import { BlockMemory, faceCells } from '../apps/advect/kernel.js';
import type { Triple } from '../apps/advect/params.js';
import { runAdvectSeries } from '../apps/advect/run.js';
import { SINGLE_RUN } from '../bench/iterate.js';
import { OSU_SIZES, vmpathOsu } from '../bench/osu.js';
import { studyPairs } from '../bench/pairs.js';
import { runPairs } from '../bench/run.js';
import { median } from '../bench/stats.js';
import type { Target } from '../cluster/target.js';
import { type Calibration, fingerprint } from '../model/calibration.js';
import { fitPiecewise, type Point } from '../model/fit.js';
import { canCalibrateOpenMpi, openMpiCurves } from './calibrate-openmpi.js';
import { fitCalibration, type Measured, type RunFigures } from './calibration-fit.js';
import { type CalibrationPlan, planCalibration, type RuntimeSeries } from './calibration-plan.js';
import type { SweepEnv } from './sweep.js';
import { type Turn, Turns } from './turns.js';

export interface CalibrateOptions {
  readonly signal?: AbortSignal;
  readonly onStep?: (text: string) => void;
  /** Each measurement waits for this turn (calibrateInTurns). */
  readonly turn?: Turn;
}

/** How long each problem of a series may take (the 16 ranks of paper on 362^2 faces 24 deep:
 * well under a minute here). */
const PROBLEM_TIMEOUT_MS = 600_000;

export async function calibrate(
  env: SweepEnv,
  record: Target,
  options: CalibrateOptions = {},
): Promise<Calibration> {
  const plan = planCalibration(record, cpus().length);
  const measured = await measurePlan(env, record, plan, options);
  return fitCalibration(plan, measured, {
    topology: {
      name: record.topology.name,
      fingerprint: fingerprint(record.topology),
      rateMbit: record.topology.hosts[0]?.uplink.rateMbit ?? null,
    },
    machine: {
      cores: cpus().length,
      emulated: record.kind === 'testbed',
      cpu: cpus()[0]?.model ?? 'unknown',
      kernel: `${type()} ${release()}`,
      memoryBytes: totalmem(),
    },
    measuredAt: new Date().toISOString(),
  });
}

/** Runs each measurement of the plan, in order. */
async function measurePlan(
  env: SweepEnv,
  record: Target,
  plan: CalibrationPlan,
  options: CalibrateOptions,
): Promise<Measured> {
  const testbed = { topology: record.topology, id: record.id, launcher: record.launcher };
  const { signal } = options;
  const step = (text: string) => options.onStep?.(text);
  const measure = <T>(body: () => Promise<T> | T): Promise<T> =>
    options.turn ? options.turn.run(body) : Promise.resolve().then(body);
  const curves: Measured['curves'] = {};
  for (const {
    messageClass,
    vms: [a, b],
  } of plan.curves) {
    step(`${messageClass}: ping-pong ${a} -> ${b}`);
    const latency = await measure(() =>
      vmpathOsu(env, testbed, a, b, 'latency', OSU_SIZES, signal),
    );
    step(`${messageClass}: windowed bandwidth ${a} -> ${b}`);
    const bw = await measure(() => vmpathOsu(env, testbed, a, b, 'bw', OSU_SIZES, signal));
    curves[messageClass] = { latency, bw };
  }
  const openmpi = canCalibrateOpenMpi(env.searchPath)
    ? await openMpiCurves(env, record, plan.curves, measure, step, signal)
    : undefined;
  if (!openmpi) step('Open MPI: not installed, so not calibrated (programs are priced on vmpath)');
  const pairs = studyPairs(record.topology, record.id);
  const streams = (which: typeof pairs) =>
    measure(() =>
      runPairs({ ...env, launcher: record.launcher }, which, {
        tool: 'vmpath',
        params: plan.stream,
        policy: SINGLE_RUN,
        ...(signal ? { signal } : {}),
      }),
    );
  step(`sharing: one stream ${pairs[0]?.from.name} -> ${pairs[0]?.to.name}`);
  const single = await streams(pairs.slice(0, 1));
  step(`sharing: ${pairs.length} concurrent streams across hosts`);
  const all = await streams(pairs);
  step('kernel: one step of blocks of 32 Ki to 8 Mi cells, and packing, in this process');
  const kernel = await measure(measureKernel);
  const runtime: RunFigures[][][] = [];
  for (const level of plan.levels) {
    const figures: RunFigures[][] = [];
    for (const s of level.series) {
      const sides = [...new Set(s.runs.map((r) => r.side))];
      step(
        `runtime: ${s.ranks} ranks, ${s.messageClass} neighbours, ${sides.join(', ')} cells a side, ${s.depth} deep`,
      );
      figures.push(await measure(() => runSeries(env, record, s, signal)));
    }
    runtime.push(figures);
  }
  return {
    curves,
    ...(openmpi ? { openmpi } : {}),
    sharing: { single: single.total.mean, all: all.total.mean, pairs: pairs.length },
    kernel,
    runtime,
  };
}

/** One series as one job: each problem's figures (CPU per rank, the kernel's share, wall). */
async function runSeries(
  env: SweepEnv,
  record: Target,
  s: RuntimeSeries,
  signal: AbortSignal | undefined,
): Promise<RunFigures[]> {
  const { results } = await runAdvectSeries(
    s.problems,
    {
      kind: 'testbed',
      topology: record.topology,
      id: record.id,
      placement: s.placement,
      via: record,
    },
    {
      runner: env.runner,
      execPath: env.execPath,
      searchPath: env.searchPath,
      timeoutMs: PROBLEM_TIMEOUT_MS * s.problems.length,
      ...(signal ? { signal } : {}),
      // With a core each, ranks busy-poll while they wait: CPU spent, but no work that delays
      // anyone. Measured without it, the CPU figures are the runtime's work.
      env: { VMPATH_SPIN_US: '0' },
    },
  );
  return results.map((result, i) => {
    const sum = (f: (r: (typeof result.ranks)[number]) => number) =>
      result.ranks.reduce((total, r) => total + f(r), 0);
    return {
      steps: (s.runs[i] as { steps: number }).steps,
      cpu: sum((r) => r.cpuS) / s.ranks,
      kernel: sum((r) => r.kernelCpuS ?? 0) / s.ranks,
      wall: result.totals.wallS,
      busy: sum((r) => r.cpuS),
    };
  });
}

/** Calibrates several testbeds of this machine in turns (turns.ts): the first measurement of
 * each, then the second of each, and so on, so that the machine's drift falls on all alike
 * (docs/model.md). When one calibration fails, the others stop and the first failure is
 * thrown. */
export async function calibrateInTurns(
  env: SweepEnv,
  records: readonly Target[],
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
export function measureKernel(): Omit<Calibration['kernel'], 'shared'> {
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
