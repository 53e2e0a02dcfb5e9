/**
 * `vmpath run mpi` on a cluster: the same job as on the testbed (runs, clock, monitoring), with
 * Open MPI's own launch over the cluster's ssh or Slurm (runtime/openmpi-cluster.ts). The clock
 * library (and any program vmpath built for the job, `copy`) is copied to the nodes once, each
 * run's folder is made there before the run, the files the ranks wrote into it (their clocks,
 * their monitoring) are brought back after a run that ended well, and the job's folder is
 * removed from the nodes at the end. A program of the user's must be at the same path on every
 * node, as Open MPI requires.
 */
import { collectFiles, stageFiles } from '../cluster/stage.js';
import type { Target } from '../cluster/target.js';
import { monitoredMpirun } from '../runtime/openmpi.js';
import { clusterJobMpirun } from '../runtime/openmpi-cluster.js';
import type { CommandRunner } from '../sys/runner.js';
import { findNode } from '../testbed/nodes.js';
import type { JobDir } from './mpi-job-dir.js';

/** What of an MPI job (mpi-run.ts) its cluster side reads. */
export interface ClusterMpiJob {
  readonly placement: readonly { readonly vm: string }[];
  readonly program: string;
  readonly args: readonly string[];
  readonly profile: boolean;
  readonly copy?: readonly string[];
}

export interface ClusterJob {
  before(run: string): Promise<void>;
  start(exports: readonly string[], run: string): { argv: string[]; env: Record<string, string> };
  after(run: string): Promise<void>;
  /** Removes the job's files from the nodes. */
  end(): Promise<void>;
}

export async function clusterJob(
  job: ClusterMpiJob,
  via: Target,
  files: JobDir,
  runner: CommandRunner,
): Promise<ClusterJob> {
  const nodes = job.placement.map((p) => findNode(via.topology, via.id, p.vm));
  const mpirun = await clusterJobMpirun(runner, via, nodes, files.dir, [
    files.clockLibrary,
    ...(job.copy ?? []),
  ]);
  return {
    before: (run) => stageFiles(runner, via, nodes, [], [run]),
    start(exports, run) {
      const args = [...mpirun.args, '--tag-output', ...exports, job.program, ...job.args];
      return {
        argv: job.profile ? monitoredMpirun('mpirun', args, run) : ['mpirun', ...args],
        env: mpirun.env,
      };
    },
    after: (run) => collectFiles(runner, via, nodes, run),
    // The copies' folder is the job's: its runs' folders go with it.
    end: () => mpirun.unstage(),
  };
}
