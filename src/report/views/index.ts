/**
 * The report's view models: pure functions of the stored runs, read through their kinds'
 * schemas (report/records.ts). Each part returns null when the database holds nothing for
 * it and says in `missing` what would fill it; every figure carries its spread (min to max
 * over repeats) and the number of runs it rests on.
 *
 * Parts (the study's claims, tables and figures, and what vmpath adds), one file each:
 *   claims.ts   the study's six claims, each with a verdict, shown first
 *   tables.ts   Tables 1 and 2: per-node and total stream bandwidth, vmpath and iperf3
 *   figure2.ts  execution time per data path, per placement and decomposition
 *   figure3.ts  computation / packing / communication against rank count, per data path
 *   figure4.ts  speedup of iov over bridged against the share of inter-host messages
 *   osu.ts      latency and bandwidth of the runtime and Open MPI per data path
 *   matrix.ts   the communication matrix of one run
 *   programs.ts Figures 2 and 4 for each MPI program the database has runs of
 */

import type { RunRecord, SweepRecord } from '../../store/db.js';
import { readableRuns } from '../records.js';
import { appRuns } from './apps.js';
import { type Claim, checkClaims } from './claims.js';
import { type Figure2, figure2 } from './figure2.js';
import { type Figure3, figure3 } from './figure3.js';
import { type Figure4, figure4 } from './figure4.js';
import { type MatrixView, matrixView } from './matrix.js';
import { type OsuCurvesView, osuCurves } from './osu.js';
import { type ProgramView, programViews } from './programs.js';
import { type BenchTable, benchTables } from './tables.js';

export * from './apps.js';
export * from './claims.js';
export * from './common.js';
export * from './figure2.js';
export * from './figure3.js';
export * from './figure4.js';
export * from './matrix.js';
export * from './osu.js';
export * from './programs.js';
export * from './tables.js';

export interface ReportInput {
  readonly sweeps: readonly SweepRecord[];
  readonly runs: readonly RunRecord[];
  readonly environments: readonly { readonly id: number; readonly info: Record<string, unknown> }[];
  /** Where the results came from (the database file), for the heading. */
  readonly source: string;
  readonly generatedAt: string;
}

export interface FailedRun {
  readonly key: string;
  readonly error: string;
}

export interface ReportView {
  readonly source: string;
  readonly generatedAt: string;
  readonly sweeps: readonly SweepRecord[];
  readonly environments: ReportInput['environments'];
  readonly revisions: readonly string[];
  /** The study's claims checked from these runs, when they hold study runs (stream over the
   * pairs, or 16-rank advection): shown first. */
  readonly claims: readonly Claim[] | null;
  readonly tables: readonly BenchTable[];
  readonly figure2: Figure2 | null;
  readonly figure3: Figure3 | null;
  readonly figure4: Figure4 | null;
  readonly osu: OsuCurvesView | null;
  readonly matrix: MatrixView | null;
  readonly programs: readonly ProgramView[];
  readonly failed: readonly FailedRun[];
  readonly missing: readonly string[];
  readonly runs: number;
}

/** The claims, unless the database holds none of the runs they read. */
function studyClaims(runs: Parameters<typeof checkClaims>[0]): Claim[] | null {
  const claims = checkClaims(runs);
  return claims.every((c) => c.ours === 'no runs') ? null : claims;
}

export function reportView(input: ReportInput): ReportView {
  const missing: string[] = [];
  if (input.runs.length === 0)
    missing.push(
      'the database holds no runs at all: run `vmpath sweep run SPEC --db FILE` or `vmpath reproduce`',
    );
  const { typed: runs, unreadable } = readableRuns(input.runs);
  for (const problem of unreadable)
    missing.push(`a stored run does not match its kind's schema and is left out: ${problem}`);
  const apps = appRuns(runs);
  const revisions = [
    ...new Set(
      input.environments.map((e) =>
        typeof e.info.gitRevision === 'string'
          ? `${String(e.info.vmpath)} (${e.info.gitRevision.slice(0, 12)})`
          : `${String(e.info.vmpath)} (revision unknown)`,
      ),
    ),
  ];
  const view = {
    source: input.source,
    generatedAt: input.generatedAt,
    sweeps: input.sweeps,
    environments: input.environments,
    revisions,
    claims: studyClaims(runs),
    tables: benchTables(runs, missing),
    figure2: figure2(apps, missing),
    figure3: figure3(apps, missing),
    figure4: figure4(apps, missing),
    osu: osuCurves(runs, missing),
    matrix: matrixView(runs, missing),
    programs: programViews(runs, missing),
    failed: input.runs
      .filter((r) => r.status === 'failed')
      .map((r) => ({ key: r.key, error: r.error ?? '(no message)' })),
    missing,
    runs: input.runs.length,
  };
  return view;
}
