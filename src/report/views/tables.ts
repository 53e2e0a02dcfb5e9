/** Tables 1 and 2 of the study (stream bandwidth per node and in total, per data path, with
 * vmpath and iperf3) and the request/response rate. Pure. */
import { doneRuns, type TypedRun } from '../records.js';
import { datapathOrder, groupBy, type Spread, spread } from './common.js';

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
  /** The study's total for this data path and tool (netperf for vmpath, iperf), MiB/s. */
  readonly paper: number | null;
}

/** The study's stream totals (DESIGN.md section 1), MiB/s. */
export const PAPER_STREAM: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  vmpath: { native: 811.73, bridged: 425.97, iov: 634.84 },
  iperf3: { native: 1238, bridged: 748.75, iov: 884.75 },
};

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

export function benchTables(runs: readonly TypedRun[], missing: string[]): BenchTable[] {
  const out: BenchTable[] = [];
  for (const { test, tool, title } of TABLES) {
    const of = doneRuns(runs, 'bench').filter(
      (r) => r.params.test === test && r.params.tool === tool,
    );
    if (of.length === 0) {
      missing.push(
        `${title}: no ${test} runs with ${tool} stored (a sweep with bench.tests [${test}] and bench.tools [${tool}]${tool === 'iperf3' ? ', with iperf3 installed' : ''})`,
      );
      continue;
    }
    const byDp = groupBy(of, (r) => r.params.datapath);
    const totals = new Map(
      [...byDp].map(([dp, rs]) => [dp, spread(rs.map((r) => r.summary.total))]),
    );
    const native = totals.get('native')?.mean ?? null;
    const rows = [...byDp.keys()].sort(datapathOrder).map((dp): BandwidthRow => {
      const rs = byDp.get(dp) as typeof of;
      const perPair = rs.flatMap((r) => r.summary.perPair);
      const nodes = [...groupBy(perPair, (p) => `${p.from}\u0000${p.to}`).values()].map((ps) => ({
        from: ps[0]?.from ?? '',
        to: ps[0]?.to ?? '',
        value: spread(ps.map((p) => p.value)),
      }));
      const total = totals.get(dp) as Spread;
      const link = rs[0]?.summary.linkMiBps ?? Number.NaN;
      return {
        datapath: dp,
        nodes,
        total,
        ofNative: native && test === 'stream' ? (total.mean / native) * 100 : null,
        ofLink:
          test === 'stream' && Number.isFinite(link) && link > 0 ? (total.mean / link) * 100 : null,
        paper: test === 'stream' ? (PAPER_STREAM[tool]?.[dp] ?? null) : null,
      };
    });
    out.push({ test, tool, title, unit: of[0]?.summary.unit ?? '', rows, runs: of.length });
  }
  return out;
}
