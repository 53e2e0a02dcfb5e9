/**
 * `vmpath report --db FILE -o report.html [--sweep ID]`: the stored results as one
 * self-contained HTML page (tables, charts as inline SVG, provenance). A database with nothing
 * for a part says so in the page instead of failing.
 */
import { existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { invalidField } from '../../core/errors.js';
import { makeReport, type Report } from '../../report/index.js';
import { Store } from '../../store/db.js';
import type { CliContext } from '../context.js';

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
  const partial = `${out}.${process.pid}.partial`;
  try {
    writeFileSync(partial, report.html);
    renameSync(partial, out);
  } finally {
    rmSync(partial, { force: true });
  }
  return report;
}

/** Checks that the output's folder exists and the output is not a folder. */
export function checkOutput(out: string, field: string): string {
  const file = resolve(out);
  const dir = dirname(file);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw invalidField('E_CLI_USAGE', field, out, 'a file in an existing folder');
  if (existsSync(file) && statSync(file).isDirectory())
    throw invalidField('E_CLI_USAGE', field, out, 'a file, not a folder');
  return file;
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
      let sweepId: number | undefined;
      if (flags.sweep !== undefined) {
        sweepId = Number(flags.sweep);
        if (!Number.isInteger(sweepId) || sweepId < 1)
          throw invalidField(
            'E_CLI_USAGE',
            '--sweep',
            flags.sweep,
            'a sweep id (vmpath results list)',
          );
      }
      const store = Store.open(flags.db, { create: false });
      try {
        if (sweepId !== undefined && !store.sweeps().some((s) => s.id === sweepId))
          throw invalidField(
            'E_CLI_USAGE',
            '--sweep',
            flags.sweep,
            `a sweep of ${flags.db}: ${
              store
                .sweeps()
                .map((s) => s.id)
                .join(', ') || 'it has none'
            }`,
          );
        const report = await writeReport(store, out, sweepId);
        ctx.out(
          `vmpath report: ${out} (${report.view.runs} runs, ${report.charts.length} charts, ${report.view.tables.length} tables${report.view.missing.length ? `; missing: ${report.view.missing.length} parts, listed in the report` : ''})`,
        );
      } finally {
        store.close();
      }
    });
}
