/**
 * `vmpath run advect`: the advection application, serially, as processes of this machine, or
 * on a testbed per a placement, on the vmpath runtime or on Open MPI (the C twin).
 */
import type { Command } from 'commander';
import {
  type AdvectParams,
  MAX_STEPS,
  makeParams,
  parseDims,
  parseVelocity,
} from '../../apps/advect/params.js';
import { advectTraffic } from '../../apps/advect/pattern.js';
import type { AdvectResult } from '../../apps/advect/result.js';
import { ENGINES, type Engine, type RunTarget, ranksOf, runAdvect } from '../../apps/advect/run.js';
import { invalidField } from '../../core/errors.js';
import { decimal, parseSeconds } from '../../core/units.js';
import { PATTERNS } from '../../placement/patterns.js';
import type { MatrixEntry } from '../../runtime/launcher.js';
import type { CliContext } from '../context.js';
import { interruptible } from '../interrupt.js';
import { wholeNumber } from '../numbers.js';
import { placementOf } from '../placement-options.js';
import { formatTable } from '../table.js';
import { targetOf } from '../testbeds.js';
import { summarizeTransports } from './launch.js';
import { runMpiCommand } from './run-mpi.js';

interface RunFlags {
  grid: string;
  steps: string;
  decomp: string;
  velocity?: string;
  dt?: string;
  warmup: string;
  serial?: boolean;
  id?: string;
  cluster?: string;
  placement?: string;
  rankfile?: string;
  hostfile?: string;
  engine: string;
  timeout: string;
  json?: boolean;
}

const s3 = (v: number) => v.toFixed(3);

/** The human form of a result. */
export function formatAdvect(
  result: AdvectResult,
  where: string,
  matrix: readonly MatrixEntry[] | null,
): string {
  const { params, totals } = result;
  const head = [
    `advect ${params.grid.join('x')}, ${params.steps} steps, decomposition ${params.decomp.join('x')}, ${where}, engine ${result.engine}`,
    `checksum ${result.checksum}   errors: L1 ${result.errors.l1.toExponential(4)}, max ${result.errors.max.toExponential(4)}   Courant ${params.courant.toFixed(3)}`,
    `wall ${s3(totals.wallS)} s   compute ${s3(totals.computeS.mean)}/${s3(totals.computeS.max)} s   pack ${s3(totals.packS.mean)}/${s3(totals.packS.max)} s   comm ${s3(totals.commS.mean)}/${s3(totals.commS.max)} s (mean/max over ranks)`,
    `${totals.messagesPerStep} messages and ${totals.bytesPerStep} bytes per step   ${totals.mcups.toFixed(1)} Mcell/s   largest rank resident ${(totals.maxRssBytes / 2 ** 20).toFixed(0)} MiB`,
  ];
  const rows = result.ranks.map((r) => [
    r.rank,
    r.coords.join(','),
    r.cells.join('x'),
    s3(r.computeS),
    s3(r.packS),
    s3(r.commS),
    s3(r.wallS),
    r.messagesSent,
  ]);
  const table =
    result.ranks.length > 1
      ? `\n${formatTable(['rank', 'coords', 'cells', 'compute s', 'pack s', 'comm s', 'wall s', 'sent'], rows)}`
      : '';
  const transports = matrix ? `\ntransports: ${summarizeTransports(matrix) || 'none'}` : '';
  return `${head.join('\n')}${table}${transports}`;
}

export function runCommands(program: Command, ctx: CliContext): void {
  const run = program
    .command('run')
    .description('run an application: advect, or any MPI program (mpi)');
  runAdvectCommand(run, ctx);
  runMpiCommand(run, ctx);
}

function runAdvectCommand(run: Command, ctx: CliContext): void {
  run
    .command('advect')
    .description(
      '3D upwind advection: serially (--serial), as processes of this machine, or on a testbed (--id)',
    )
    .requiredOption('--grid <XxYxZ>', 'cells per dimension, e.g. 128x128x128')
    .requiredOption('--steps <T>', 'time steps')
    .option(
      '--decomp <PxQxR>',
      'processes per dimension (their product is the rank count)',
      '1x1x1',
    )
    .option('--velocity <a,b,c>', 'velocity, each > 0', '1,1,1')
    .option('--dt <s>', 'time step (default: 0.9 of the stable limit)')
    .option('--warmup <steps>', 'untimed steps first, then again from t = 0 (both engines)', '0')
    .option('--serial', 'run in this process, one block')
    .option('--id <id>', 'testbed to run the ranks in (needs root)')
    .option('--cluster <file>', 'an inventory: run the ranks on its nodes (ssh or Slurm)')
    .option(
      '--placement <pattern>',
      `${Object.keys(PATTERNS).join(' or ')} (with --id; default block)`,
    )
    .option('--rankfile <file>', 'an Open MPI rankfile (with --id)')
    .option('--hostfile <file>', 'an Open MPI hostfile, filled by slot (with --id)')
    .option('--engine <engine>', `${ENGINES.join(' or ')}`, 'vmpath')
    .option('--timeout <s>', 'end the job after this many seconds', '3600')
    .option('--json', 'print the result as JSON')
    .action(async (flags: RunFlags) => {
      if (!(ENGINES as readonly string[]).includes(flags.engine))
        throw invalidField('E_APP_INPUT', '--engine', flags.engine, ENGINES.join(', '));
      const engine = flags.engine as Engine;
      const params = paramsOf(flags);
      const timeoutMs = parseSeconds(flags.timeout, '--timeout', 7 * 86_400);
      const { target, where } = runTargetOf(ctx, flags, engine, params);
      const outcome = await interruptible((signal) =>
        runAdvect(params, target, {
          runner: ctx.runner,
          execPath: ctx.execPath,
          searchPath: ctx.searchPath,
          engine,
          timeoutMs,
          signal,
          onLine: (line) => ctx.err(line),
          onNotice: (text) => ctx.err(`vmpath run: ${text}`),
        }),
      );
      if (flags.json)
        ctx.out(JSON.stringify({ ...outcome.result, matrix: outcome.matrix }, null, 2));
      else ctx.out(formatAdvect(outcome.result, where, outcome.matrix));
    });
}

/** The problem of the options. */
function paramsOf(flags: RunFlags): AdvectParams {
  const decomp = parseDims(flags.decomp, '--decomp');
  return makeParams({
    grid: parseDims(flags.grid, '--grid'),
    steps: wholeNumber(flags.steps, '--steps', 1, 'E_APP_INPUT', MAX_STEPS),
    decomp,
    velocity: parseVelocity(flags.velocity ?? '1,1,1'),
    ...(flags.dt !== undefined ? { dt: parseNumber(flags.dt, '--dt') } : {}),
    warmup: wholeNumber(flags.warmup, '--warmup', 0, 'E_APP_INPUT'),
  });
}

/** Where the ranks run: serially, on this machine, or in a testbed under a placement. */
function runTargetOf(
  ctx: CliContext,
  flags: RunFlags,
  engine: Engine,
  params: AdvectParams,
): { target: RunTarget; where: string } {
  let target: RunTarget;
  let where: string;
  if (flags.serial) {
    if (flags.id !== undefined || flags.cluster !== undefined)
      throw invalidField('E_APP_INPUT', '--serial', true, 'nothing with --id or --cluster');
    if (engine !== 'vmpath')
      throw invalidField('E_APP_INPUT', '--engine', engine, 'vmpath with --serial');
    target = { kind: 'serial' };
    where = 'serial';
  } else if (flags.id !== undefined || flags.cluster !== undefined) {
    const on = targetOf(ctx, flags);
    const placement = placementOf(
      on.topology,
      {
        n: String(ranksOf(params)),
        ...(flags.placement !== undefined ? { placement: flags.placement } : {}),
        ...(flags.rankfile !== undefined ? { rankfile: flags.rankfile } : {}),
        ...(flags.hostfile !== undefined ? { hostfile: flags.hostfile } : {}),
      },
      advectTraffic(params.grid, params.decomp),
    );
    target = { kind: 'testbed', topology: on.topology, id: on.id, placement, via: on };
    where = `${on.label} (${on.topology.name}, ${flags.rankfile ?? flags.hostfile ?? flags.placement ?? 'block'})`;
  } else {
    if (flags.placement !== undefined || flags.rankfile !== undefined)
      throw invalidField(
        'E_APP_INPUT',
        flags.placement !== undefined ? '--placement' : '--rankfile',
        flags.placement ?? flags.rankfile,
        'nothing without --id or --cluster',
      );
    target = { kind: 'local' };
    where = `${ranksOf(params)} processes of this machine`;
  }
  return { target, where };
}

function parseNumber(text: string, field: string): number {
  const value = decimal(text);
  if (!Number.isFinite(value) || value <= 0)
    throw invalidField('E_APP_INPUT', field, text, 'a number > 0');
  return value;
}
