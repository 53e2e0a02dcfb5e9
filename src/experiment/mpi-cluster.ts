/**
 * `vmpath run mpi` on a cluster: the same job as on the testbed (runs, clock, monitoring), with
 * Open MPI's own launch over the cluster's ssh or Slurm (runtime/openmpi-cluster.ts). The clock
 * library is copied to the nodes once, each run's folder is made there before the run, and the
 * files the ranks wrote into it (their clocks, their monitoring) are brought back after it.
 * The program itself must be at the same path on every node, as Open MPI requires.
 */
import { collectFiles, stageFiles } from '../cluster/stage.js';
import { mpiLauncherOf } from '../cluster/target.js';
import { VmpathError } from '../core/errors.js';
import { monitoredMpirun } from '../runtime/openmpi.js';
import { clusterMpirun, withHead } from '../runtime/openmpi-cluster.js';
import type { CommandRunner } from '../sys/runner.js';
import { findNode } from '../testbed/nodes.js';
import type { JobDir } from './mpi-job-dir.js';
import type { MpiJob } from './mpi-run.js';

export interface ClusterJob {
  before(run: string): Promise<void>;
  start(exports: readonly string[], run: string): { argv: string[]; env: Record<string, string> };
  after(run: string): Promise<void>;
}

export async function clusterJob(
  job: MpiJob,
  files: JobDir,
  runner: CommandRunner,
): Promise<ClusterJob> {
  const target = job.via;
  const launcher = target && mpiLauncherOf(target);
  if (!target || !launcher) throw new VmpathError('E_APP_INPUT', 'run mpi: not a cluster');
  const nodes = job.placement.map((p) => findNode(target.topology, target.id, p.vm));
  const networks = await withHead(nodes);
  const mpirun = clusterMpirun(launcher, nodes, files.dir, networks);
  await stageFiles(runner, target, nodes, [files.clockLibrary]);
  return {
    before: (run) => stageFiles(runner, target, nodes, [], [run]),
    start(exports, run) {
      const args = [...mpirun.args, '--tag-output', ...exports, job.program, ...job.args];
      return {
        argv: job.profile ? monitoredMpirun('mpirun', args, run) : ['mpirun', ...args],
        env: mpirun.env,
      };
    },
    after: (run) => collectFiles(runner, target, nodes, run),
  };
}
