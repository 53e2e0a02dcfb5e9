/**
 * Any MPI program's runs (kind mpi), one part per program and rank count: the study's Figure 2
 * (time per data path and placement) and Figure 4 (speedup of iov over bridged against the
 * share of messages that cross hosts, that share measured from each run's own matrix) drawn
 * for it. The time is the program's own (MPI_Init to MPI_Finalize) when every run has it, else
 * mpirun's wall time. Pure.
 */
import { doneRuns, type TypedRun } from '../records.js';
import type { TimedRun } from './apps.js';
import { groupBy } from './common.js';
import { type Figure2, figure2 } from './figure2.js';
import { type Figure4, figure4 } from './figure4.js';

export interface ProgramView {
  /** The program's name and arguments. */
  readonly program: string;
  readonly ranks: number;
  readonly time: 'program' | 'wall';
  readonly figure2: Figure2 | null;
  readonly figure4: Figure4 | null;
  readonly runs: number;
}

export function programViews(runs: readonly TypedRun[], missing: string[]): ProgramView[] {
  const mpi = doneRuns(runs, 'mpi');
  // One part per command (the program's path and its arguments) and rank count.
  const groups = groupBy(mpi, (r) => `${JSON.stringify(r.params.command)}\u0000${r.params.ranks}`);
  const views: ProgramView[] = [];
  for (const rs of groups.values()) {
    const { params } = rs[0] as (typeof rs)[number];
    const program = `${params.name} ${params.command.slice(1).join(' ')}`.trim();
    const ranks = String(params.ranks);
    const own = rs.every((r) => r.summary.programS !== null);
    // The figures' rows: what they read of a run, for the program's runs.
    const rows: TimedRun[] = rs.map((r) => ({
      datapath: r.params.datapath,
      ranks: r.params.ranks,
      shape: 'program',
      placement: r.params.placement,
      problem: program,
      engine: 'openmpi',
      wallS: own ? (r.summary.programS as number) : r.summary.wallS,
      share: r.summary.interHostMessageShare ?? Number.NaN,
    }));
    const local: string[] = [];
    const profiled = rows.filter((r) => Number.isFinite(r.share));
    const view: ProgramView = {
      program,
      ranks: Number(ranks),
      time: own ? 'program' : 'wall',
      figure2: figure2(rows, local, `${program} runs`),
      figure4: figure4(profiled, local, `profiled ${program} runs`),
      runs: rs.length,
    };
    missing.push(...local.map((m) => `${program} (${ranks} ranks): ${m}`));
    views.push(view);
  }
  return views;
}
