/**
 * A sweep's run of an MPI program (an `mpi:` block): one run of the program under its
 * placement on the data path's testbed (or cluster), as `vmpath run mpi` runs it, stored as a record of
 * kind mpi with its own matrix when profiled.
 */

import type { Target } from '../cluster/target.js';
import { placeFor } from '../placement/mapping.js';
import type { SummaryOf } from '../report/records.js';
import type { CommandRunner } from '../sys/runner.js';
import { samplesOfRepeat, summaryOfRepeat } from './mpi-record.js';
import { type MpiOutcome, mpiCacheDir, runMpi } from './mpi-run.js';
import type { MpiRun } from './spec.js';

/** How long one run of a program in a sweep may take. */
const SWEEP_MPI_TIMEOUT_MS = 3_600_000;

export async function runMpiPlanned(
  env: { readonly runner: CommandRunner; readonly stateDir: string },
  on: Target,
  run: MpiRun,
  options: { signal?: AbortSignal; onLine?: (line: string) => void },
): Promise<{ kind: 'mpi'; summary: SummaryOf<'mpi'>; samples: unknown }> {
  const placement = placeFor(on.topology, run.placement, run.ranks, []);
  const [program, ...args] = run.command as [string, ...string[]];
  const outcome: MpiOutcome = await runMpi(
    {
      topology: on.topology,
      id: on.id,
      via: on,
      placement,
      program,
      args,
      repeats: 1,
      timeoutMs: SWEEP_MPI_TIMEOUT_MS,
      profile: run.profile,
      env: {},
      oversubscribe: false,
    },
    {
      runner: env.runner,
      cacheDir: mpiCacheDir(env.stateDir),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onLine ? { onLine: options.onLine } : {}),
    },
  );
  const repeat = outcome.repeats[0] as MpiOutcome['repeats'][number];
  return {
    kind: 'mpi',
    summary: summaryOfRepeat(outcome, repeat),
    samples: samplesOfRepeat(outcome, repeat),
  };
}
