/**
 * Predictions for any MPI program against its runs (vmpath advise --matrix --validate --
 * PROGRAM): the chosen candidates each run `repeats` times in rotating order under `vmpath run
 * mpi`'s launch on their data path's testbed, timed by the program's own clock (MPI_Init to
 * MPI_Finalize; mpirun's wall time when the program does not pass through it). Before them, one
 * reference run of the first candidate gives the program's computation (advise.ts
 * anchoredComputation), which the predictions then include.
 */

import type { Target } from '../cluster/target.js';
import type { Candidate } from '../model/advise.js';
import type { Datapath } from '../topology/types.js';
import { type MpiRepeat, mpiCacheDir, runMpi } from './mpi-run.js';
import type { SweepEnv } from './sweep.js';
import { type Checked, measureInRotation } from './validate.js';

export interface ProgramCommand {
  readonly program: string;
  readonly args: readonly string[];
}

type Testbeds = ReadonlyMap<Datapath, Target>;

/** How long one validation run may take. */
const RUN_TIMEOUT_MS = 900_000;

const timeOf = (r: MpiRepeat) => r.programS ?? r.wallS;

/** One run of the program as candidate `c` deploys it: its time. */
export async function runCandidate(
  env: SweepEnv,
  testbeds: Testbeds,
  command: ProgramCommand,
  c: Candidate,
  signal?: AbortSignal,
): Promise<number> {
  const testbed = testbeds.get(c.datapath);
  if (!testbed) throw new Error(`no testbed for data path ${c.datapath}`);
  const outcome = await runMpi(
    {
      topology: testbed.topology,
      id: testbed.id,
      via: testbed,
      placement: c.placed,
      program: command.program,
      args: command.args,
      repeats: 1,
      timeoutMs: RUN_TIMEOUT_MS,
      profile: false,
      env: {},
      oversubscribe: false,
    },
    { runner: env.runner, cacheDir: mpiCacheDir(env.stateDir), ...(signal ? { signal } : {}) },
  );
  return timeOf(outcome.repeats[0] as MpiRepeat);
}

/** Each case run `repeats` times, rotating which goes first; errors against the medians. */
export function measureProgramCases(
  env: SweepEnv,
  testbeds: Testbeds,
  command: ProgramCommand,
  cases: readonly Candidate[],
  repeats: number,
  options: { signal?: AbortSignal; onRun?: (c: Candidate, seconds: number) => void } = {},
): Promise<Checked[]> {
  return measureInRotation(cases, repeats, options, (c) =>
    runCandidate(env, testbeds, command, c, options.signal),
  );
}
