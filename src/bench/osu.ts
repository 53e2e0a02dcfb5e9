/**
 * OSU-style point-to-point curves between two testbed nodes, on either engine:
 *   vmpath:  src/bench/osu-rank.ts as a 2-rank vmpath job (rank 0 in vm a, rank 1 in vm b)
 *   openmpi: apps/osu-c/osu.c built with mpicc, started by mpirun across the two namespaces
 *            (Open MPI's TCP BTL between vms, vader between ranks of one host)
 * Both sweep the same sizes with the same iteration counts and print one JSON line per size;
 * latency is half the round trip in microseconds, bw is MiB/s with a window of 64 messages.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Launcher } from '../cluster/launcher.js';
import type { Target } from '../cluster/target.js';
import { VmpathError } from '../core/errors.js';
import { type LaunchOptions, launch } from '../runtime/launcher.js';
import { buildWithMpicc, mpirunAcross, requireOpenMpi } from '../runtime/openmpi.js';
import { clusterJobMpirun } from '../runtime/openmpi-cluster.js';
import type { CommandRunner } from '../sys/runner.js';
import type { TestbedNode } from '../testbed/nodes.js';
import type { Topology } from '../topology/types.js';

export const OSU_TESTS = ['latency', 'bw'] as const;
export type OsuTest = (typeof OSU_TESTS)[number];
export type OsuEngine = 'vmpath' | 'openmpi';

/** One size's figure: microseconds (latency) or MiB/s (bw). */
export interface OsuPoint {
  readonly bytes: number;
  readonly value: number;
}

/** The sizes both engines sweep by default: 8 B to 4 MiB, doubling. */
export const OSU_SIZES = [8, 4 << 20] as const;

export interface OsuEnv {
  readonly runner: CommandRunner;
  readonly execPath: string;
  readonly searchPath: string | undefined;
}

const RANK = fileURLToPath(new URL('./osu-rank.js', import.meta.url));
const TWIN = fileURLToPath(new URL('../../../apps/osu-c/osu.c', import.meta.url));
const TIMEOUT_MS = 300_000;

/** The points of an engine's output (one JSON line per size; other lines ignored). */
export function parseOsuPoints(stdout: string): OsuPoint[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      const { bytes, value } = JSON.parse(line) as OsuPoint;
      return { bytes, value };
    });
}

/** The value at `bytes`, or NaN. */
export function valueAt(points: readonly OsuPoint[], bytes: number): number {
  return points.find((p) => p.bytes === bytes)?.value ?? Number.NaN;
}

/** Builds the C twin (needs Open MPI; an input error naming `field` otherwise). */
export async function buildOsuTwin(
  env: OsuEnv,
  field = '--tool',
): Promise<{ program: string; remove: () => void }> {
  requireOpenMpi(env.searchPath, field, 'openmpi');
  return buildWithMpicc(env.runner, TWIN, 'osu', ['-O2']);
}

/** The C twin under mpirun: rank 0 in `a`'s namespace, rank 1 in `b`'s (or the same), over
 * Open MPI's `btl`: tcp, or vader (shared memory, which also works between namespaces of one
 * machine: the twin of the shm data path). */
export async function openMpiOsu(
  env: OsuEnv,
  program: string,
  a: TestbedNode,
  b: TestbedNode,
  btl: 'tcp' | 'vader',
  test: OsuTest,
  sizes: readonly [number, number] = OSU_SIZES,
  signal?: AbortSignal,
  via?: Target,
): Promise<OsuPoint[]> {
  const args = [program, test, String(sizes[0]), String(sizes[1])];
  let start: { argv: string[]; env?: Record<string, string>; unstage?: () => Promise<void> };
  if (via?.kind === 'cluster') {
    // A cluster: Open MPI's own launch, the program copied to the two nodes first.
    const job = await clusterJobMpirun(env.runner, via, [a, b], dirname(program), [program], {
      btl,
    });
    start = { argv: ['mpirun', ...job.args, ...args], env: job.env, unstage: job.unstage };
  } else start = { argv: mpirunAcross([a.netns, b.netns], args, btl) };
  const result = await env.runner.run(
    { argv: start.argv, description: `Open MPI osu ${test} (${btl})` },
    {
      timeoutMs: TIMEOUT_MS,
      ...(signal ? { signal } : {}),
      ...(start.env ? { env: start.env } : {}),
    },
  );
  return parseOsuPoints(result.stdout);
}

/** The runtime's twin as a 2-rank job: rank 0 in vm `a`, rank 1 in vm `b`. */
export async function vmpathOsu(
  env: OsuEnv,
  testbed: { readonly topology: Topology; readonly id: string; readonly launcher?: Launcher },
  a: string,
  b: string,
  test: OsuTest,
  sizes: readonly [number, number] = OSU_SIZES,
  signal?: AbortSignal,
): Promise<OsuPoint[]> {
  const out = await runtimeJobOutput(
    env,
    {
      topology: testbed.topology,
      id: testbed.id,
      ...(testbed.launcher ? { launcher: testbed.launcher } : {}),
      placement: [
        { rank: 0, vm: a },
        { rank: 1, vm: b },
      ],
      argv: [env.execPath, RANK, test, String(sizes[0]), String(sizes[1])],
      timeoutMs: TIMEOUT_MS,
      ...(signal ? { signal } : {}),
    },
    `vmpath osu ${test}`,
  );
  return parseOsuPoints(out);
}

/** A runtime job of a bench twin: its ranks' standard output (each line without its `[rank] `
 * prefix), or an error saying `what` failed, with the ranks' standard error and the launcher's
 * notices. */
export async function runtimeJobOutput(
  env: Pick<OsuEnv, 'runner'>,
  options: Omit<LaunchOptions, 'onLine' | 'onNotice'>,
  what: string,
): Promise<string> {
  let out = '';
  let err = '';
  const result = await launch(env.runner, {
    ...options,
    onLine: (line, stream) => {
      if (stream === 'out') out += `${line.replace(/^\[\d+\] /, '')}\n`;
      else err += `${line}\n`;
    },
    onNotice: (text) => {
      err += `${text}\n`;
    },
  });
  if (result.exitCode !== 0)
    throw new VmpathError(
      'E_BENCH_FAILED',
      `${what} failed: ${result.failure}\n${err.slice(-4000)}`,
    );
  return out;
}
