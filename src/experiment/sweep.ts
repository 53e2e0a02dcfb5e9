/**
 * Running a sweep: every run of the spec not yet done in the database, data path by data path,
 * each data path's testbed brought up once (with an id derived from the spec, so that one left
 * by a killed sweep is cleaned before resuming) and brought down at the end, on failure or on
 * interrupt. Each run is recorded when it ends, done or failed; a failed run does not stop the
 * sweep.
 */

import { totalmem } from 'node:os';
import { checkMemory } from '../apps/advect/memory.js';
import { type Target, testbedTarget } from '../cluster/target.js';
import { VmpathError } from '../core/errors.js';
import { summaryOf } from '../report/records.js';
import { findMpiProgram, requireOpenMpi } from '../runtime/openmpi.js';
import type { Store } from '../store/db.js';
import { clean, down, up } from '../testbed/lifecycle.js';
import { checkBuildable } from '../testbed/plan-up.js';
import { TestbedState } from '../testbed/state.js';
import { resolveTopology } from '../topology/resolve.js';
import type { TopologyInput } from '../topology/schema.js';
import type { Datapath, Topology } from '../topology/types.js';
import { captureEnvironment } from './environment.js';
import { lockSweep } from './lock.js';
import { reapStaleJobs } from './mpi-run.js';
import { expandSweep, type PlannedRun, runKey, type SweepSpec, specHash } from './spec.js';
import { runMpiPlanned } from './sweep-mpi.js';
import { advectParams, recordKind, runApp, runBench, type SweepEnv } from './sweep-runs.js';

export { recordKind } from './sweep-runs.js';

import { sweepOrder } from './sweep-order.js';

export type { SweepEnv } from './sweep-runs.js';

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
  /** Real clusters to run on instead of testbeds, one per data path (vmpath sweep run
   * --cluster): the runs of a data path go to its cluster, through its launcher. */
  readonly clusters?: ReadonlyMap<Datapath, Target>;
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

/** Every run of a sweep, each checked against its data path's topology (which must be one
 * `up` can build) and against this machine's memory: call it before creating anything, so
 * that bad input leaves nothing behind. */
export function planSweep(
  spec: SweepSpec,
  base: TopologyInput,
  source: string,
  searchPath: string | undefined,
  machineBytes = totalmem(),
  clusters?: ReadonlyMap<Datapath, Target>,
): PlannedRun[] {
  if (spec.mpi !== undefined) requireOpenMpi(searchPath, 'mpi', 'needs Open MPI');
  const resolve = (name: string, field: string) =>
    findMpiProgram(name, searchPath, field, 'E_EXP_SPEC');
  return spec.datapaths.flatMap((dp) => {
    const cluster = clusters?.get(dp);
    if (clusters && !cluster)
      throw new VmpathError(
        'E_EXP_SPEC',
        `datapaths: got ${dp}; allowed: the data paths of the --cluster inventories (${[...clusters.keys()].join(', ')})`,
        { details: { field: 'datapaths', value: dp } },
      );
    const topology = cluster?.topology ?? sweepTopology(spec, base, dp, source);
    if (!cluster) checkBuildable(topology);
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

export async function runSweep(
  env: SweepEnv,
  store: Store,
  spec: SweepSpec,
  base: TopologyInput,
  source: string,
  options: SweepOptions = {},
): Promise<SweepOutcome> {
  const runs = planSweep(spec, base, source, env.searchPath, totalmem(), options.clusters);
  // A sweep on clusters is another sweep than on testbeds: its runs are stored apart.
  const on = options.clusters
    ? [...options.clusters.values()].map((c) => `${c.id} ${JSON.stringify(c.topology)}`)
    : [];
  const hash = on.length
    ? specHash({ ...spec, name: `${spec.name} on ${on.join(', ')}` })
    : specHash(spec);
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
  on: Target,
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
        ? await runBench(env, on, run, options.signal)
        : run.kind === 'mpi'
          ? await runMpiPlanned(env, on, run, options)
          : await runApp(env, on, run, options);
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
    const cluster = options.clusters?.get(datapath);
    const topology = cluster?.topology ?? sweepTopology(spec, base, datapath, source);
    const id = cluster?.id ?? sweepTestbedId(hash, datapath);
    if (!cluster) await buildFresh(env, topology, id, options.signal);
    const on = cluster ?? testbedTarget({ id, topology });
    try {
      for (const run of group) {
        if (options.signal?.aborted)
          throw new VmpathError(
            'E_EXP_FAILED',
            'the sweep was interrupted; run it again to resume',
          );
        const { error, startedAt, finishedAt } = await runAndRecord(env, store, on, run, {
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
      if (!cluster) await down(env, id);
    }
  }
  return { sweepId, total: runs.length, skipped, ran: pending.length, failed };
}

/** Brings up the testbed `id`, removing first one a killed run of this sweep left (and the
 * MPI jobs it left). */
async function buildFresh(
  env: SweepEnv,
  topology: Topology,
  id: string,
  signal?: AbortSignal,
): Promise<void> {
  if (new TestbedState(env.stateDir, id).exists()) {
    await reapStaleJobs();
    await clean(env, { id });
  }
  await up(env, topology, id, signal ? { signal } : {});
}
