/**
 * `vmpath reproduce`: the study as a sweep, and its claims checked from the stored runs.
 *
 * The sweep: on the paper preset (each host's bridged vms behind its dom0 backend, dom0 and
 * guests under their CPU budgets), for NATIVE, BRIDGED and IOV, the micro-benchmark tables
 * (stream and rr over the concurrent vm pairs, iperf3's stream when installed), OSU latency and
 * bandwidth curves across hosts (the runtime, and Open MPI when installed), the advection
 * application on 16 ranks under the three placements (inter-node, intra-node, hybrid; the
 * three decompositions with --full), and the 2..8 rank scaling (pipeline 1x1xN, hybrid). Every
 * run is repeated (5 times by default, 3 with --quick), repeat by repeat with the data paths in rotating order, so
 * that each claim rests on a confidence interval (report/views/claims.ts).
 *
 * Uplinks are unshaped by default: at the paper's 10 Gbit/s the tc shaper, not the data path,
 * would bound every path; unshaped, the CPU cost of each path shows. `--rate` shapes them.
 * findings() is pure: records in, lines out.
 */

import { readableRuns } from '../report/records.js';
import { appRuns } from '../report/views/apps.js';
import { checkClaims } from '../report/views/claims.js';
import type { RunRecord } from '../store/db.js';
import type { SweepSpec } from './spec.js';

export const STUDY_DATAPATHS = ['native', 'bridged', 'iov'] as const;
export const STUDY_DECOMPS = ['1x1xN', '1xNx1', 'Nx1x1'] as const;
const STUDY_DECOMPS_ALL: readonly string[] = STUDY_DECOMPS;

export interface ReproduceSize {
  readonly grid: string;
  readonly steps: number;
  readonly benchS: number;
  /** Repeats of every run, in rotating order of the data paths (sweep.ts). */
  readonly repeats: number;
  /** The 16-rank decompositions (the claims need one; the study ran three). */
  readonly decomps: readonly string[];
  /** The rank counts of the pipeline's scaling below 16 (hybrid placement). */
  readonly scaling: readonly number[];
  /** Whether the reference tools run (iperf3's stream, the rr test): no claim reads them. */
  readonly tools: boolean;
  /** Whether the OSU curves run (they show the paths' latency; no claim reads them). */
  readonly osu: boolean;
}

/** Sized for this 2-core machine: the whole run within 10 minutes, --quick within 2. The
 * default keeps the study's messages (faces of 512 x 512 cells, 2 MiB) on a grid 8 times
 * shallower than its 512^3, so that the messages, not the cells, set the pace, as they did on
 * the study's 16 cores. */
export const REPRODUCE_SIZES = {
  quick: {
    grid: '128x128x16',
    steps: 8,
    benchS: 1,
    repeats: 3,
    decomps: ['1x1xN'],
    scaling: [8],
    tools: false,
    osu: false,
  },
  default: {
    grid: '512x512x64',
    steps: 24,
    benchS: 3,
    repeats: 5,
    decomps: ['1x1xN'],
    scaling: [2, 4, 8],
    tools: true,
    osu: false,
  },
  full: {
    grid: '512x512x512',
    steps: 512,
    benchS: 10,
    repeats: 3,
    decomps: STUDY_DECOMPS_ALL,
    scaling: [2, 4, 8],
    tools: true,
    osu: true,
  },
} as const satisfies Record<string, ReproduceSize>;

export const STUDY_PLACEMENTS = ['inter-node', 'intra-node', 'hybrid'] as const;

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
    repeats: size.repeats,
    order: 'rotate',
    bench: {
      tests: [
        'stream',
        ...(size.tools ? (['rr'] as const) : []),
        ...(size.osu ? (['osu'] as const) : []),
      ],
      tools: [
        'vmpath',
        ...(tools.iperf3 && size.tools ? (['iperf3'] as const) : []),
        ...(tools.openmpi && size.osu ? (['openmpi'] as const) : []),
      ],
      durationS: size.benchS,
    },
    advect: [
      { ...advect, ranks: [16], decomps: [...size.decomps], placements: [...STUDY_PLACEMENTS] },
      {
        ...advect,
        ranks: [...size.scaling],
        decomps: ['1x1xN'],
        placements: ['hybrid'],
      },
    ],
  };
}

const pct = (v: number) => `${(v * 100).toFixed(0)}%`;

/** The study's findings from whatever runs are stored: each claim with the paper's figure,
 * ours and the verdict, then where communication overtakes computation as ranks grow. */
export function findings(stored: readonly RunRecord[], rateMbit: number): string[] {
  const { typed: runs, unreadable } = readableRuns(stored);
  const lines: string[] = [];
  lines.push(
    rateMbit > 0
      ? `uplinks shaped to ${rateMbit} Mbit/s`
      : 'uplinks unshaped: the CPU bounds every path (at 10 Gbit/s the shaper would hide their differences)',
  );
  for (const c of checkClaims(runs)) {
    lines.push(`claim ${c.id}: ${c.verdict.toUpperCase()}: ${c.claim} (${c.why})`);
    lines.push(`  paper: ${c.paper}`);
    lines.push(`  ours:  ${c.ours}`);
  }
  // Where communication overtakes computation as ranks grow (pipeline, hybrid).
  const scaling = appRuns(runs).filter(
    (r) => r.decomp === `1x1x${r.ranks}` && r.placement === 'hybrid',
  );
  for (const dp of [...new Set(scaling.map((r) => r.datapath))]) {
    const ranks = [...new Set(scaling.filter((r) => r.datapath === dp).map((r) => r.ranks))].sort(
      (a, b) => a - b,
    );
    if (ranks.length < 2) continue;
    const series = ranks.map((n) => {
      const of = scaling.filter((r) => r.datapath === dp && r.ranks === n);
      const comm = of.reduce((s, r) => s + r.commS / (r.commS + r.computeS), 0) / of.length;
      return { ranks: n, comm };
    });
    const over = series.find((x) => x.comm > 0.5);
    lines.push(
      `${dp}: communication share of time ${series.map((x) => `${x.ranks}:${pct(x.comm)}`).join(' ')}; ${over ? `communication outweighs computation from ${over.ranks} ranks` : 'computation outweighs communication at every rank count'}`,
    );
  }
  for (const problem of unreadable) lines.push(`left out (not of its kind's schema): ${problem}`);
  return lines;
}
