/** Figure 2 of the study: execution time per data path, per placement and decomposition. Pure. */
import { mainProblem, type TimedRun } from './apps.js';
import { datapathOrder, groupBy, placementOrder, type Spread, spread } from './common.js';

export interface TimeBar {
  readonly placement: string;
  readonly decomp: string;
  readonly datapath: string;
  readonly wall: Spread;
}

export interface Figure2 {
  readonly ranks: number;
  readonly problem: string;
  readonly bars: readonly TimeBar[];
  readonly runs: number;
}

export function figure2(
  apps: readonly TimedRun[],
  missing: string[],
  subject = 'advect runs',
): Figure2 | null {
  const main = mainProblem(apps);
  const ranks = Math.max(...main.map((r) => r.ranks));
  const at = main.filter((r) => r.ranks === ranks);
  const placements = new Set(at.map((r) => r.placement));
  if (at.length === 0 || placements.size < 2) {
    missing.push(
      `Figure 2 (time per data path and placement): needs ${subject} of one rank count under at least two placements (e.g. inter-node and intra-node)`,
    );
    return null;
  }
  const groups = groupBy(at, (r) => `${r.placement}\u0000${r.shape}\u0000${r.datapath}`);
  const bars = [...groups.values()].map((rs) => {
    const first = rs[0] as TimedRun;
    return {
      placement: first.placement,
      decomp: first.shape,
      datapath: first.datapath,
      wall: spread(rs.map((r) => r.wallS)),
    };
  });
  bars.sort(
    (a, b) =>
      placementOrder(a.placement, b.placement) ||
      a.decomp.localeCompare(b.decomp) ||
      datapathOrder(a.datapath, b.datapath),
  );
  return { ranks, problem: (at[0] as TimedRun).problem, bars, runs: at.length };
}
