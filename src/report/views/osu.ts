/** The OSU latency and bandwidth curves of the runtime and Open MPI, per data path. Pure. */
import { doneRuns, type TypedRun } from '../records.js';
import { datapathOrder, groupBy, type Spread, spread } from './common.js';

export interface CurvePoint {
  readonly datapath: string;
  readonly engine: string;
  readonly bytes: number;
  readonly value: Spread;
}

export interface OsuCurvesView {
  readonly latency: readonly CurvePoint[];
  readonly bw: readonly CurvePoint[];
  readonly runs: number;
}

export function osuCurves(runs: readonly TypedRun[], missing: string[]): OsuCurvesView | null {
  const of = doneRuns(runs, 'osu');
  if (of.length === 0) {
    missing.push(
      'Latency and bandwidth curves: no osu runs stored (a sweep with bench.tests [osu] and bench.tools [vmpath, openmpi])',
    );
    return null;
  }
  const curve = (field: 'latencyUs' | 'bwMiBps') => {
    const points = of.flatMap((r) =>
      r.summary[field].map((p) => ({
        datapath: r.params.datapath,
        engine: r.params.tool,
        bytes: p.bytes,
        value: p.value,
      })),
    );
    return [...groupBy(points, (p) => `${p.datapath}\u0000${p.engine}\u0000${p.bytes}`).values()]
      .map((ps) => {
        const { datapath, engine, bytes } = ps[0] as (typeof points)[number];
        return { datapath, engine, bytes, value: spread(ps.map((p) => p.value)) };
      })
      .sort(
        (a, b) =>
          datapathOrder(a.datapath, b.datapath) ||
          a.engine.localeCompare(b.engine) ||
          a.bytes - b.bytes,
      );
  };
  return { latency: curve('latencyUs'), bw: curve('bwMiBps'), runs: of.length };
}
