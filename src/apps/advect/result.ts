/**
 * The result of a run, from the ranks' results: parameters, per-rank breakdowns, totals, the
 * error norms and the checksum. The C twin prints the same JSON (apps/advect-c). Pure.
 */
import { messagesPerStep } from './decomp.js';
import type { AdvectParams } from './params.js';
import type { RankResult } from './solve.js';

export const RESULT_VERSION = 1;
/** How rank 0 (and the C twin) marks the result line on stdout. */
export const RESULT_PREFIX = 'ADVECT_RESULT ';

export interface AdvectResult {
  readonly version: number;
  readonly engine: 'vmpath' | 'openmpi' | 'serial';
  readonly params: AdvectParams & { readonly courant: number };
  readonly ranks: readonly RankResult[];
  readonly totals: {
    /** The run's wall time: the slowest rank's. */
    readonly wallS: number;
    /** Mean and largest over the ranks. */
    readonly computeS: { readonly mean: number; readonly max: number };
    readonly packS: { readonly mean: number; readonly max: number };
    readonly commS: { readonly mean: number; readonly max: number };
    readonly messagesPerStep: number;
    readonly bytesPerStep: number;
    /** Million cell updates per second over the run's wall time. */
    readonly mcups: number;
    readonly maxRssBytes: number;
  };
  /** Against the analytic solution at the final time: mean absolute and largest error. */
  readonly errors: { readonly l1: number; readonly max: number };
  /** Sum modulo 2^64 of the ranks' shares, 16 hex digits: equal runs have equal checksums. */
  readonly checksum: string;
}

const spread = (values: number[]) => ({
  mean: values.reduce((s, v) => s + v, 0) / values.length,
  max: Math.max(...values),
});

export function combine(
  engine: AdvectResult['engine'],
  params: AdvectParams,
  ranks: readonly RankResult[],
): AdvectResult {
  const sorted = [...ranks].sort((a, b) => a.rank - b.rank);
  const cells = params.grid[0] * params.grid[1] * params.grid[2];
  const wallS = Math.max(...sorted.map((r) => r.wallS));
  const checksum = sorted.reduce(
    (sum, r) => BigInt.asUintN(64, sum + BigInt(`0x${r.checksum}`)),
    0n,
  );
  return {
    version: RESULT_VERSION,
    engine,
    params: {
      ...params,
      courant:
        params.dt *
        (params.velocity[0] * params.grid[0] +
          params.velocity[1] * params.grid[1] +
          params.velocity[2] * params.grid[2]),
    },
    ranks: sorted,
    totals: {
      wallS,
      computeS: spread(sorted.map((r) => r.computeS)),
      packS: spread(sorted.map((r) => r.packS)),
      commS: spread(sorted.map((r) => r.commS)),
      messagesPerStep: messagesPerStep(params.decomp),
      bytesPerStep: sorted.reduce((s, r) => s + r.bytesSent, 0) / params.steps,
      mcups: (cells * params.steps) / wallS / 1e6,
      maxRssBytes: Math.max(...sorted.map((r) => r.maxRssBytes)),
    },
    errors: {
      l1: sorted.reduce((s, r) => s + r.errorSum, 0) / cells,
      max: Math.max(...sorted.map((r) => r.errorMax)),
    },
    checksum: checksum.toString(16).padStart(16, '0'),
  };
}
