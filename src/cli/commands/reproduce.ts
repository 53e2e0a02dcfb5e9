/**
 * `vmpath reproduce [--quick] [--out DIR]`: the study end to end on the paper preset, into
 * DIR/results.db, then its findings from the stored runs and DIR/report.html; with --cluster,
 * on real clusters (an inventory per data path) instead of testbeds.
 */
import { mkdirSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { MAX_STEPS, parseDims } from '../../apps/advect/params.js';
import { invalidField } from '../../core/errors.js';
import { parseRate } from '../../core/units.js';
import { measureKernel } from '../../experiment/calibrate.js';
import { findings, REPRODUCE_SIZES, reproduceSpec } from '../../experiment/reproduce.js';
import { parseSweep, specHash } from '../../experiment/spec.js';
import { planSweep } from '../../experiment/sweep.js';
import { evaluate } from '../../model/fit.js';
import { Store } from '../../store/db.js';
import { findExecutable } from '../../sys/tools.js';
import { preflight } from '../../testbed/preflight.js';
import type { CliContext } from '../context.js';
import { wholeNumber } from '../numbers.js';
import { checkOutputDir } from '../outputs.js';
import { clustersOf, repeated } from '../testbeds.js';
import { writeReport } from './report.js';
import { baseTopology, sweepWithProgress } from './sweep.js';

interface Flags {
  quick?: boolean;
  full?: boolean;
  repeats?: string;
  out: string;
  grid?: string;
  steps?: string;
  rate: string;
  cluster: string[];
}

/** Seconds per cell of the advection kernel alone, on 1 Mi cells (the better of two probes). */
function kernelSpeed(): number {
  const probe = () => evaluate(measureKernel().step, 2 ** 20) / 2 ** 20;
  return Math.min(probe(), probe());
}

export function reproduceCommand(program: Command, ctx: CliContext): void {
  program
    .command('reproduce')
    .description(
      'the study end to end on the paper preset: micro-benchmarks, advection placements and scaling, findings (needs root)',
    )
    .option('--quick', 'a smaller grid and shorter benchmarks (within 2 minutes here)')
    .option('--full', "the study's size: 512^3 grid, 512 steps, three decompositions (hours)")
    .option('--repeats <n>', 'repeats of every run, in rotating order (default 5; --quick 3)')
    .option('--out <dir>', 'where results.db and report.html go', 'vmpath-results')
    .option('--grid <XxYxZ>', 'the advection grid (the study: 512x512x512)')
    .option('--steps <T>', 'time steps (the study: 512)')
    .option('--rate <mbit>', 'shape every uplink to this rate (0: unshaped, the default here)', '0')
    .option(
      '--cluster <file>',
      'on real clusters instead: an inventory per data path, native, bridged and iov (repeat it)',
      repeated,
      [] as string[],
    )
    .action((flags: Flags) => reproduceAction(ctx, flags));
}

/** `vmpath reproduce`: everything checked, then the sweep, the claims and the report. */
async function reproduceAction(ctx: CliContext, flags: Flags): Promise<void> {
  if (flags.quick && flags.full)
    throw invalidField('E_CLI_USAGE', '--full', true, 'one of --quick or --full, not both');
  const base = flags.quick
    ? REPRODUCE_SIZES.quick
    : flags.full
      ? REPRODUCE_SIZES.full
      : REPRODUCE_SIZES.default;
  const repeats =
    flags.repeats === undefined
      ? base.repeats
      : wholeNumber(flags.repeats, '--repeats', 1, 'E_CLI_USAGE', 100);
  const grid = flags.grid ?? base.grid;
  parseDims(grid, '--grid');
  const steps =
    flags.steps === undefined
      ? base.steps
      : wholeNumber(flags.steps, '--steps', 1, 'E_CLI_USAGE', MAX_STEPS);
  const clusters = clustersOf(ctx, flags.cluster);
  let rate = parseRate(flags.rate, '--rate', 'unshaped');
  if (clusters.size && rate !== 0)
    throw invalidField(
      'E_CLI_USAGE',
      '--rate',
      flags.rate,
      "0 with --cluster (a cluster's links are what they are: declare their rate as hosts[].uplink.rateMbit in the inventory)",
    );
  if (clusters.size) rate = [...clusters.values()][0]?.topology.hosts[0]?.uplink.rateMbit ?? 0;
  const spec = parseSweep(
    reproduceSpec({ ...base, grid, steps, repeats }, rate, {
      iperf3: findExecutable('iperf3', ctx.searchPath) !== null,
      openmpi: ['mpicc', 'mpirun'].every((t) => findExecutable(t, ctx.searchPath) !== null),
    }),
    'reproduce',
  );
  // Everything is checked before anything is made: rights and tools, the runs (their
  // testbeds, their memory), the output folder.
  if (!clusters.size) preflight([], ctx.searchPath, 'vmpath reproduce');
  const { base: topology, source } = baseTopology(spec, null);
  const on = clusters.size ? clusters : undefined;
  planSweep(spec, topology, source, ctx.searchPath, totalmem(), on);
  const out = checkOutputDir(flags.out, '--out');
  mkdirSync(out, { recursive: true });
  const file = join(flags.out, 'results.db');
  const store = Store.open(file);
  try {
    const begin = Date.now();
    // The machine's speed before and after (the kernel alone on 1 Mi cells, as the model
    // bench probes it): a machine that slowed down while it ran weakens every verdict.
    const before = kernelSpeed();
    const outcome = await sweepWithProgress(ctx, store, spec, null, on);
    // The kernel frees the last testbed's namespaces for a moment after it is removed.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = kernelSpeed();
    const drift = after / before - 1;
    const runs = store.runs({ sweepId: outcome.sweepId });
    const html = join(flags.out, 'report.html');
    const report = await writeReport(store, html, outcome.sweepId);
    ctx.out(
      [
        `vmpath reproduce: ${outcome.total} runs (${outcome.skipped} already done, ${outcome.failed} failed) in ${((Date.now() - begin) / 1000).toFixed(0)} s; grid ${grid}, ${steps} steps; results in ${file} (sweep ${outcome.sweepId}, spec ${specHash(spec)})`,
        `  machine: the kernel alone ${(before * 1e9).toFixed(2)} ns a cell before, ${(after * 1e9).toFixed(2)} after (${drift >= 0 ? '+' : ''}${(drift * 100).toFixed(0)}%)${Math.abs(drift) > 0.2 ? '; the machine changed speed while it ran: repeat on a quieter machine before trusting the verdicts' : ''}`,
        ...findings(runs, rate).map((line) => `  ${line}`),
        `report: ${html} (${report.charts.length} charts, ${report.view.tables.length} tables)`,
      ].join('\n'),
    );
    if (outcome.failed > 0) process.exitCode = 1;
  } finally {
    store.close();
  }
}
