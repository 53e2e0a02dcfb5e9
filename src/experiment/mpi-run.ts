/**
 * Running any MPI program on a testbed with Open MPI (vmpath run mpi): the job planned by
 * runtime/openmpi-job.ts is started `repeats` times; each time gives mpirun's wall time, the
 * program's own time (apps/mpi-clock: from MPI_Init's return to MPI_Finalize), the exit code and
 * the tail of each rank's output, and with `profile` the pml-monitoring matrix of that very run.
 *
 * Ending: a rank that fails ends the job (Open MPI aborts it), and the error names the rank, its
 * vm and how it ended; a timeout or an interrupt ends mpirun (SIGTERM, then SIGKILL), and then
 * every daemon and rank the agents recorded that is still there, by PID.
 */

import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Target } from '../cluster/target.js';
import { interrupted, VmpathError } from '../core/errors.js';
import { type MatrixFile, parseMonitoring } from '../model/matrix.js';
import { type Classified, classify } from '../placement/classes.js';
import type { Placed } from '../placement/patterns.js';
import { monitoredMpirun, monitoringFiles } from '../runtime/openmpi.js';
import { headArgv, type JobPlan, jobMpirunArgs, planJob } from '../runtime/openmpi-job.js';
import {
  mpirunMessage,
  programSeconds,
  rankFailure,
  Tails,
  untag,
} from '../runtime/openmpi-output.js';
import { type LineSplitter, lineSplitter } from '../sys/lines.js';
import type { CommandRunner } from '../sys/runner.js';
import { processStart } from '../sys/tools.js';
import type { Topology } from '../topology/types.js';
import { type ClusterJob, clusterJob } from './mpi-cluster.js';
import { HEAD_PIDS, type JobDir, prepare, reap, reapStaleJobs } from './mpi-job-dir.js';

/** Lines of each rank's output a result keeps. */
export const TAIL_LINES = 10;
/** How long mpirun has to end its job after SIGTERM before it is killed. */
const GRACE_MS = 3000;
/** ORTE's rsh launcher sets each agent's process group from both sides; when the agent has
 * already exec'd, the parent's call is refused, harmlessly (the child set its own), and ORTE
 * says so. Not passed on. */
const BENIGN = /plm:rsh: Warning: setpgid\(\d+,\d+\) failed in parent with errno=Permission denied/;

export { mpiCacheDir, reapStaleJobs } from './mpi-job-dir.js';

export interface MpiJob {
  readonly topology: Topology;
  readonly id: string;
  readonly placement: readonly Placed[];
  readonly program: string;
  readonly args: readonly string[];
  readonly repeats: number;
  readonly timeoutMs: number;
  readonly profile: boolean;
  readonly env: Readonly<Record<string, string>>;
  readonly oversubscribe: boolean;
  /** A cluster to run on (Open MPI's own launch over ssh or Slurm); the testbed of
   * `topology` and `id` when not given. */
  readonly via?: Target;
  /** Files vmpath made for the job (a program it built), copied to a cluster's nodes. */
  readonly copy?: readonly string[];
}

export interface MpiRunOptions {
  readonly runner: CommandRunner;
  readonly signal?: AbortSignal;
  /** Where the clock library is kept between runs (vmpath's state folder); none: built for
   * each job. */
  readonly cacheDir?: string;
  /** Each line the ranks print, prefixed `[rank] `, and mpirun's own. */
  readonly onLine?: (line: string) => void;
}

export interface MpiRepeat {
  /** mpirun's wall time: start-up, the program, tear-down. */
  readonly wallS: number;
  /** The program's own time (MPI_Init's return to the last MPI_Finalize); null when a rank
   * did not go through the clock library (a program that never called MPI_Init, or a static
   * one). */
  readonly programS: number | null;
  /** This run's matrix (with `profile`), and its message classes under the placement. */
  readonly matrix: MatrixFile | null;
  readonly classes: Classified | null;
  /** The last lines of each rank's output in this run. */
  readonly tails: readonly { rank: number; lines: string[] }[];
}

export interface MpiOutcome {
  readonly plan: JobPlan;
  readonly repeats: readonly MpiRepeat[];
  /** The last lines of each rank's output in the last run. */
  readonly tails: readonly { rank: number; lines: string[] }[];
}

/** The argv of one run. */
/** mpirun's -x options: the job's variables, the clock library preloaded, its folder. */
function exportsOf(job: MpiJob, files: JobDir, run: string): string[] {
  const preload = [files.clockLibrary, job.env.LD_PRELOAD].filter(Boolean).join(':');
  return Object.entries({
    ...job.env,
    LD_PRELOAD: preload,
    VMPATH_MPI_CLOCK_DIR: run,
  }).flatMap(([k, v]) => ['-x', `${k}=${v}`]);
}

/** The argv of one run on the testbed. */
function argvOf(job: MpiJob, plan: JobPlan, files: JobDir, run: string): string[] {
  const exports = exportsOf(job, files, run);
  // Ranks beyond this machine's cores share them: a waiting rank that spins takes a core from
  // one that has work (measured on paper, 16 ranks of wavefront: 2.6 s spinning, 0.3 s yielding).
  const crowded =
    job.placement.length > cpus().length && !('OMPI_MCA_mpi_yield_when_idle' in job.env);
  const args = [
    ...jobMpirunArgs(files, job.placement.length, job.oversubscribe, crowded),
    ...exports,
    job.program,
    ...job.args,
  ];
  return headArgv(plan, job.profile ? monitoredMpirun('mpirun', args, run) : ['mpirun', ...args]);
}

interface Ended {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly wallS: number;
  readonly mpirunText: string;
  readonly tails: Tails;
  readonly why: 'done' | 'timeout' | 'interrupt';
}

/** One mpirun, to its end (or to the timeout or interrupt that ends it). */
async function runOnce(
  job: MpiJob,
  start: { argv: string[]; env?: Record<string, string> },
  options: MpiRunOptions,
  files: JobDir,
): Promise<Ended> {
  const tails = new Tails(TAIL_LINES);
  let mpirunText = '';
  const splitters = (['out', 'err'] as const).map((stream) =>
    lineSplitter((line) => {
      const t = untag(line, stream);
      if (t.rank === null) {
        if (BENIGN.test(line)) return;
        // mpirun's own report (kept to its last 64 KiB: it names the failing rank at the end).
        if (stream === 'err') mpirunText = `${mpirunText}${line}\n`.slice(-65_536);
        options.onLine?.(line);
      } else {
        tails.add(t.rank, t.text);
        options.onLine?.(`[${t.rank}] ${t.text}`);
      }
    }),
  ) as [LineSplitter, LineSplitter];
  const began = process.hrtime.bigint();
  const started = options.runner.start(
    { argv: start.argv, description: `the MPI program ${job.program} under mpirun` },
    {
      ...(start.env ? { env: start.env } : {}),
      onStdout: (c) => splitters[0].push(c),
      onStderr: (c) => splitters[1].push(c),
      // Its lines are passed on and their tails kept: an hour of output is not.
      collect: false,
    },
  );
  if (started.pid > 0)
    appendFileSync(
      join(files.dir, HEAD_PIDS),
      `${started.pid} ${processStart(started.pid)} mpirun\n`,
    );
  let why: Ended['why'] = 'done';
  let killer: NodeJS.Timeout | undefined;
  const stop = (reason: Ended['why']) => {
    if (why !== 'done') return;
    why = reason;
    started.kill('SIGTERM');
    // Then mpirun and, by their PIDs, its daemons and ranks: a daemon that holds mpirun's
    // output open would otherwise keep the run from ending.
    killer = setTimeout(() => {
      started.kill('SIGKILL');
      void reap(files.dir);
    }, GRACE_MS);
  };
  const onAbort = () => stop('interrupt');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const timer = setTimeout(() => stop('timeout'), job.timeoutMs);
  try {
    const done = await started.done;
    for (const s of splitters) s.end();
    const wallS = Number(process.hrtime.bigint() - began) / 1e9;
    return { exitCode: done.exitCode, signal: done.signal, wallS, mpirunText, tails, why };
  } finally {
    clearTimeout(timer);
    clearTimeout(killer);
    options.signal?.removeEventListener('abort', onAbort);
    await reap(files.dir);
  }
}

/** The error of a run that did not end well. */
function failureOf(job: MpiJob, plan: JobPlan, ended: Ended, signal?: AbortSignal): VmpathError {
  if (ended.why === 'interrupt')
    return signal?.reason instanceof VmpathError ? signal.reason : interrupted('SIGINT');
  if (ended.why === 'timeout')
    return new VmpathError(
      'E_APP_TIMEOUT',
      `the MPI job timed out after ${job.timeoutMs / 1000} s (--timeout); it was ended`,
    );
  const failed = rankFailure(ended.mpirunText);
  if (!failed)
    return new VmpathError(
      'E_APP_FAILED',
      `mpirun exited ${ended.exitCode ?? ended.signal}: ${mpirunMessage(ended.mpirunText) || 'no message'}`,
      { details: { exitCode: ended.exitCode } },
    );
  const where = plan.ranks[failed.rank];
  const how = failed.aborted
    ? `called MPI_Abort with error code ${failed.exitCode}`
    : failed.signal !== null
      ? `was killed by signal ${failed.signal}${failed.signalName ? ` (${failed.signalName})` : ''}`
      : `exited with code ${failed.exitCode}`;
  const last = ended.tails.of(failed.rank).slice(-3);
  return new VmpathError(
    'E_APP_FAILED',
    `rank ${failed.rank} on vm ${where?.vm ?? '?'} (host ${where?.host ?? '?'}) ${how}; Open MPI ended the job${last.length ? `; its last lines: ${last.join(' | ')}` : ''}`,
    {
      details: {
        rank: failed.rank,
        vm: where?.vm,
        exitCode: failed.exitCode,
        signal: failed.signal,
      },
    },
  );
}

function readMatrix(run: string): MatrixFile | null {
  const files = monitoringFiles(readdirSync(run)).map(({ rank, name }) => ({
    rank,
    text: readFileSync(join(run, name), 'utf8'),
  }));
  return files.length ? parseMonitoring(files) : null;
}

function readClock(run: string, ranks: number): number | null {
  const files = readdirSync(run)
    .filter((n) => /^clock\.\d+$/.test(n))
    .map((n) => readFileSync(join(run, n), 'utf8'));
  return programSeconds(files, ranks);
}

/** Runs the job `repeats` times; the first failure ends it. */
export async function runMpi(job: MpiJob, options: MpiRunOptions): Promise<MpiOutcome> {
  const plan = planJob(job.topology, job.id, job.placement);
  await reapStaleJobs();
  const files = await prepare(options.runner, plan, options.cacheDir);
  let cluster: ClusterJob | null = null;
  try {
    cluster =
      job.via?.kind === 'cluster' ? await clusterJob(job, job.via, files, options.runner) : null;
    const repeats: MpiRepeat[] = [];
    for (let r = 0; r < job.repeats; r++) {
      const run = join(files.dir, `run${r}`);
      mkdirSync(run, { mode: 0o755 });
      await cluster?.before(run);
      const start = cluster
        ? cluster.start(exportsOf(job, files, run), run)
        : { argv: argvOf(job, plan, files, run) };
      const ended = await runOnce(job, start, options, files);
      if (ended.why !== 'done' || ended.exitCode !== 0)
        throw failureOf(job, plan, ended, options.signal);
      await cluster?.after(run);
      const matrix = job.profile ? readMatrix(run) : null;
      repeats.push({
        wallS: ended.wallS,
        programS: readClock(run, plan.ranks.length),
        matrix,
        classes: matrix ? classify(job.placement, matrix.matrix) : null,
        tails: plan.ranks.map((p) => ({ rank: p.rank, lines: ended.tails.of(p.rank) })),
      });
    }
    return { plan, repeats, tails: repeats.at(-1)?.tails ?? [] };
  } finally {
    await reap(files.dir);
    await cluster?.end();
    rmSync(files.dir, { recursive: true, force: true });
  }
}
