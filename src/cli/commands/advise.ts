/**
 * `vmpath advise`: every calibrated data path and placement for one workload (the advection
 * app, or any program's communication matrix), ranked by predicted time and explained; with
 * --validate, the top candidates and the named placements run for real on fresh testbeds.
 */
import type { Command } from 'commander';
import { advectTraffic } from '../../apps/advect/pattern.js';
import { type Target, testbedTarget } from '../../cluster/target.js';
import { invalidField } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { measureCases } from '../../experiment/validate.js';
import {
  measureProgramCases,
  type ProgramCommand,
  runCandidate,
} from '../../experiment/validate-mpi.js';
import {
  type Advice,
  advise,
  anchoredComputation,
  type Candidate,
  engineOf,
  NAMED_PLACEMENTS,
  type Workload,
} from '../../model/advise.js';
import {
  type Calibration,
  checkTopology,
  hasEngine,
  PRICE_ENGINES,
  type PriceEngine,
} from '../../model/calibration.js';
import type { Calibrations } from '../../model/pool.js';
import type { AdvectApp } from '../../model/predict.js';
import { findMpiProgram, requireOpenMpi } from '../../runtime/openmpi.js';
import { down, up } from '../../testbed/lifecycle.js';
import { preflight } from '../../testbed/preflight.js';
import type { Datapath, Topology } from '../../topology/types.js';
import {
  type AppFlags,
  advectOf,
  appOption,
  decompOption,
  fitsSlots,
  gridOption,
  readMatrix,
  stepsOption,
  type TopologyFlags,
  topologyOf,
} from '../app-options.js';
import { EXAMPLE_DATAPATHS, exampleCalibrations, loadCalibrations } from '../calibrations.js';
import type { CliContext } from '../context.js';
import { formatAdvice, formatValidation, ms } from '../format-model.js';
import { interruptible } from '../interrupt.js';
import { wholeNumber } from '../numbers.js';
import { clustersOf, repeated } from '../testbeds.js';

interface Flags extends AppFlags, TopologyFlags {
  validate?: boolean;
  repeats: string;
  calibration?: string[];
  matrix?: string;
  engine?: string;
  n?: string;
  json?: boolean;
  cluster: string[];
}

export function adviseCommand(program: Command, ctx: CliContext): void {
  program
    .command('advise')
    .description('rank data paths and placements by predicted time, and explain the winner')
    .option(
      '--calibration <files...>',
      'one calibration per data path (vmpath calibrate; default: the examples of paper)',
    )
    .option('--preset <name>', "the topology (default: the calibrations')")
    .option('--topology <file>', 'a topology spec')
    .option('--rate <mbit>', "the uplinks' rate in Mbit/s (default: the calibration's)")
    .addOption(appOption())
    .addOption(gridOption())
    .addOption(stepsOption())
    .addOption(decompOption())
    .option(
      '--matrix <file>',
      'a communication matrix (vmpath profile, vmpath launch --matrix) instead of the app',
    )
    .option(
      '--engine <engine>',
      "whose messages the matrix counts: openmpi or vmpath (default: openmpi for a matrix Open MPI's monitoring made, when the calibrations measured it; else vmpath)",
    )
    .option('-n <ranks>', "ranks (default: the decomposition's, the matrix's, or 16)")
    .option(
      '--validate',
      'run the top 3 candidates and the named placements on the testbed (needs root) and report each error and the regret',
    )
    .option('--repeats <R>', 'runs per validated candidate (median)', '3')
    .option(
      '--cluster <file>',
      'with --validate: run on this inventory instead of testbeds, one per data path, each calibrated (vmpath calibrate --cluster); repeat it',
      repeated,
      [] as string[],
    )
    .option('--json', 'print JSON')
    .argument('[command...]', 'with --matrix --validate: the program and its arguments (after --)')
    .action((command: string[], raw: Flags) => adviseAction(ctx, command, raw));
}

/** `vmpath advise`: rank, explain, and with --validate run the candidates. */
async function adviseAction(ctx: CliContext, command: string[], raw: Flags): Promise<void> {
  if (raw.cluster.length && !raw.validate)
    throw invalidField(
      'E_CLI_USAGE',
      '--cluster',
      raw.cluster,
      'inventories only with --validate (they say where the candidates run)',
    );
  const flags: Flags = { ...raw, clusters: clustersOf(ctx, raw.cluster) };
  const { calibrations, base } = calibrationsOf(ctx, flags);
  const { workload, n } = workloadOf(ctx, flags, base, calibrations);
  if (command.length > 0 && !(flags.validate && workload.kind === 'matrix'))
    throw invalidField(
      'E_CLI_USAGE',
      'PROGRAM',
      command.join(' '),
      'a program only with --matrix and --validate',
    );
  const advice = advise(base, calibrations, workload, n);
  if (flags.validate) {
    const repeats = wholeNumber(flags.repeats, '--repeats');
    if (workload.kind === 'matrix') {
      const program = findMpiProgram(command[0], ctx.searchPath, 'PROGRAM');
      requireOpenMpi(ctx.searchPath, '--validate', 'needs Open MPI');
      const run = { program, args: command.slice(1) };
      ctx.out(await validateProgram(ctx, flags, calibrations, workload, advice, run, repeats));
      return;
    }
    ctx.out(await validateAdvice(ctx, flags, calibrations, workload.app, advice.ranked, repeats));
    return;
  }
  ctx.out(
    flags.json
      ? JSON.stringify(
          {
            engine: engineOf(workload),
            explanation: advice.explanation,
            pooled: advice.pooled,
            disagreement: advice.disagreement ?? null,
            ranked: advice.ranked.map(({ placed, ...c }) => c),
          },
          null,
          2,
        )
      : formatAdvice(advice, engineOf(workload)),
  );
}

/** The calibrations, one per data path (the examples of paper without --calibration), each
 * checked against the topology it is applied to; `base` is the first one's topology. */
function calibrationsOf(
  ctx: CliContext,
  flags: Flags,
): { calibrations: Calibrations; base: Topology } {
  let loaded = flags.calibration ? loadCalibrations(flags.calibration) : undefined;
  if (!loaded) {
    const examples = exampleCalibrations(EXAMPLE_DATAPATHS);
    ctx.err(`vmpath: ${examples.notice}`);
    loaded = examples.loaded;
  }
  const first = loaded[0] as { calibration: Calibration };
  const base = topologyOf(flags, first.calibration);
  const calibrations = new Map<Datapath, { calibration: Calibration; source: string }>();
  for (const c of loaded) {
    checkTopology(c.calibration, topologyOf(flags, c.calibration), c.source);
    if (calibrations.has(c.calibration.datapath))
      throw invalidField(
        'E_CLI_USAGE',
        '--calibration',
        c.source,
        `one calibration per data path (${c.calibration.datapath} twice)`,
      );
    calibrations.set(c.calibration.datapath, c);
  }
  return { calibrations, base };
}

/** The engine a matrix's messages are priced in: --engine, else Open MPI for a matrix its
 * monitoring made (when every calibration measured Open MPI; the runtime's, with a notice,
 * when one did not). */
function matrixEngine(
  ctx: CliContext,
  flags: Flags,
  origin: string | null,
  calibrations: Calibrations,
): PriceEngine {
  if (flags.engine !== undefined && !(PRICE_ENGINES as readonly string[]).includes(flags.engine))
    throw invalidField('E_CLI_USAGE', '--engine', flags.engine, PRICE_ENGINES.join(', '));
  const wanted = (flags.engine ??
    (origin !== null && /openmpi|open mpi/i.test(origin) ? 'openmpi' : 'vmpath')) as PriceEngine;
  const lacking = [...calibrations.values()].filter((c) => !hasEngine(c.calibration, wanted));
  if (lacking.length === 0) return wanted;
  if (flags.engine !== undefined)
    throw invalidField(
      'E_CLI_USAGE',
      '--engine',
      flags.engine,
      `an engine every calibration measured (${lacking.map((c) => c.source).join(', ')} has no ${wanted} part: calibrate again with Open MPI installed)`,
    );
  ctx.err(
    `vmpath: ${lacking.map((c) => c.source).join(', ')} measured no Open MPI classes: the matrix is priced on the vmpath runtime's (calibrate again with Open MPI installed)`,
  );
  return 'vmpath';
}

/** What is placed: the matrix of --matrix, else the advection app on -n ranks (default 16). */
function workloadOf(
  ctx: CliContext,
  flags: Flags,
  base: Topology,
  calibrations: Calibrations,
): { workload: Workload; n: number } {
  const asked = flags.n === undefined ? undefined : wholeNumber(flags.n, '-n');
  if (flags.matrix) {
    const m = readMatrix(flags.matrix, asked);
    const engine = matrixEngine(ctx, flags, m.origin, calibrations);
    return { workload: { kind: 'matrix', traffic: m.matrix, engine }, n: m.ranks };
  }
  if (flags.engine !== undefined)
    throw invalidField('E_CLI_USAGE', '--engine', flags.engine, 'nothing without --matrix');
  const app = advectOf(
    { ...flags, decomp: flags.decomp ?? '1x1xN' },
    asked ?? 16,
    asked !== undefined,
  );
  const n = app.decomp[0] * app.decomp[1] * app.decomp[2];
  fitsSlots(base, n, flags.decomp ? '--decomp' : '-n', flags.decomp ?? String(n));
  return {
    workload: { kind: 'advect', app, traffic: advectTraffic(app.grid, app.decomp, app.steps) },
    n,
  };
}

/** `advise --validate`: the top 3 and the named placements on each data path, run for real. */
async function validateAdvice(
  ctx: CliContext,
  flags: TopologyFlags,
  calibrations: Calibrations,
  app: AdvectApp,
  ranked: readonly Candidate[],
  repeats: number,
): Promise<string> {
  if (!flags.clusters?.size) preflight([], ctx.searchPath, 'vmpath advise --validate');
  const chosen = validatedCases(ranked);
  const checked = await interruptible((signal) =>
    withTestbeds(ctx, flags, calibrations, chosen, signal, (testbeds) =>
      measureCases({ ...ctx, execPath: process.execPath }, testbeds, app, chosen, repeats, {
        signal,
        onRun: (c, s) => ctx.err(`validate: ${c.datapath} ${c.placement}: ${ms(s)} ms`),
      }),
    ),
  );
  return formatValidation(checked);
}

/** Testbeds for the data paths of `chosen`, up while `body` runs, then down; or the
 * clusters of --cluster, as they are. */
async function withTestbeds<T>(
  ctx: CliContext,
  flags: TopologyFlags,
  calibrations: Calibrations,
  chosen: readonly Candidate[],
  signal: AbortSignal,
  body: (testbeds: Map<Datapath, Target>) => Promise<T>,
): Promise<T> {
  const testbeds = new Map<Datapath, Target>();
  const built: string[] = [];
  try {
    for (const datapath of new Set(chosen.map((c) => c.datapath))) {
      const { calibration } = calibrations.get(datapath) as { calibration: Calibration };
      const topology = topologyOf(flags, calibration);
      const cluster = flags.clusters?.get(datapath);
      if (cluster) {
        testbeds.set(datapath, cluster);
        continue;
      }
      const id = `v${newId().slice(0, 5)}`;
      built.push(id);
      await up(ctx, topology, id, { signal });
      testbeds.set(datapath, testbedTarget({ topology, id }));
    }
    return await body(testbeds);
  } finally {
    for (const id of built) await down(ctx, id);
  }
}

/** `advise --matrix --validate -- PROGRAM`: one reference run of the advisor's pick gives the
 * program's computation; the top 3 and the named placements, priced with it, then run. */
async function validateProgram(
  ctx: CliContext,
  flags: TopologyFlags,
  calibrations: Calibrations,
  workload: Extract<Workload, { kind: 'matrix' }>,
  advice: Advice,
  command: ProgramCommand,
  repeats: number,
): Promise<string> {
  if (!flags.clusters?.size) preflight([], ctx.searchPath, 'vmpath advise --validate');
  const chosen = validatedCases(advice.ranked);
  const env = { ...ctx, execPath: process.execPath };
  const { checked, reference, computeS } = await interruptible((signal) =>
    withTestbeds(ctx, flags, calibrations, chosen, signal, async (testbeds) => {
      const pick = chosen[0] as Candidate;
      const reference = await runCandidate(env, testbeds, command, pick, signal);
      const computeS = anchoredComputation(pick, reference);
      ctx.err(
        `validate: reference run ${pick.datapath} ${pick.placement}: ${ms(reference)} ms, of which computation ${ms(computeS)} ms`,
      );
      const n = workload.traffic.reduce((m, t) => Math.max(m, t.from + 1, t.to + 1), 0);
      const anchored = advise(
        topologyOf(
          flags,
          (calibrations.get(pick.datapath) as { calibration: Calibration }).calibration,
        ),
        calibrations,
        { ...workload, computeS },
        Math.max(n, pick.placed.length),
      ).ranked;
      const cases = chosen.map(
        (c) => anchored.find((a) => a.datapath === c.datapath && a.placement === c.placement) ?? c,
      );
      const checked = await measureProgramCases(env, testbeds, command, cases, repeats, {
        signal,
        onRun: (c, s) => ctx.err(`validate: ${c.datapath} ${c.placement}: ${ms(s)} ms`),
      });
      return { checked, reference, computeS };
    }),
  );
  return [
    `${command.program} ${command.args.join(' ')}: messages priced in ${workload.engine}'s measured classes; computation ${ms(computeS)} ms from a reference run of ${chosen[0]?.datapath} ${chosen[0]?.placement} (${ms(reference)} ms) minus its predicted communication`,
    formatValidation(checked, chosen[0]?.deployment),
  ].join('\n');
}

/** The cases validation runs: the top 3 and every named placement. */
function validatedCases(ranked: readonly Candidate[]): Candidate[] {
  return ranked.filter(
    (c, i) => i < 3 || (NAMED_PLACEMENTS as readonly string[]).includes(c.placement),
  );
}
