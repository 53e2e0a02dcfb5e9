/**
 * `vmpath sweep run SPEC --db FILE` and `vmpath results list|show|export --db FILE`.
 */

import { totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { Target } from '../../cluster/target.js';
import { invalidField } from '../../core/errors.js';
import { parseSweep, runKey, type SweepSpec } from '../../experiment/spec.js';
import {
  planSweep,
  runSweep,
  type SweepOutcome,
  type SweepProgress,
} from '../../experiment/sweep.js';
import { readRun, type TypedRun } from '../../report/records.js';
import type { RunRecord, Store } from '../../store/db.js';
import { preflight } from '../../testbed/preflight.js';
import { presetSpec } from '../../topology/presets.js';
import type { TopologyInput } from '../../topology/schema.js';
import type { Datapath } from '../../topology/types.js';
import type { CliContext } from '../context.js';
import { interruptible } from '../interrupt.js';
import { readSpecFile } from '../load.js';
import { openDb, runOf, sweepOf } from '../store-options.js';
import { formatTable } from '../table.js';
import { clustersOf, repeated } from '../testbeds.js';

/** The topology a spec names: a preset, or a file next to the spec. */
export function baseTopology(
  spec: SweepSpec,
  specFile: string | null,
): { base: TopologyInput; source: string } {
  if (typeof spec.topology === 'string')
    return { base: presetSpec(spec.topology), source: `preset ${spec.topology}` };
  const file = specFile ? resolve(dirname(specFile), spec.topology.file) : spec.topology.file;
  return { base: readSpecFile(file) as TopologyInput, source: file };
}

/** Runs a sweep with a progress bar (or a line per run when stderr is not a terminal). */
export async function sweepWithProgress(
  ctx: CliContext,
  store: Store,
  spec: SweepSpec,
  specFile: string | null,
  clusters?: ReadonlyMap<Datapath, Target>,
): Promise<SweepOutcome> {
  const { base, source } = baseTopology(spec, specFile);
  const tty = process.stderr.isTTY === true;
  const bar = tty
    ? new cliProgress.SingleBar(
        {
          format: 'sweep {bar} {value}/{total} runs | ETA {eta_formatted} | {label}',
          stream: process.stderr,
          etaBuffer: 5,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  const label = (p: SweepProgress) => (p.run ? runKey(p.run) : '');
  const onProgress = (p: SweepProgress) => {
    if (p.outcome === 'starting') {
      bar?.start(p.total, p.done, { label: p.skipped ? `${p.skipped} already done` : '' });
      if (!bar) ctx.err(`sweep ${spec.name}: ${p.total} runs, ${p.skipped} already done`);
      return;
    }
    const what = `${label(p)} ${p.outcome} in ${p.seconds?.toFixed(1)} s${p.error ? `: ${p.error}` : ''}`;
    if (bar) bar.update(p.done, { label: what });
    else ctx.err(`[${p.done}/${p.total}] ${what}`);
  };
  try {
    return await interruptible((signal) =>
      runSweep(ctx, store, spec, base, source, {
        ...(clusters?.size ? { clusters } : {}),
        signal,
        onProgress,
        onLine: (line) => (bar ? undefined : ctx.err(line)),
      }),
    );
  } finally {
    bar?.stop();
  }
}

const fixed = (v: number | null, digits: number) => (v === null ? '-' : v.toFixed(digits));

/** A run's headline figure, by its kind. */
function figureOf(r: TypedRun): string {
  if (r.summary === null) return r.error ?? '';
  switch (r.kind) {
    case 'bench':
      return `${r.summary.total.toFixed(1)} ${r.summary.unit}`;
    case 'osu':
      return `${fixed(r.summary.latency8Us, 1)} us at 8 B, ${fixed(r.summary.bw1MiBps, 0)} MiB/s at 1 MiB`;
    case 'advect':
      return `${r.summary.wallS.toFixed(3)} s wall, ${r.summary.commS.toFixed(3)} s comm`;
    case 'mpi':
      return `${r.params.name}: ${r.summary.wallS.toFixed(3)} s wall, ${fixed(r.summary.programS, 3)} s program`;
    case 'calibration':
      return `calibration of ${r.summary.datapath}`;
  }
}

function row(r: RunRecord): (string | number)[] {
  const { run, problem } = readRun(r);
  const figure = problem ?? figureOf(run as TypedRun);
  return [r.id, r.sweepId, r.key, r.status, figure];
}

/** Flat rows of runs for CSV: parameters and summary numbers side by side. */
export function flatRuns(runs: readonly (TypedRun | RunRecord)[]): Record<string, unknown>[] {
  return runs.map((r) => {
    const flat: Record<string, unknown> = {
      id: r.id,
      sweep: r.sweepId,
      key: r.key,
      status: r.status,
      started_at: r.startedAt,
      finished_at: r.finishedAt,
      error: r.error ?? '',
    };
    for (const [k, v] of Object.entries(r.params))
      flat[`param_${k}`] = Array.isArray(v) ? v.join('x') : v;
    for (const [k, v] of Object.entries(r.summary ?? {}))
      if (typeof v !== 'object' || v === null) flat[`result_${k}`] = v;
    return flat;
  });
}

function csv(rows: readonly Record<string, unknown>[]): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => {
    const text = v === undefined || v === null ? '' : String(v);
    return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join(
    '\n',
  );
}

export function sweepCommands(program: Command, ctx: CliContext): void {
  const sweep = program.command('sweep').description('experiment sweeps into a results database');
  sweepRunCommand(sweep, ctx);
  const results = program.command('results').description('what a results database holds');
  resultsListCommand(results, ctx);
  resultsShowCommand(results, ctx);
  resultsExportCommand(results, ctx);
}

function sweepRunCommand(sweep: Command, ctx: CliContext): void {
  sweep
    .command('run')
    .description(
      'run every run of a sweep spec not yet done in the database, on testbeds (needs root) or clusters',
    )
    .argument('<spec>', 'YAML or JSON sweep spec')
    .requiredOption('--db <file>', 'the results database (SQLite; created if missing)')
    .option(
      '--cluster <file>',
      'run on this inventory instead of a testbed: one per data path of the spec (repeat it)',
      repeated,
      [] as string[],
    )
    .action(async (file: string, flags: { db: string; cluster: string[] }) => {
      const spec = parseSweep(readSpecFile(file, 'sweep spec'), file);
      const { base, source } = baseTopology(spec, file);
      const clusters = clustersOf(ctx, flags.cluster);
      // bad input stops here, before the database is touched
      planSweep(
        spec,
        base,
        source,
        ctx.searchPath,
        totalmem(),
        clusters.size ? clusters : undefined,
      );
      if (!clusters.size) preflight([], ctx.searchPath, 'a sweep');
      const store = openDb(flags.db, true);
      try {
        const outcome = await sweepWithProgress(ctx, store, spec, file, clusters);
        ctx.out(
          `sweep ${spec.name}: ${outcome.total} runs; ${outcome.skipped} were already done, ${outcome.ran} ran, ${outcome.failed} failed; results in ${flags.db}`,
        );
        if (outcome.failed > 0) process.exitCode = 1;
      } finally {
        store.close();
      }
    });
}

function resultsListCommand(results: Command, ctx: CliContext): void {
  results
    .command('list')
    .description('sweeps and their runs')
    .requiredOption('--db <file>', 'the results database')
    .option('--sweep <id>', 'only this sweep')
    .option('--json', 'print JSON')
    .action((flags: { db: string; sweep?: string; json?: boolean }) => {
      const store = openDb(flags.db, false);
      try {
        const sweepId = sweepOf(store, flags.sweep);
        const runs = store.runs(sweepId === undefined ? {} : { sweepId });
        if (flags.json) {
          const sweeps = store.sweeps().filter((s) => sweepId === undefined || s.id === sweepId);
          ctx.out(JSON.stringify({ sweeps, runs }, null, 2));
          return;
        }
        const sweeps = store
          .sweeps()
          .filter((s) => sweepId === undefined || s.id === sweepId)
          .map((s) => [s.id, s.name, s.runs, s.failed, s.createdAt]);
        ctx.out(formatTable(['sweep', 'name', 'runs', 'failed', 'created'], sweeps));
        ctx.out(`\n${formatTable(['run', 'sweep', 'key', 'status', 'result'], runs.map(row))}`);
      } finally {
        store.close();
      }
    });
}

function resultsShowCommand(results: Command, ctx: CliContext): void {
  results
    .command('show')
    .description('one run: parameters, summary, environment (and raw samples with --json)')
    .argument('<run>', 'run id')
    .requiredOption('--db <file>', 'the results database')
    .option('--json', 'print JSON')
    .action((id: string, flags: { db: string; json?: boolean }) => {
      const store = openDb(flags.db, false);
      try {
        const run = runOf(store, id);
        const environment = store.environment(run.environmentId);
        if (flags.json) {
          ctx.out(JSON.stringify({ ...run, environment }, null, 2));
          return;
        }
        ctx.out(
          [
            `run ${run.id} of sweep ${run.sweepId}: ${run.key} (${run.status})`,
            `parameters: ${JSON.stringify(run.params)}`,
            run.status === 'done'
              ? `summary: ${JSON.stringify(run.summary)}`
              : `error: ${run.error}`,
            `environment: ${JSON.stringify(environment)}`,
          ].join('\n'),
        );
      } finally {
        store.close();
      }
    });
}

function resultsExportCommand(results: Command, ctx: CliContext): void {
  results
    .command('export')
    .description('every run (of one sweep, with --sweep) as CSV (one row per run) or JSON')
    .requiredOption('--db <file>', 'the results database')
    .option('--sweep <id>', 'only this sweep')
    .option('--csv', 'CSV (the default)')
    .option('--json', 'JSON, with raw samples')
    .action((flags: { db: string; sweep?: string; csv?: boolean; json?: boolean }) => {
      if (flags.csv && flags.json)
        throw invalidField('E_CLI_USAGE', '--json', true, 'one of --csv or --json');
      const store = openDb(flags.db, false);
      try {
        const sweepId = sweepOf(store, flags.sweep);
        const read = store.runs(sweepId === undefined ? {} : { sweepId }).map(readRun);
        for (const { problem } of read)
          if (problem) ctx.err(`vmpath: exported as stored (not of its kind's schema): ${problem}`);
        const runs = read.map((r) => r.run);
        ctx.out(flags.json ? JSON.stringify(runs, null, 2) : csv(flatRuns(runs)));
      } finally {
        store.close();
      }
    });
}
