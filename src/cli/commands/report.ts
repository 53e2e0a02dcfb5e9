/**
 * `vmpath report --db FILE -o report.html [--sweep ID]`: the stored results as one
 * self-contained HTML page (tables, charts as inline SVG, provenance). A database with nothing
 * for a part says so in the page instead of failing.
 */
import { basename } from 'node:path';
import type { Command } from 'commander';
import { makeReport, type Report } from '../../report/index.js';
import type { Store } from '../../store/db.js';
import type { CliContext } from '../context.js';
import { checkOutput, writeWhole } from '../outputs.js';
import { openDb, sweepOf } from '../store-options.js';

/** Builds the report of `store` (one sweep, or all) and writes it to `out` atomically. */
export async function writeReport(store: Store, out: string, sweepId?: number): Promise<Report> {
  const sweeps = store.sweeps().filter((s) => sweepId === undefined || s.id === sweepId);
  const runs = store.runs(sweepId === undefined ? {} : { sweepId });
  const environments = [...new Set(runs.map((r) => r.environmentId))]
    .sort((a, b) => a - b)
    .flatMap((id) => {
      const info = store.environment(id);
      return info ? [{ id, info }] : [];
    });
  const report = await makeReport({
    sweeps,
    runs,
    environments,
    source: basename(store.file),
    generatedAt: new Date().toISOString(),
  });
  writeWhole(out, report.html);
  return report;
}

interface Flags {
  db: string;
  output: string;
  sweep?: string;
}

export function reportCommand(program: Command, ctx: CliContext): void {
  program
    .command('report')
    .description('turn a results database into one self-contained HTML report')
    .requiredOption('--db <file>', 'the results database')
    .requiredOption('-o, --output <file>', 'the HTML file to write')
    .option('--sweep <id>', 'only this sweep (default: every run in the database)')
    .action(async (flags: Flags) => {
      const out = checkOutput(flags.output, '--output');
      const store = openDb(flags.db, false);
      try {
        const sweepId = sweepOf(store, flags.sweep);
        const report = await writeReport(store, out, sweepId);
        ctx.out(
          `vmpath report: ${out} (${report.view.runs} runs, ${report.charts.length} charts, ${report.view.tables.length} tables${report.view.missing.length ? `; missing: ${report.view.missing.length} parts, listed in the report` : ''})`,
        );
      } finally {
        store.close();
      }
    });
}
