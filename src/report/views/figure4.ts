/** Figure 4 of the study: the speedup of iov over bridged against the share of messages that
 * cross hosts, and where the fitted line crosses 1. Pure. */
import { linearRegression } from 'simple-statistics';
import { mainProblem, type TimedRun } from './apps.js';
import { groupBy, placementOrder, spread } from './common.js';

export interface SpeedupPoint {
  readonly placement: string;
  readonly decomp: string;
  readonly ranks: number;
  /** Share of messages that cross hosts, 0..1. */
  readonly share: number;
  /** Mean bridged time over mean iov time; low..high from the extremes of the repeats. */
  readonly speedup: number;
  readonly low: number;
  readonly high: number;
  readonly runs: number;
}

export interface Figure4 {
  readonly points: readonly SpeedupPoint[];
  /** The share of inter-host messages below which bridged wins (the fitted line crosses 1),
   * when the data show one: points on both sides of 1 and the crossing inside their range. */
  readonly crossover: number | null;
  readonly fit: { readonly slope: number; readonly intercept: number } | null;
  readonly runs: number;
}

export function figure4(
  apps: readonly TimedRun[],
  missing: string[],
  subject = 'advect runs',
): Figure4 | null {
  const main = mainProblem(apps);
  const ranks = Math.max(...main.map((r) => r.ranks));
  const at = main.filter((r) => r.ranks === ranks);
  const points: SpeedupPoint[] = [];
  let runs = 0;
  for (const rs of groupBy(at, (r) => `${r.placement}\u0000${r.shape}`).values()) {
    const bridged = spread(rs.filter((r) => r.datapath === 'bridged').map((r) => r.wallS));
    const iov = spread(rs.filter((r) => r.datapath === 'iov').map((r) => r.wallS));
    if (bridged.n === 0 || iov.n === 0) continue;
    const first = rs[0] as TimedRun;
    runs += bridged.n + iov.n;
    points.push({
      placement: first.placement,
      decomp: first.shape,
      ranks,
      // The runs' own shares (one placement's runs agree but for what a run measured).
      share: spread(rs.map((r) => r.share)).mean,
      speedup: bridged.mean / iov.mean,
      low: bridged.min / iov.max,
      high: bridged.max / iov.min,
      runs: bridged.n + iov.n,
    });
  }
  if (points.length === 0) {
    missing.push(
      `Figure 4 (speedup of iov over bridged against inter-host messages): needs ${subject} on both bridged and iov with the same placement and decomposition`,
    );
    return null;
  }
  points.sort((a, b) => a.share - b.share || placementOrder(a.placement, b.placement));
  let fit: Figure4['fit'] = null;
  let crossover: number | null = null;
  if (new Set(points.map((p) => p.share)).size >= 2) {
    const { m, b } = linearRegression(points.map((p) => [p.share, p.speedup]));
    fit = { slope: m, intercept: b };
    const below = points.some((p) => p.speedup < 1);
    const above = points.some((p) => p.speedup > 1);
    const x = m === 0 ? Number.NaN : (1 - b) / m;
    const lo = (points[0] as SpeedupPoint).share;
    const hi = (points[points.length - 1] as SpeedupPoint).share;
    if (below && above && m > 0 && x >= lo && x <= hi) crossover = x;
  }
  return { points, crossover, fit, runs };
}
