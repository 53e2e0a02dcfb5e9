/**
 * The report's view models: pure functions of the stored runs. Each part returns null when the
 * database holds nothing for it and says in `missing` what would fill it; every figure carries
 * its spread (min to max over repeats) and the number of runs it rests on.
 *
 * Parts (the study's tables and figures, and what vmpath adds):
 *   Tables 1 and 2  per-node and total stream bandwidth per data path, vmpath and iperf3
 *   Figure 2        execution time per data path, per placement and decomposition
 *   Figure 3        computation / packing / communication against rank count, per data path
 *   Figure 4        speedup of iov over bridged against the share of inter-host messages
 *   OSU curves      latency and bandwidth of the runtime and Open MPI per data path
 *   Matrix          the communication matrix of one run
 */
import { linearRegression } from 'simple-statistics';
import type { RunRecord, SweepRecord } from '../store/db.js';
import { DATAPATHS } from '../topology/types.js';

export interface Spread {
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

/** Mean, min and max of the finite values (NaN everywhere when there are none). */
export function spread(values: readonly number[]): Spread {
  const v = values.filter(Number.isFinite);
  if (v.length === 0) return { mean: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  return {
    mean: v.reduce((s, x) => s + x, 0) / v.length,
    min: Math.min(...v),
    max: Math.max(...v),
    n: v.length,
  };
}

export interface ReportInput {
  readonly sweeps: readonly SweepRecord[];
  readonly runs: readonly RunRecord[];
  readonly environments: readonly { readonly id: number; readonly info: Record<string, unknown> }[];
  /** Where the results came from (the database file), for the heading. */
  readonly source: string;
  readonly generatedAt: string;
}

const PLACEMENT_ORDER = ['inter-node', 'intra-node', 'hybrid', 'block', 'cyclic'];

/** Sorts by a preferred order, unknown names last in alphabetical order. */
export function byOrder(order: readonly string[]) {
  const rank = (x: string) => {
    const i = order.indexOf(x);
    return i < 0 ? order.length : i;
  };
  return (a: string, b: string) => rank(a) - rank(b) || a.localeCompare(b);
}
export const datapathOrder = byOrder(DATAPATHS);
export const placementOrder = byOrder(PLACEMENT_ORDER);

const num = (v: unknown) => (typeof v === 'number' ? v : Number.NaN);
const str = (v: unknown) => (typeof v === 'string' ? v : String(v));
const done = (runs: readonly RunRecord[]) =>
  runs.filter((r) => r.status === 'done' && r.summary !== null);

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

// ---- Tables 1 and 2 ----------------------------------------------------------------------

export interface NodeFigure {
  readonly from: string;
  readonly to: string;
  readonly value: Spread;
}

export interface BandwidthRow {
  readonly datapath: string;
  readonly nodes: readonly NodeFigure[];
  readonly total: Spread;
  /** Percent of the NATIVE total, when NATIVE was measured. */
  readonly ofNative: number | null;
  /** Percent of the link rate, when the uplinks were shaped. */
  readonly ofLink: number | null;
}

export interface BenchTable {
  readonly test: 'stream' | 'rr';
  readonly tool: 'vmpath' | 'iperf3';
  readonly title: string;
  readonly unit: string;
  readonly rows: readonly BandwidthRow[];
  readonly runs: number;
}

const TABLES = [
  {
    test: 'stream',
    tool: 'vmpath',
    title: 'Table 1: stream bandwidth, vmpath (netperf TCP_STREAM analogue)',
  },
  { test: 'stream', tool: 'iperf3', title: 'Table 2: stream bandwidth, iperf3' },
  { test: 'rr', tool: 'vmpath', title: 'Request/response rate, vmpath (netperf TCP_RR analogue)' },
] as const;

export function benchTables(runs: readonly RunRecord[], missing: string[]): BenchTable[] {
  const out: BenchTable[] = [];
  for (const { test, tool, title } of TABLES) {
    const of = done(runs).filter(
      (r) => r.kind === 'bench' && r.params.test === test && r.params.tool === tool,
    );
    if (of.length === 0) {
      missing.push(
        `${title}: no ${test} runs with ${tool} stored (a sweep with bench.tests [${test}] and bench.tools [${tool}]${tool === 'iperf3' ? ', with iperf3 installed' : ''})`,
      );
      continue;
    }
    const byDp = groupBy(of, (r) => str(r.params.datapath));
    const totals = new Map(
      [...byDp].map(([dp, rs]) => [dp, spread(rs.map((r) => num(r.summary?.total)))]),
    );
    const native = totals.get('native')?.mean ?? null;
    const rows = [...byDp.keys()].sort(datapathOrder).map((dp): BandwidthRow => {
      const rs = byDp.get(dp) as RunRecord[];
      const perPair = rs.flatMap(
        (r) => (r.summary?.perPair ?? []) as { from: string; to: string; value: number }[],
      );
      const nodes = [...groupBy(perPair, (p) => `${p.from}\u0000${p.to}`).values()].map((ps) => ({
        from: str(ps[0]?.from),
        to: str(ps[0]?.to),
        value: spread(ps.map((p) => p.value)),
      }));
      const total = totals.get(dp) as Spread;
      const link = num(rs[0]?.summary?.linkMiBps);
      return {
        datapath: dp,
        nodes,
        total,
        ofNative: native && test === 'stream' ? (total.mean / native) * 100 : null,
        ofLink:
          test === 'stream' && Number.isFinite(link) && link > 0 ? (total.mean / link) * 100 : null,
      };
    });
    out.push({ test, tool, title, unit: str(of[0]?.summary?.unit ?? ''), rows, runs: of.length });
  }
  return out;
}

// ---- the application runs ------------------------------------------------------------------

export interface AppRun {
  readonly datapath: string;
  readonly ranks: number;
  readonly decomp: string;
  /** The decomposition with the rank count written as N where it is one dimension: 1x1xN. */
  readonly shape: string;
  readonly placement: string;
  readonly problem: string;
  readonly engine: string;
  readonly wallS: number;
  readonly computeS: number;
  readonly packS: number;
  readonly commS: number;
  readonly share: number;
}

function dimsText(v: unknown): string {
  return Array.isArray(v) ? v.join('x') : str(v);
}

export function appRuns(runs: readonly RunRecord[]): AppRun[] {
  return done(runs)
    .filter((r) => r.kind === 'advect')
    .map((r) => {
      const ranks = num(r.params.ranks);
      const decomp = dimsText(r.params.decomp);
      const parts = decomp.split('x');
      const shape =
        parts.filter((p) => p === String(ranks)).length === 1 && ranks > 1
          ? parts.map((p) => (p === String(ranks) ? 'N' : p)).join('x')
          : decomp;
      return {
        datapath: str(r.params.datapath),
        ranks,
        decomp,
        shape,
        placement: str(r.params.placement),
        problem: `${dimsText(r.params.grid)} x ${num(r.params.steps)} steps`,
        engine: str(r.params.engine ?? 'vmpath'),
        wallS: num(r.summary?.wallS),
        computeS: num(r.summary?.computeS),
        packS: num(r.summary?.packS),
        commS: num(r.summary?.commS),
        share: num(r.summary?.interHostMessageShare),
      };
    });
}

/** The runs of the largest problem (most runs) and engine vmpath when there are several. */
function mainProblem(runs: readonly AppRun[]): AppRun[] {
  const groups = [...groupBy(runs, (r) => `${r.problem}/${r.engine}`).values()];
  groups.sort((a, b) => b.length - a.length);
  return groups[0] ?? [];
}

// ---- Figure 2 ------------------------------------------------------------------------------

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

export function figure2(apps: readonly AppRun[], missing: string[]): Figure2 | null {
  const main = mainProblem(apps);
  const ranks = Math.max(...main.map((r) => r.ranks));
  const at = main.filter((r) => r.ranks === ranks);
  const placements = new Set(at.map((r) => r.placement));
  if (at.length === 0 || placements.size < 2) {
    missing.push(
      'Figure 2 (time per data path and placement): needs advect runs of one rank count under at least two placements (e.g. inter-node and intra-node)',
    );
    return null;
  }
  const groups = groupBy(at, (r) => `${r.placement}\u0000${r.shape}\u0000${r.datapath}`);
  const bars = [...groups.values()].map((rs) => {
    const first = rs[0] as AppRun;
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
  return { ranks, problem: (at[0] as AppRun).problem, bars, runs: at.length };
}

// ---- Figure 3 ------------------------------------------------------------------------------

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

// ---- Figure 4 ------------------------------------------------------------------------------

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

export function figure4(apps: readonly AppRun[], missing: string[]): Figure4 | null {
  const main = mainProblem(apps);
  const ranks = Math.max(...main.map((r) => r.ranks));
  const at = main.filter((r) => r.ranks === ranks);
  const points: SpeedupPoint[] = [];
  let runs = 0;
  for (const rs of groupBy(at, (r) => `${r.placement}\u0000${r.shape}`).values()) {
    const bridged = spread(rs.filter((r) => r.datapath === 'bridged').map((r) => r.wallS));
    const iov = spread(rs.filter((r) => r.datapath === 'iov').map((r) => r.wallS));
    if (bridged.n === 0 || iov.n === 0) continue;
    const first = rs[0] as AppRun;
    runs += bridged.n + iov.n;
    points.push({
      placement: first.placement,
      decomp: first.shape,
      ranks,
      share: first.share,
      speedup: bridged.mean / iov.mean,
      low: bridged.min / iov.max,
      high: bridged.max / iov.min,
      runs: bridged.n + iov.n,
    });
  }
  if (points.length === 0) {
    missing.push(
      'Figure 4 (speedup of iov over bridged against inter-host messages): needs advect runs on both bridged and iov with the same placement and decomposition',
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

// ---- OSU curves ----------------------------------------------------------------------------

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

export function osuCurves(runs: readonly RunRecord[], missing: string[]): OsuCurvesView | null {
  const of = done(runs).filter((r) => r.kind === 'bench' && r.params.test === 'osu');
  if (of.length === 0) {
    missing.push(
      'Latency and bandwidth curves: no osu runs stored (a sweep with bench.tests [osu] and bench.tools [vmpath, openmpi])',
    );
    return null;
  }
  const curve = (field: 'latencyUs' | 'bwMiBps') => {
    const points = of.flatMap((r) =>
      ((r.summary?.[field] ?? []) as { bytes: number; value: number }[]).map((p) => ({
        datapath: str(r.params.datapath),
        engine: str(r.params.tool),
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

// ---- communication matrix ------------------------------------------------------------------

export interface MatrixCell {
  readonly from: number;
  readonly to: number;
  readonly bytes: number;
  readonly messages: number;
  readonly transport: string;
}

export interface MatrixView {
  readonly run: string;
  readonly ranks: number;
  readonly cells: readonly MatrixCell[];
}

/** The matrix of the run with most ranks (hybrid on iov preferred: the study's mixed case). */
export function matrixView(runs: readonly RunRecord[], missing: string[]): MatrixView | null {
  const candidates = done(runs).filter(
    (r) =>
      r.kind === 'advect' &&
      Array.isArray((r.samples as { matrix?: unknown } | null)?.matrix) &&
      ((r.samples as { matrix: unknown[] }).matrix.length ?? 0) > 0,
  );
  const score = (r: RunRecord) =>
    num(r.params.ranks) * 4 +
    (r.params.placement === 'hybrid' ? 2 : 0) +
    (r.params.datapath === 'iov' ? 1 : 0);
  const best = [...candidates].sort((a, b) => score(b) - score(a) || a.id - b.id)[0];
  if (!best) {
    missing.push('Communication matrix: no advect run with a stored matrix (engine vmpath)');
    return null;
  }
  const cells = (best.samples as { matrix: MatrixCell[] }).matrix
    .filter((c) => c.bytes > 0 || c.messages > 0)
    .map((c) => ({
      from: c.from,
      to: c.to,
      bytes: c.bytes,
      messages: c.messages,
      transport: str(c.transport),
    }));
  return { run: best.key, ranks: num(best.params.ranks), cells };
}

// ---- the whole report ----------------------------------------------------------------------

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
  readonly tables: readonly BenchTable[];
  readonly figure2: Figure2 | null;
  readonly figure3: Figure3 | null;
  readonly figure4: Figure4 | null;
  readonly osu: OsuCurvesView | null;
  readonly matrix: MatrixView | null;
  readonly failed: readonly FailedRun[];
  readonly missing: readonly string[];
  readonly runs: number;
}

export function reportView(input: ReportInput): ReportView {
  const missing: string[] = [];
  if (input.runs.length === 0)
    missing.push(
      'the database holds no runs at all: run `vmpath sweep run SPEC --db FILE` or `vmpath reproduce`',
    );
  const apps = appRuns(input.runs);
  const revisions = [
    ...new Set(
      input.environments.map((e) =>
        typeof e.info.gitRevision === 'string'
          ? `${str(e.info.vmpath)} (${e.info.gitRevision.slice(0, 12)})`
          : `${str(e.info.vmpath)} (revision unknown)`,
      ),
    ),
  ];
  const view = {
    source: input.source,
    generatedAt: input.generatedAt,
    sweeps: input.sweeps,
    environments: input.environments,
    revisions,
    tables: benchTables(input.runs, missing),
    figure2: figure2(apps, missing),
    figure3: figure3(apps, missing),
    figure4: figure4(apps, missing),
    osu: osuCurves(input.runs, missing),
    matrix: matrixView(input.runs, missing),
    failed: input.runs
      .filter((r) => r.status === 'failed')
      .map((r) => ({ key: r.key, error: r.error ?? '(no message)' })),
    missing,
    runs: input.runs.length,
  };
  return view;
}
