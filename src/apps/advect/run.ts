/**
 * Running the advection application: serially in this process, or as a job of ranks (this
 * machine's processes, or a testbed's vms per a placement) on either engine:
 *   vmpath:  src/apps/advect/rank.ts on the vmpath runtime, started by the launcher
 *   openmpi: the C twin (apps/advect-c/advect.c) built with mpicc and started by mpirun; on a
 *            testbed, mpirun runs in rank 0's namespace and starts each rank in its own through
 *            `ip netns exec` (MPMD), with Open MPI's TCP BTL on the testbed subnet.
 * Rank 0's result line is parsed into an AdvectResult.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VmpathError } from '../../core/errors.js';
import { launch, type MatrixEntry, type RankSlot } from '../../runtime/launcher.js';
import { inNetns } from '../../sys/command.js';
import type { CommandRunner } from '../../sys/runner.js';
import { findExecutable } from '../../sys/tools.js';
import { findNode } from '../../testbed/nodes.js';
import type { Topology } from '../../topology/types.js';
import { checkMemory } from './memory.js';
import { type AdvectParams, paramsArgv } from './params.js';
import { type AdvectResult, combine, RESULT_PREFIX } from './result.js';
import { solveBlock } from './solve.js';

export const ENGINES = ['vmpath', 'openmpi'] as const;
export type Engine = (typeof ENGINES)[number];

export type RunTarget =
  | { readonly kind: 'serial' }
  /** Ranks as processes of this machine. */
  | { readonly kind: 'local' }
  | {
      readonly kind: 'testbed';
      readonly topology: Topology;
      readonly id: string;
      readonly placement: readonly RankSlot[];
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
}

export interface RunOutcome {
  readonly result: AdvectResult;
  /** The communication matrix the vmpath runtime counted (not for serial or openmpi runs). */
  readonly matrix: readonly MatrixEntry[] | null;
}

const RANK = fileURLToPath(new URL('./rank.js', import.meta.url));
const TWIN = fileURLToPath(new URL('../../../../apps/advect-c/advect.c', import.meta.url));
const SUBNET = '198.18.0.0/15';

/** The rank count of a problem. */
export function ranksOf(params: AdvectParams): number {
  return params.decomp[0] * params.decomp[1] * params.decomp[2];
}

function parseResult(stdout: string, what: string): AdvectResult {
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  if (!line) throw new VmpathError('E_APP_FAILED', `${what} ended without a result line`);
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as AdvectResult;
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
    return { result: combine('serial', params, [await solveBlock(params, 0, null)]), matrix: null };
  }
  if (target.kind === 'testbed' && target.placement.length !== ranksOf(params))
    throw new VmpathError(
      'E_APP_INPUT',
      `--decomp ${params.decomp.join('x')} needs ${ranksOf(params)} ranks; the placement has ${target.placement.length}`,
    );
  return options.engine === 'vmpath'
    ? runOnVmpath(params, target, options)
    : runOnOpenMpi(params, target, options);
}

async function runOnVmpath(
  params: AdvectParams,
  target: Exclude<RunTarget, { kind: 'serial' }>,
  options: RunOptions,
): Promise<RunOutcome> {
  let out = '';
  const placement =
    target.kind === 'testbed'
      ? target.placement
      : Array.from({ length: ranksOf(params) }, (_, rank) => ({ rank, vm: 'local' }));
  const launched = await launch(options.runner, {
    topology: target.kind === 'testbed' ? target.topology : null,
    id: target.kind === 'testbed' ? target.id : 'local',
    placement,
    argv: [options.execPath, RANK, ...paramsArgv(params)],
    timeoutMs: options.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
    onLine: (line, stream) => {
      const text = line.replace(/^\[\d+\] /, '');
      if (stream === 'out' && text.startsWith(RESULT_PREFIX)) out += `${text}\n`;
      else options.onLine?.(line, stream);
    },
    onNotice: (text) => options.onNotice?.(text),
  });
  if (launched.exitCode !== 0)
    throw new VmpathError('E_APP_FAILED', `the advection job failed: ${launched.failure}`, {
      details: { exitCode: launched.exitCode },
    });
  return { result: parseResult(out, 'the advection job'), matrix: launched.matrix };
}

/** Builds the C twin with mpicc into a fresh folder; returns the program and a cleanup. */
async function buildTwin(options: RunOptions): Promise<{ program: string; remove: () => void }> {
  for (const tool of ['mpicc', 'mpirun'])
    if (!findExecutable(tool, options.searchPath))
      throw new VmpathError(
        'E_APP_NO_TOOL',
        `--engine openmpi: ${tool} is not on PATH; install Open MPI (apt-get install -y openmpi-bin libopenmpi-dev)`,
        { details: { field: '--engine', value: 'openmpi' } },
      );
  const dir = mkdtempSync(join(tmpdir(), 'vmpath-advect-c-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const program = join(dir, 'advect');
  try {
    await options.runner.run({
      argv: ['mpicc', '-O2', '-ffp-contract=off', '-o', program, TWIN],
      description: 'build the C/MPI twin of the advection application',
    });
  } catch (error) {
    remove();
    throw error;
  }
  return { program, remove };
}

async function runOnOpenMpi(
  params: AdvectParams,
  target: Exclude<RunTarget, { kind: 'serial' }>,
  options: RunOptions,
): Promise<RunOutcome> {
  const { program, remove } = await buildTwin(options);
  try {
    const args = [program, ...paramsArgv(params)];
    const common = ['mpirun', '--allow-run-as-root', '--oversubscribe'];
    let argv: string[];
    if (target.kind === 'local') {
      argv = [...common, '-np', String(ranksOf(params)), ...args];
    } else {
      // One MPMD context per rank, in rank order, each started in its vm's namespace.
      const nodes = target.placement.map((p) => findNode(target.topology, target.id, p.vm));
      const contexts = nodes.flatMap((node, i) => [
        ...(i > 0 ? [':'] : []),
        '-np',
        '1',
        ...inNetns(node.netns, args),
      ]);
      argv = inNetns((nodes[0] as (typeof nodes)[number]).netns, [
        'env',
        `PMIX_MCA_ptl_tcp_if_include=${SUBNET}`,
        ...common,
        '--mca',
        'oob_tcp_if_include',
        SUBNET,
        '--mca',
        'btl',
        'tcp,self',
        '--mca',
        'btl_tcp_if_include',
        SUBNET,
        ...contexts,
      ]);
    }
    let out = '';
    const started = options.runner.start(
      { argv, description: 'the advection job on Open MPI' },
      {
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
    const timer = setTimeout(stop, options.timeoutMs);
    const done = await started.done.finally(() => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', stop);
    });
    if (done.exitCode !== 0)
      throw new VmpathError(
        'E_APP_FAILED',
        `the advection job on Open MPI failed (mpirun exit ${done.exitCode ?? done.signal}): ${done.stderr.trim().split('\n').slice(-3).join(' | ')}`,
      );
    return { result: parseResult(out, 'mpirun'), matrix: null };
  } finally {
    remove();
  }
}
