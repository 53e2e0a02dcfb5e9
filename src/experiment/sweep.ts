/**
 * Running a sweep: every run of the spec not yet done in the database, data path by data path,
 * each data path's testbed brought up once (with an id derived from the spec, so that one left
 * by a killed sweep is cleaned before resuming) and brought down at the end, on failure or on
 * interrupt. Each run is recorded when it ends, done or failed; a failed run does not stop the
 * sweep.
 */

import { totalmem } from 'node:os';
import { checkMemory } from '../apps/advect/memory.js';
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
import { VmpathError } from '../core/errors.js';
import { classify } from '../placement/classes.js';
import { placeFor } from '../placement/mapping.js';
import { type RunKind, type SummaryOf, summaryOf } from '../report/records.js';
import { findMpiProgram, requireOpenMpi } from '../runtime/openmpi.js';
import type { Store } from '../store/db.js';
import { clean, down, type TestbedEnv, up } from '../testbed/lifecycle.js';
import { checkBuildable } from '../testbed/plan-up.js';
import { TestbedState } from '../testbed/state.js';
import { resolveTopology } from '../topology/resolve.js';
import type { TopologyInput } from '../topology/schema.js';
import type { Datapath, Topology } from '../topology/types.js';
import { captureEnvironment } from './environment.js';
import { lockSweep } from './lock.js';
import { reapStaleJobs } from './mpi-run.js';
import {
  type AdvectRun,
  type BenchRun,
  expandSweep,
  type PlannedRun,
  runKey,
  type SweepSpec,
  specHash,
} from './spec.js';
import { runMpiPlanned } from './sweep-mpi.js';
import { sweepOrder } from './sweep-order.js';

export interface SweepEnv extends TestbedEnv {
  readonly execPath: string;
}

export interface SweepProgress {
  /** Runs done (before and in this invocation) and in all. */
  readonly done: number;
  readonly total: number;
  readonly skipped: number;
  readonly run: PlannedRun | null;
  readonly outcome: 'done' | 'failed' | 'starting';
  readonly seconds: number | null;
  readonly error: string | null;
}

export interface SweepOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: SweepProgress) => void;
  readonly onLine?: (line: string) => void;
}

export interface SweepOutcome {
  readonly sweepId: number;
  readonly total: number;
  readonly skipped: number;
  readonly ran: number;
  readonly failed: number;
}

/** The topology of a spec for one data path. */
export function sweepTopology(
  spec: SweepSpec,
  base: TopologyInput,
  datapath: Datapath | undefined,
  source: string,
): Topology {
  return resolveTopology(
    base,
    {
      ...(datapath ? { datapath } : {}),
      ...(spec.rateMbit !== undefined ? { rateMbit: spec.rateMbit } : {}),
    },
    source,
  );
}

/** The testbed id a sweep uses for a data path: stable across resumes. */
export function sweepTestbedId(hash: string, datapath: Datapath): string {
  return `s${hash.slice(0, 5)}${datapath.slice(0, 2)}`;
}

/** What a run stored: its kind's summary, and its raw samples. */
type Outcome<K extends RunKind> = { kind: K; summary: SummaryOf<K>; samples: unknown };

/** The kind a planned run is stored as: a bench run of the OSU test is an osu run. */
export function recordKind(run: PlannedRun): RunKind {
  return run.kind === 'bench' && run.test === 'osu' ? 'osu' : run.kind;
}

async function runBench(
  env: SweepEnv,
  topology: Topology,
  id: string,
  run: BenchRun,
  signal?: AbortSignal,
): Promise<Outcome<'bench'> | Outcome<'osu'>> {
  if (run.test === 'osu') return runOsu(env, topology, id, run, signal);
  const durationMs = run.durationS * 1000;
  const params =
    run.test === 'stream'
      ? { test: 'stream' as const, sizeBytes: 128 * 1024, durationMs, warmupMs: 1000 }
      : { test: 'rr' as const, requestBytes: 1, responseBytes: 1, durationMs, warmupMs: 1000 };
  const result = await runPairs(env, studyPairs(topology, id), {
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
  topology: Topology,
  id: string,
  run: Extract<BenchRun, { test: 'osu' }>,
  signal?: AbortSignal,
): Promise<Outcome<'osu'>> {
  const pair = studyPairs(topology, id)[0] as Pair;
  const twin = run.tool === 'openmpi' ? await buildOsuTwin(env, 'bench.tools') : null;
  try {
    const curve = (test: OsuTest) =>
      twin
        ? openMpiOsu(env, twin.program, pair.from, pair.to, 'tcp', test, OSU_SIZES, signal)
        : vmpathOsu(env, { topology, id }, pair.from.name, pair.to.name, test, OSU_SIZES, signal);
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

async function runApp(
  env: SweepEnv,
  topology: Topology,
  id: string,
  run: AdvectRun,
  options: SweepOptions,
): Promise<Outcome<'advect'>> {
  const params = advectParams(run);
  const placement = placeFor(
    topology,
    run.placement,
    run.ranks,
    advectTraffic(run.grid, run.decomp),
  );
  const { result, matrix } = await runAdvect(
    params,
    { kind: 'testbed', topology, id, placement },
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

/** Every run of a sweep, each checked against its data path's topology (which must be one
 * `up` can build) and against this machine's memory: call it before creating anything, so
 * that bad input leaves nothing behind. */
export function planSweep(
  spec: SweepSpec,
  base: TopologyInput,
  source: string,
  searchPath: string | undefined,
  machineBytes = totalmem(),
): PlannedRun[] {
  if (spec.mpi !== undefined) requireOpenMpi(searchPath, 'mpi', 'needs Open MPI');
  const resolve = (name: string, field: string) =>
    findMpiProgram(name, searchPath, field, 'E_EXP_SPEC');
  return spec.datapaths.flatMap((dp) => {
    const topology = sweepTopology(spec, base, dp, source);
    checkBuildable(topology);
    const runs = expandSweep({ ...spec, datapaths: [dp] }, topology, resolve);
    for (const run of runs)
      if (run.kind === 'advect') {
        try {
          checkMemory(advectParams(run), machineBytes);
        } catch (error) {
          throw new VmpathError('E_EXP_SPEC', `${runKey(run)}: ${(error as Error).message}`, {
            cause: error,
          });
        }
      }
    return runs;
  });
}

/** The problem an advection run solves. */
function advectParams(run: AdvectRun) {
  return makeParams({ grid: run.grid, steps: run.steps, decomp: run.decomp }, run.ranks);
}

export async function runSweep(
  env: SweepEnv,
  store: Store,
  spec: SweepSpec,
  base: TopologyInput,
  source: string,
  options: SweepOptions = {},
): Promise<SweepOutcome> {
  const runs = planSweep(spec, base, source, env.searchPath);
  const hash = specHash(spec);
  const release = lockSweep(env.stateDir, hash, spec.name);
  try {
    return await runLocked(env, store, spec, base, source, runs, hash, options);
  } finally {
    release();
  }
}

/** Runs one planned run and stores it, done or failed (an interrupt is thrown, not stored). */
async function runAndRecord(
  env: SweepEnv,
  store: Store,
  topology: Topology,
  id: string,
  run: PlannedRun,
  options: SweepOptions & { sweepId: number; environmentId: number },
): Promise<{ error: string | null; startedAt: Date; finishedAt: Date }> {
  const startedAt = new Date();
  let summary: Record<string, unknown> | null = null;
  let samples: unknown = null;
  let error: string | null = null;
  try {
    const out =
      run.kind === 'bench'
        ? await runBench(env, topology, id, run, options.signal)
        : run.kind === 'mpi'
          ? await runMpiPlanned(env, topology, id, run, options)
          : await runApp(env, topology, id, run, options);
    summary = summaryOf(out.kind, out.summary, runKey(run)) as Record<string, unknown>;
    samples = out.samples;
  } catch (e) {
    if (options.signal?.aborted) throw e;
    error = (e as Error).message;
  }
  const finishedAt = new Date();
  store.recordRun({
    sweepId: options.sweepId,
    environmentId: options.environmentId,
    key: runKey(run),
    kind: recordKind(run),
    params: { ...run },
    status: error ? 'failed' : 'done',
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    summary,
    samples,
    error,
  });
  return { error, startedAt, finishedAt };
}

async function runLocked(
  env: SweepEnv,
  store: Store,
  spec: SweepSpec,
  base: TopologyInput,
  source: string,
  runs: readonly PlannedRun[],
  hash: string,
  options: SweepOptions,
): Promise<SweepOutcome> {
  const sweepId = store.sweepFor(spec.name, hash, spec);
  const done = store.doneKeys(sweepId);
  const pending = runs.filter((r) => !done.has(runKey(r)));
  const skipped = runs.length - pending.length;
  let count = skipped;
  let failed = 0;
  options.onProgress?.({
    done: count,
    total: runs.length,
    skipped,
    run: null,
    outcome: 'starting',
    seconds: null,
    error: null,
  });
  if (pending.length === 0) return { sweepId, total: runs.length, skipped, ran: 0, failed };
  const environmentId = store.addEnvironment(await captureEnvironment(env.runner, env.searchPath));
  for (const { datapath, repeat } of sweepOrder(spec)) {
    const group = pending.filter(
      (r) => r.datapath === datapath && (repeat === null || r.repeat === repeat),
    );
    if (group.length === 0) continue;
    const topology = sweepTopology(spec, base, datapath, source);
    const id = sweepTestbedId(hash, datapath);
    // A testbed of this sweep left by a killed run: end the MPI jobs it left, remove it first.
    if (new TestbedState(env.stateDir, id).exists()) {
      await reapStaleJobs();
      await clean(env, { id });
    }
    await up(env, topology, id, options.signal ? { signal: options.signal } : {});
    try {
      for (const run of group) {
        if (options.signal?.aborted)
          throw new VmpathError(
            'E_EXP_FAILED',
            'the sweep was interrupted; run it again to resume',
          );
        const { error, startedAt, finishedAt } = await runAndRecord(env, store, topology, id, run, {
          ...options,
          sweepId,
          environmentId,
        });
        if (error) failed++;
        count++;
        options.onProgress?.({
          done: count,
          total: runs.length,
          skipped,
          run,
          outcome: error ? 'failed' : 'done',
          seconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
          error,
        });
      }
    } finally {
      await down(env, id);
    }
  }
  return { sweepId, total: runs.length, skipped, ran: pending.length, failed };
}
