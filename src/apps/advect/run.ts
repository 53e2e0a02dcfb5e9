/**
 * Running the advection application: serially in this process, or as a job of ranks (this
 * machine's processes, or a testbed's vms per a placement) on either engine:
 *   vmpath:  src/apps/advect/rank.ts on the vmpath runtime, started by the launcher
 *   openmpi: the C twin (apps/advect-c/advect.c) built with mpicc and started by mpirun; on a
 *            testbed, mpirun runs in rank 0's namespace and starts each rank in its own through
 *            `ip netns exec` (MPMD), with Open MPI's TCP BTL on the testbed subnet; on a
 *            cluster, Open MPI's own launch (runtime/openmpi-cluster.ts).
 * Rank 0's result line is parsed into an AdvectResult.
 */
import { totalmem } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Target } from '../../cluster/target.js';
import { TIMEOUT_EXIT_CODE, VmpathError } from '../../core/errors.js';
import { launch, type MatrixEntry, type RankSlot } from '../../runtime/launcher.js';
import {
  buildWithMpicc,
  mpirunAcross,
  mpirunLocal,
  requireOpenMpi,
} from '../../runtime/openmpi.js';
import { clusterJobMpirun } from '../../runtime/openmpi-cluster.js';
import type { CommandRunner } from '../../sys/runner.js';
import { findNode } from '../../testbed/nodes.js';
import type { Topology } from '../../topology/types.js';
import { checkMemory } from './memory.js';
import { type AdvectParams, type Engine, paramsArgv, seriesArgv } from './params.js';
import { type AdvectResult, combine, RESULT_PREFIX } from './result.js';
import { solveBlock } from './solve.js';

export { ENGINES, type Engine } from './params.js';

export type RunTarget =
  | { readonly kind: 'serial' }
  /** Ranks as processes of this machine. */
  | { readonly kind: 'local' }
  | {
      readonly kind: 'testbed';
      readonly topology: Topology;
      readonly id: string;
      readonly placement: readonly RankSlot[];
      /** A cluster's (or a testbed's) launcher and networks; the testbed's namespaces when
       * not given. */
      readonly via?: Target;
    };

export interface RunOptions {
  readonly runner: CommandRunner;
  readonly execPath: string;
  readonly searchPath: string | undefined;
  readonly engine: Engine;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Lines the ranks print (other than the result), already prefixed with their rank. */
  readonly onLine?: (line: string, stream: 'out' | 'err') => void;
  readonly onNotice?: (text: string) => void;
  /** Variables added to every rank's environment (vmpath engine). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface RunOutcome {
  readonly result: AdvectResult;
  /** The communication matrix the vmpath runtime counted (not for serial or openmpi runs). */
  readonly matrix: readonly MatrixEntry[] | null;
}

const RANK = fileURLToPath(new URL('./rank.js', import.meta.url));
const TWIN = fileURLToPath(new URL('../../../../apps/advect-c/advect.c', import.meta.url));

/** The rank count of a problem. */
export function ranksOf(params: AdvectParams): number {
  return params.decomp[0] * params.decomp[1] * params.decomp[2];
}

/** The first `count` result lines of a job's output. */
function parseResults(stdout: string, what: string, count = 1): AdvectResult[] {
  const lines = stdout.split('\n').filter((l) => l.startsWith(RESULT_PREFIX));
  if (lines.length === 0)
    throw new VmpathError('E_APP_FAILED', `${what} ended without a result line`);
  if (lines.length < count)
    throw new VmpathError(
      'E_APP_FAILED',
      `${what} ended with ${lines.length} result line${lines.length === 1 ? '' : 's'} of ${count}`,
    );
  return lines
    .slice(0, count)
    .map((l) => JSON.parse(l.slice(RESULT_PREFIX.length)) as AdvectResult);
}

export async function runAdvect(
  params: AdvectParams,
  target: RunTarget,
  options: RunOptions,
): Promise<RunOutcome> {
  checkMemory(params, totalmem());
  if (target.kind === 'serial') {
    if (ranksOf(params) !== 1)
      throw new VmpathError(
        'E_APP_INPUT',
        `--serial: got --decomp ${params.decomp.join('x')}; allowed: 1x1x1 (a serial run is one block)`,
        { details: { field: '--decomp', value: params.decomp.join('x') } },
      );
    const control = {
      timeoutMs: options.timeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
    };
    const block = await solveBlock(params, 0, null, control);
    return { result: combine('serial', params, [block]), matrix: null };
  }
  if (target.kind === 'testbed' && target.placement.length !== ranksOf(params))
    throw new VmpathError(
      'E_APP_INPUT',
      `--decomp ${params.decomp.join('x')} needs ${ranksOf(params)} ranks; the placement has ${target.placement.length}`,
    );
  if (options.engine === 'openmpi') return runOnOpenMpi(params, target, options);
  const { results, matrix } = await runOnVmpath([params], target, options);
  return { result: results[0] as AdvectResult, matrix };
}

/** Problems of one rank count solved one after the other by one job of vmpath ranks (the
 * launch paid once): one result each, in order, and the job's communication matrix. */
export async function runAdvectSeries(
  problems: readonly AdvectParams[],
  target: Exclude<RunTarget, { kind: 'serial' }>,
  options: Omit<RunOptions, 'engine'>,
): Promise<{ results: AdvectResult[]; matrix: readonly MatrixEntry[] | null }> {
  const first = problems[0];
  if (!first || problems.some((p) => ranksOf(p) !== ranksOf(first)))
    throw new RangeError('a series is one or more problems of one rank count');
  for (const p of problems) checkMemory(p, totalmem());
  if (target.kind === 'testbed' && target.placement.length !== ranksOf(first))
    throw new RangeError(
      `the placement has ${target.placement.length} ranks, the problems ${ranksOf(first)}`,
    );
  return runOnVmpath(problems, target, options);
}

async function runOnVmpath(
  problems: readonly AdvectParams[],
  target: Exclude<RunTarget, { kind: 'serial' }>,
  options: Omit<RunOptions, 'engine'>,
): Promise<{ results: AdvectResult[]; matrix: readonly MatrixEntry[] | null }> {
  const params = problems[0] as AdvectParams;
  let out = '';
  const placement =
    target.kind === 'testbed'
      ? target.placement
      : Array.from({ length: ranksOf(params) }, (_, rank) => ({ rank, vm: 'local' }));
  const launched = await launch(options.runner, {
    topology: target.kind === 'testbed' ? target.topology : null,
    id: target.kind === 'testbed' ? target.id : 'local',
    ...(target.kind === 'testbed' && target.via ? { launcher: target.via.launcher } : {}),
    placement,
    argv: [options.execPath, RANK, ...seriesArgv(problems)],
    timeoutMs: options.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
    onLine: (line, stream) => {
      const text = line.replace(/^\[\d+\] /, '');
      if (stream === 'out' && text.startsWith(RESULT_PREFIX)) out += `${text}\n`;
      else options.onLine?.(line, stream);
    },
    onNotice: (text) => options.onNotice?.(text),
    ...(options.env ? { env: options.env } : {}),
  });
  if (launched.exitCode !== 0)
    throw new VmpathError(
      launched.exitCode === TIMEOUT_EXIT_CODE ? 'E_APP_TIMEOUT' : 'E_APP_FAILED',
      `the advection job failed: ${launched.failure}`,
      { details: { exitCode: launched.exitCode } },
    );
  return {
    results: parseResults(out, 'the advection job', problems.length),
    matrix: launched.matrix,
  };
}

/** mpirun of the C twin: on this machine, across the testbed's namespaces (MPMD), or over a
 * cluster with Open MPI's own launch (the program copied to the nodes first). */
async function twinArgv(
  target: Exclude<RunTarget, { kind: 'serial' }>,
  args: readonly string[],
  np: number,
  dir: string,
  runner: CommandRunner,
): Promise<{ argv: string[]; env?: Record<string, string>; unstage?: () => Promise<void> }> {
  if (target.kind === 'local') return { argv: mpirunLocal(np, args) };
  const nodes = target.placement.map((p) => findNode(target.topology, target.id, p.vm));
  if (target.via?.kind !== 'cluster')
    return {
      argv: mpirunAcross(
        nodes.map((n) => n.netns),
        args,
      ),
    };
  const job = await clusterJobMpirun(runner, target.via, nodes, dir, [args[0] as string]);
  return { argv: ['mpirun', ...job.args, ...args], env: job.env, unstage: job.unstage };
}

async function runOnOpenMpi(
  params: AdvectParams,
  target: Exclude<RunTarget, { kind: 'serial' }>,
  options: RunOptions,
): Promise<RunOutcome> {
  requireOpenMpi(options.searchPath, '--engine', 'openmpi');
  const { program, remove } = await buildWithMpicc(options.runner, TWIN, 'advect', [
    '-O2',
    '-ffp-contract=off',
  ]);
  let unstage: (() => Promise<void>) | undefined;
  try {
    const args = [program, ...paramsArgv(params)];
    const twin = await twinArgv(target, args, ranksOf(params), dirname(program), options.runner);
    const { argv, env } = twin;
    unstage = twin.unstage;
    let out = '';
    const started = options.runner.start(
      { argv, description: 'the advection job on Open MPI' },
      {
        ...(env ? { env } : {}),
        onStdout: (chunk) => {
          out += chunk;
        },
        onStderr: (chunk) => {
          for (const line of chunk.split('\n')) if (line) options.onLine?.(line, 'err');
        },
      },
    );
    const stop = () => started.kill('SIGTERM');
    options.signal?.addEventListener('abort', stop, { once: true });
    if (options.signal?.aborted) stop();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    const done = await started.done.finally(() => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', stop);
    });
    if (timedOut)
      throw new VmpathError(
        'E_APP_TIMEOUT',
        `the advection job on Open MPI timed out after ${options.timeoutMs / 1000} s (--timeout); it was ended`,
      );
    if (done.exitCode !== 0)
      throw new VmpathError(
        'E_APP_FAILED',
        `the advection job on Open MPI failed (mpirun exit ${done.exitCode ?? done.signal}): ${done.stderr.trim().split('\n').slice(-3).join(' | ')}`,
      );
    return { result: parseResults(out, 'mpirun')[0] as AdvectResult, matrix: null };
  } finally {
    await unstage?.();
    remove();
  }
}
