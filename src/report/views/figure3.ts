/** Figure 3 of the study: computation, packing and communication against the rank count, per
 * data path. Pure. */
import { type AppRun, mainProblem } from './apps.js';
import { datapathOrder, groupBy, type Spread, spread } from './common.js';

export const PARTS = ['computation', 'packing', 'communication'] as const;
export type Part = (typeof PARTS)[number];

export interface BreakdownBar {
  readonly datapath: string;
  readonly ranks: number;
  readonly part: Part;
  /** Mean seconds per rank (over ranks, then over repeats). */
  readonly seconds: number;
}

export interface Figure3 {
  readonly placement: string;
  readonly decomp: string;
  readonly problem: string;
  readonly bars: readonly BreakdownBar[];
  /** The stacked total per (data path, rank count): its spread over repeats. */
  readonly totals: readonly { datapath: string; ranks: number; total: Spread }[];
  readonly runs: number;
}

export function figure3(apps: readonly AppRun[], missing: string[]): Figure3 | null {
  // The scaling series: one placement and decomposition shape over several rank counts.
  const series = [...groupBy(mainProblem(apps), (r) => `${r.placement}\u0000${r.shape}`).values()]
    .map((rs) => ({ rs, counts: new Set(rs.map((r) => r.ranks)).size }))
    .filter((s) => s.counts >= 2)
    .sort((a, b) => b.counts - a.counts || b.rs.length - a.rs.length);
  const best = series[0];
  if (!best) {
    missing.push(
      'Figure 3 (computation and communication against rank count): needs advect runs of one placement and decomposition at two or more rank counts',
    );
    return null;
  }
  const first = best.rs[0] as AppRun;
  const bars: BreakdownBar[] = [];
  const totals: Figure3['totals'][number][] = [];
  for (const rs of groupBy(best.rs, (r) => `${r.datapath}\u0000${r.ranks}`).values()) {
    const { datapath, ranks } = rs[0] as AppRun;
    const mean = (f: (r: AppRun) => number) => spread(rs.map(f)).mean;
    bars.push(
      { datapath, ranks, part: 'computation', seconds: mean((r) => r.computeS) },
      { datapath, ranks, part: 'packing', seconds: mean((r) => r.packS) },
      { datapath, ranks, part: 'communication', seconds: mean((r) => r.commS) },
    );
    totals.push({ datapath, ranks, total: spread(rs.map((r) => r.computeS + r.packS + r.commS)) });
  }
  const order = (a: { datapath: string; ranks: number }, b: { datapath: string; ranks: number }) =>
    datapathOrder(a.datapath, b.datapath) || a.ranks - b.ranks;
  bars.sort(order);
  totals.sort(order);
  return {
    placement: first.placement,
    decomp: first.shape,
    problem: first.problem,
    bars,
    totals,
    runs: best.rs.length,
  };
}
