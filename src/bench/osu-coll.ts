/**
 * OSU-style collective curves on a testbed under a placement, on either engine:
 *   vmpath:  src/bench/osu-coll-rank.ts as a vmpath job
 *   openmpi: apps/osu-c/osu-coll.c built with mpicc, run as vmpath run mpi runs any program
 *            (experiment/mpi-run.ts: each vm an Open MPI node of its own, vader between ranks
 *            of one vm, the TCP BTL between vms, Open MPI's own collective algorithms)
 * Both print one JSON line per test and size: the mean over ranks of each rank's mean time per
 * call in microseconds, and the slowest rank's.
 */
import { fileURLToPath } from 'node:url';
import { mpiCacheDir, runMpi } from '../experiment/mpi-run.js';
import type { Placed } from '../placement/patterns.js';
import { buildWithMpicc, requireOpenMpi } from '../runtime/openmpi.js';
import type { CommandRunner } from '../sys/runner.js';
import type { Topology } from '../topology/types.js';
import { runtimeJobOutput } from './osu.js';

export type { CollTest } from './osu-coll-rank.js';

export interface CollPoint {
  readonly test: string;
  readonly bytes: number;
  /** Mean over ranks, microseconds per call. */
  readonly value: number;
  /** The slowest rank's mean. */
  readonly max: number;
  /** Mean over ranks of CPU microseconds per call (user and system). */
  readonly cpu: number;
}

export interface CollEnv {
  readonly runner: CommandRunner;
  readonly execPath: string;
  readonly searchPath: string | undefined;
  readonly stateDir: string;
}

export interface CollJob {
  readonly topology: Topology;
  readonly id: string;
  readonly placement: readonly Placed[];
  /** barrier, bcast, allreduce, in the order they run. */
  readonly tests: readonly string[];
  /** Smallest and largest size in bytes (doubling; at least 8). */
  readonly sizes: readonly [number, number];
  /** Variables for every rank (the vmpath engine's VMPATH_SPIN_US, say). */
  readonly env?: Readonly<Record<string, string>>;
}

const RANK = fileURLToPath(new URL('./osu-coll-rank.js', import.meta.url));
const TWIN = fileURLToPath(new URL('../../../apps/osu-c/osu-coll.c', import.meta.url));
const TIMEOUT_MS = 600_000;

export function parseCollPoints(stdout: string): CollPoint[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      const { test, bytes, value, max, cpu } = JSON.parse(line) as CollPoint;
      return { test, bytes, value, max, cpu };
    });
}

/** Builds the C twin (needs Open MPI). */
export function buildCollTwin(env: CollEnv): Promise<{ program: string; remove: () => void }> {
  requireOpenMpi(env.searchPath, '--tool', 'openmpi');
  return buildWithMpicc(env.runner, TWIN, 'osu-coll', ['-O2']);
}

const argsOf = (job: CollJob) => [job.tests.join(','), String(job.sizes[0]), String(job.sizes[1])];

export async function vmpathColl(
  env: CollEnv,
  job: CollJob,
  signal?: AbortSignal,
): Promise<CollPoint[]> {
  const out = await runtimeJobOutput(
    env,
    {
      topology: job.topology,
      id: job.id,
      placement: job.placement.map(({ rank, vm }) => ({ rank, vm })),
      argv: [env.execPath, RANK, ...argsOf(job)],
      timeoutMs: TIMEOUT_MS,
      ...(job.env ? { env: job.env } : {}),
      ...(signal ? { signal } : {}),
    },
    'vmpath osu-coll',
  );
  return parseCollPoints(out);
}

export async function openMpiColl(
  env: CollEnv,
  program: string,
  job: CollJob,
  signal?: AbortSignal,
): Promise<CollPoint[]> {
  let out = '';
  await runMpi(
    {
      topology: job.topology,
      id: job.id,
      placement: job.placement,
      program,
      args: argsOf(job),
      repeats: 1,
      timeoutMs: TIMEOUT_MS,
      profile: false,
      env: job.env ?? {},
      oversubscribe: false,
    },
    {
      runner: env.runner,
      cacheDir: mpiCacheDir(env.stateDir),
      ...(signal ? { signal } : {}),
      onLine: (line) => {
        if (line.startsWith('[0] {')) out += `${line.slice(4)}\n`;
      },
    },
  );
  return parseCollPoints(out);
}
