/**
 * `vmpath advise`: every calibrated data path and placement for one workload (the advection
 * app, or any program's communication matrix), ranked by predicted time and explained; with
 * --validate, the top candidates and the named placements run for real on fresh testbeds.
 */
import type { Command } from 'commander';
import { advectTraffic } from '../../apps/advect/pattern.js';
import { invalidField } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { measureCases } from '../../experiment/validate.js';
import { advise, type Candidate, NAMED_PLACEMENTS, type Workload } from '../../model/advise.js';
import { type Calibration, checkTopology } from '../../model/calibration.js';
import type { Calibrations } from '../../model/pool.js';
import type { AdvectApp } from '../../model/predict.js';
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

interface Flags extends AppFlags, TopologyFlags {
  validate?: boolean;
  repeats: string;
  calibration?: string[];
  matrix?: string;
  n?: string;
  json?: boolean;
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
    .option('-n <ranks>', "ranks (default: the decomposition's, the matrix's, or 16)")
    .option(
      '--validate',
      'run the top 3 candidates and the named placements on the testbed (needs root) and report each error and the regret',
    )
    .option('--repeats <R>', 'runs per validated candidate (median)', '3')
    .option('--json', 'print JSON')
    .action(async (flags: Flags) => {
      const { calibrations, base } = calibrationsOf(ctx, flags);
      const { workload, n } = workloadOf(flags, base);
      const advice = advise(base, calibrations, workload, n);
      if (flags.validate) {
        if (workload.kind !== 'advect')
          throw invalidField(
            'E_CLI_USAGE',
            '--validate',
            flags.matrix,
            'with --app advect (a matrix is not a program vmpath can run)',
          );
        const repeats = wholeNumber(flags.repeats, '--repeats');
        ctx.out(
          await validateAdvice(ctx, flags, calibrations, workload.app, advice.ranked, repeats),
        );
        return;
      }
      ctx.out(
        flags.json
          ? JSON.stringify(
              {
                explanation: advice.explanation,
                pooled: advice.pooled,
                disagreement: advice.disagreement ?? null,
                ranked: advice.ranked.map(({ placed, ...c }) => c),
              },
              null,
              2,
            )
          : formatAdvice(advice),
      );
    });
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

/** What is placed: the matrix of --matrix, else the advection app on -n ranks (default 16). */
function workloadOf(flags: Flags, base: Topology): { workload: Workload; n: number } {
  const asked = flags.n === undefined ? undefined : wholeNumber(flags.n, '-n');
  if (flags.matrix) {
    const m = readMatrix(flags.matrix, asked);
    return { workload: { kind: 'matrix', traffic: m.matrix }, n: m.ranks };
  }
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
  preflight([], ctx.searchPath, 'vmpath advise --validate');
  const chosen = ranked.filter(
    (c, i) => i < 3 || (NAMED_PLACEMENTS as readonly string[]).includes(c.placement),
  );
  const testbeds = new Map<Datapath, { topology: Topology; id: string }>();
  const checked = await interruptible(async (signal) => {
    try {
      for (const datapath of new Set(chosen.map((c) => c.datapath))) {
        const { calibration } = calibrations.get(datapath) as { calibration: Calibration };
        const topology = topologyOf(flags, calibration);
        const id = `v${newId().slice(0, 5)}`;
        await up(ctx, topology, id, { signal });
        testbeds.set(datapath, { topology, id });
      }
      return await measureCases(
        { ...ctx, execPath: process.execPath },
        testbeds,
        app,
        chosen,
        repeats,
        {
          signal,
          onRun: (c, s) => ctx.err(`validate: ${c.datapath} ${c.placement}: ${ms(s)} ms`),
        },
      );
    } finally {
      for (const { id } of testbeds.values()) await down(ctx, id);
    }
  });
  return formatValidation(checked);
}
