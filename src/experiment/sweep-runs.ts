/**
 * The runs of a sweep, one kind each: a bench run (the study's pairs, or the OSU curves), an
 * advection run under a placement, on the data path's testbed or cluster (`on`), each giving
 * what its record stores (its kind's summary and raw samples).
 */
import { makeParams } from '../apps/advect/params.js';
import { advectTraffic } from '../apps/advect/pattern.js';
import { runAdvect } from '../apps/advect/run.js';
import { SINGLE_RUN } from '../bench/iterate.js';
import {
  buildOsuTwin,
  OSU_SIZES,
  type OsuTest,
  openMpiOsu,
  valueAt,
  vmpathOsu,
} from '../bench/osu.js';
import { type Pair, studyPairs } from '../bench/pairs.js';
import { runPairs } from '../bench/run.js';
import { MiB } from '../bench/types.js';
import type { Target } from '../cluster/target.js';
import { classify } from '../placement/classes.js';
import { placeFor } from '../placement/mapping.js';
import type { RunKind, SummaryOf } from '../report/records.js';
import type { TestbedEnv } from '../testbed/lifecycle.js';
import type { AdvectRun, BenchRun, PlannedRun } from './spec.js';

/** What a run stored: its kind's summary, and its raw samples. */
export interface SweepEnv extends TestbedEnv {
  readonly execPath: string;
}

export type Outcome<K extends RunKind> = { kind: K; summary: SummaryOf<K>; samples: unknown };

/** The kind a planned run is stored as: a bench run of the OSU test is an osu run. */
export function recordKind(run: PlannedRun): RunKind {
  return run.kind === 'bench' && run.test === 'osu' ? 'osu' : run.kind;
}

export async function runBench(
  env: SweepEnv,
  on: Target,
  run: BenchRun,
  signal?: AbortSignal,
): Promise<Outcome<'bench'> | Outcome<'osu'>> {
  if (run.test === 'osu') return runOsu(env, on, run, signal);
  const { topology, id } = on;
  const durationMs = run.durationS * 1000;
  const params =
    run.test === 'stream'
      ? { test: 'stream' as const, sizeBytes: 128 * 1024, durationMs, warmupMs: 1000 }
      : { test: 'rr' as const, requestBytes: 1, responseBytes: 1, durationMs, warmupMs: 1000 };
  const result = await runPairs({ ...env, launcher: on.launcher }, studyPairs(topology, id), {
    tool: run.tool,
    params,
    policy: SINGLE_RUN,
    ...(signal ? { signal } : {}),
  });
  const rate = topology.hosts[0]?.uplink.rateMbit ?? null;
  return {
    kind: 'bench',
    summary: {
      unit: result.unit,
      total: result.total.mean,
      perPair: result.pairs.map((p) => ({ from: p.from, to: p.to, value: p.summary.mean })),
      rateMbit: rate,
      linkMiBps: rate === null ? null : (rate * 1e6) / 8 / MiB,
    },
    samples: result.pairs.map((p) => ({ from: p.from, to: p.to, runs: p.runs })),
  };
}

/** OSU latency and bandwidth curves (8 B to 4 MiB) over the study's first pair (across hosts):
 * the runtime, or the C twin on Open MPI's TCP BTL. */
async function runOsu(
  env: SweepEnv,
  on: Target,
  run: Extract<BenchRun, { test: 'osu' }>,
  signal?: AbortSignal,
): Promise<Outcome<'osu'>> {
  const pair = studyPairs(on.topology, on.id)[0] as Pair;
  const twin = run.tool === 'openmpi' ? await buildOsuTwin(env, 'bench.tools') : null;
  try {
    const curve = (test: OsuTest) =>
      twin
        ? openMpiOsu(env, twin.program, pair.from, pair.to, 'tcp', test, OSU_SIZES, signal, on)
        : vmpathOsu(env, on, pair.from.name, pair.to.name, test, OSU_SIZES, signal);
    const latency = await curve('latency');
    const bw = await curve('bw');
    return {
      kind: 'osu',
      summary: {
        from: pair.from.name,
        to: pair.to.name,
        latencyUs: latency,
        bwMiBps: bw,
        latency8Us: valueAt(latency, 8),
        bw1MiBps: valueAt(bw, MiB),
      },
      samples: null,
    };
  } finally {
    twin?.remove();
  }
}

export async function runApp(
  env: SweepEnv,
  on: Target,
  run: AdvectRun,
  options: { readonly signal?: AbortSignal; readonly onLine?: (line: string) => void },
): Promise<Outcome<'advect'>> {
  const params = advectParams(run);
  const placement = placeFor(
    on.topology,
    run.placement,
    run.ranks,
    advectTraffic(run.grid, run.decomp),
  );
  const { result, matrix } = await runAdvect(
    params,
    { kind: 'testbed', topology: on.topology, id: on.id, placement, via: on },
    {
      runner: env.runner,
      execPath: env.execPath,
      searchPath: env.searchPath,
      engine: run.engine,
      timeoutMs: 3_600_000,
      ...(options.signal ? { signal: options.signal } : {}),
      onLine: (line) => options.onLine?.(line),
    },
  );
  const classes = classify(placement, advectTraffic(run.grid, run.decomp, run.steps));
  return {
    kind: 'advect',
    summary: {
      wallS: result.totals.wallS,
      computeS: result.totals.computeS.mean,
      packS: result.totals.packS.mean,
      commS: result.totals.commS.mean,
      mcups: result.totals.mcups,
      messagesPerStep: result.totals.messagesPerStep,
      bytesPerStep: result.totals.bytesPerStep,
      maxRssBytes: result.totals.maxRssBytes,
      checksum: result.checksum,
      errors: result.errors,
      interHostMessageShare: classes.interHostMessageShare,
      interHostByteShare: classes.interHostByteShare,
      classes: classes.byClass,
    },
    samples: { ranks: result.ranks, matrix },
  };
}

/** The problem an advection run solves. */
export function advectParams(run: AdvectRun) {
  return makeParams({ grid: run.grid, steps: run.steps, decomp: run.decomp }, run.ranks);
}
