/**
 * `vmpath reproduce`: the study as a sweep, and its findings computed from the stored runs.
 *
 * The sweep: on the paper preset, for NATIVE, BRIDGED and IOV, the micro-benchmark tables
 * (stream and rr over the concurrent vm pairs, iperf3's stream when installed), OSU latency and
 * bandwidth curves across hosts (the runtime, and Open MPI when installed), the advection application on 16 ranks under the
 * three decompositions (1x1x16, 1x16x1, 16x1x1) and the three placements (inter-node,
 * intra-node, hybrid), and the 2..16 rank scaling (pipeline 1x1xN, hybrid placement).
 *
 * Uplinks are unshaped by default, by measurement: at the paper's 10 Gbit/s the tc shaper, not
 * the data path, bounds all three (stream BRIDGED/IOV 1.000, both at 95% of the link), while
 * unshaped the CPU cost of each path shows (BRIDGED/IOV about 0.9). `--rate` shapes them.
 * findings() is pure: records in, lines out.
 */

import { doneRuns, readableRuns } from '../report/records.js';
import { appRuns } from '../report/views/apps.js';
import type { RunRecord } from '../store/db.js';
import type { SweepSpec } from './spec.js';

export interface ReproduceSize {
  readonly grid: string;
  readonly steps: number;
  readonly benchS: number;
}

/** Sized for this 2-core machine: the whole run within 10 minutes, --quick within 2. */
export const REPRODUCE_SIZES = {
  quick: { grid: '48x48x48', steps: 16, benchS: 1 },
  default: { grid: '192x192x192', steps: 96, benchS: 10 },
  full: { grid: '512x512x512', steps: 512, benchS: 10 },
} as const satisfies Record<string, ReproduceSize>;

export const STUDY_DATAPATHS = ['native', 'bridged', 'iov'] as const;
export const STUDY_PLACEMENTS = ['inter-node', 'intra-node', 'hybrid'] as const;
export const STUDY_DECOMPS = ['1x1xN', '1xNx1', 'Nx1x1'] as const;
export const SCALING_RANKS = [2, 4, 8, 16] as const;

/** The reference tools found on this machine: iperf3 cross-checks the stream test, Open MPI
 * the OSU curves (without them those runs are left out of the spec). */
export interface ReferenceTools {
  readonly iperf3: boolean;
  readonly openmpi: boolean;
}

export function reproduceSpec(
  size: ReproduceSize,
  rateMbit: number,
  tools: ReferenceTools,
): SweepSpec {
  const advect = {
    grid: size.grid,
    steps: size.steps,
    engines: ['vmpath' as const],
  };
  return {
    name: 'reproduce',
    topology: 'paper',
    rateMbit,
    datapaths: [...STUDY_DATAPATHS],
    repeats: 1,
    bench: {
      tests: ['stream', 'rr', 'osu'],
      tools: [
        'vmpath',
        ...(tools.iperf3 ? (['iperf3'] as const) : []),
        ...(tools.openmpi ? (['openmpi'] as const) : []),
      ],
      durationS: size.benchS,
    },
    advect: [
      { ...advect, ranks: [16], decomps: [...STUDY_DECOMPS], placements: [...STUDY_PLACEMENTS] },
      {
        ...advect,
        ranks: SCALING_RANKS.filter((n) => n < 16),
        decomps: ['1x1xN'],
        placements: ['hybrid'],
      },
    ],
  };
}

const pct = (v: number) => `${(v * 100).toFixed(0)}%`;

const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;

/** The study's findings in a few lines, from whatever runs are stored (missing parts say so). */
export function findings(stored: readonly RunRecord[], rateMbit: number): string[] {
  const { typed: runs, unreadable } = readableRuns(stored);
  const lines: string[] = [];
  lines.push(
    rateMbit > 0
      ? `uplinks shaped to ${rateMbit} Mbit/s`
      : 'uplinks unshaped: the CPU bounds every path (at 10 Gbit/s the shaper would hide their differences)',
  );
  // 1. data paths by stream bandwidth
  const stream = doneRuns(runs, 'bench').filter(
    (r) => r.params.test === 'stream' && r.params.tool === 'vmpath',
  );
  if (stream.length === 0) lines.push('bandwidth: no stream runs stored');
  else {
    const by = new Map<string, number[]>();
    for (const r of stream)
      by.set(r.params.datapath, [...(by.get(r.params.datapath) ?? []), r.summary.total]);
    const totals = [...by.entries()]
      .map(([dp, v]) => ({ dp, total: mean(v) }))
      .sort((a, b) => b.total - a.total);
    const native = by.has('native') ? mean(by.get('native') as number[]) : null;
    lines.push(
      `bandwidth (stream, concurrent vm pairs): ${totals
        .map(
          (t) =>
            `${t.dp} ${t.total.toFixed(0)} MiB/s${native ? ` (${pct(t.total / native)} of native)` : ''}`,
        )
        .join(' > ')}`,
    );
  }
  // 2. placements: time per data path and iov's speedup over bridged against inter-host share
  const rows = appRuns(runs).filter((r) => r.ranks === 16);
  if (rows.length === 0) lines.push('placements: no 16-rank advection runs stored');
  for (const placement of [...new Set(rows.map((r) => r.placement))]) {
    const of = rows.filter((r) => r.placement === placement);
    const wall = (dp: string) => {
      const v = of.filter((r) => r.datapath === dp).map((r) => r.wallS);
      return v.length ? mean(v) : null;
    };
    const parts = ['native', 'bridged', 'iov', 'shm']
      .map((dp) => [dp, wall(dp)] as const)
      .filter(([, v]) => v !== null)
      .map(([dp, v]) => `${dp} ${(v as number).toFixed(3)} s`);
    const b = wall('bridged');
    const i = wall('iov');
    const speedup = b !== null && i !== null ? ` ; iov over bridged ${(b / i).toFixed(2)}x` : '';
    lines.push(
      `${placement} (${pct(mean(of.map((r) => r.share)))} of messages cross hosts), mean over decompositions: ${parts.join(', ')}${speedup}`,
    );
  }
  // 3. where communication overtakes computation as ranks grow (pipeline, hybrid)
  const scaling = appRuns(runs).filter(
    (r) => r.decomp === `1x1x${r.ranks}` && r.placement === 'hybrid',
  );
  for (const dp of [...new Set(scaling.map((r) => r.datapath))]) {
    const series = scaling
      .filter((r) => r.datapath === dp)
      .sort((a, b) => a.ranks - b.ranks)
      .map((r) => ({ ranks: r.ranks, comm: r.commS / (r.commS + r.computeS) }));
    if (series.length < 2) continue;
    const over = series.find((s) => s.comm > 0.5);
    lines.push(
      `${dp}: communication share of time ${series.map((s) => `${s.ranks}:${pct(s.comm)}`).join(' ')}; ${over ? `communication outweighs computation from ${over.ranks} ranks` : 'computation outweighs communication at every rank count'}`,
    );
  }
  for (const problem of unreadable) lines.push(`left out (not of its kind's schema): ${problem}`);
  return lines;
}
