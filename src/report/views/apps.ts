/** The advection runs as the figures read them: one row per run. Pure. */
import { doneRuns, type TypedRun } from '../records.js';
import { groupBy } from './common.js';

/** What Figures 2 and 4 read of a run: any program's, timed under a data path and placement. */
export interface TimedRun {
  readonly datapath: string;
  readonly ranks: number;
  /** The decomposition with the rank count written as N where it is one dimension: 1x1xN
   * (for a program that is not the advection app, a name for its one shape). */
  readonly shape: string;
  readonly placement: string;
  readonly problem: string;
  readonly engine: string;
  readonly wallS: number;
  /** Share of the messages that cross hosts, 0..1 (NaN: not known). */
  readonly share: number;
}

/** An advection run, which Figure 3 also splits into its parts. */
export interface AppRun extends TimedRun {
  readonly decomp: string;
  readonly computeS: number;
  readonly packS: number;
  readonly commS: number;
}

export function appRuns(runs: readonly TypedRun[]): AppRun[] {
  return doneRuns(runs, 'advect').map((r) => {
    const ranks = r.params.ranks;
    const decomp = r.params.decomp.join('x');
    const parts = decomp.split('x');
    const shape =
      parts.filter((p) => p === String(ranks)).length === 1 && ranks > 1
        ? parts.map((p) => (p === String(ranks) ? 'N' : p)).join('x')
        : decomp;
    return {
      datapath: r.params.datapath,
      ranks,
      decomp,
      shape,
      placement: r.params.placement,
      problem: `${r.params.grid.join('x')} x ${r.params.steps} steps`,
      engine: r.params.engine,
      wallS: r.summary.wallS,
      computeS: r.summary.computeS,
      packS: r.summary.packS,
      commS: r.summary.commS,
      share: r.summary.interHostMessageShare,
    };
  });
}

/** The runs of the largest problem (most runs) and engine vmpath when there are several. */
export function mainProblem<R extends TimedRun>(runs: readonly R[]): R[] {
  const groups = [...groupBy(runs, (r) => `${r.problem}/${r.engine}`).values()];
  groups.sort((a, b) => b.length - a.length);
  return groups[0] ?? [];
}
