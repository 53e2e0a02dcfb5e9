/**
 * The advection application's communication pattern per step, as traffic between ranks: each
 * rank sends its last plane to its successor in every split dimension. Pure. (The shape is
 * src/placement's Traffic, which sits above this module.)
 */
import { blockOf } from './decomp.js';
import type { Triple } from './params.js';

export interface AdvectTraffic {
  readonly from: number;
  readonly to: number;
  readonly messages: number;
  readonly bytes: number;
}

export function advectTraffic(grid: Triple, decomp: Triple, steps = 1): AdvectTraffic[] {
  const ranks = decomp[0] * decomp[1] * decomp[2];
  const out: AdvectTraffic[] = [];
  for (let rank = 0; rank < ranks; rank++) {
    const b = blockOf(grid, decomp, rank);
    [0, 1, 2].forEach((d) => {
      const to = b.successor[d];
      if (to === null || to === undefined) return;
      const cells =
        d === 0
          ? b.count[1] * b.count[2]
          : d === 1
            ? b.count[0] * b.count[2]
            : b.count[0] * b.count[1];
      out.push({ from: rank, to, messages: steps, bytes: steps * cells * 8 });
    });
  }
  return out;
}
