/**
 * How much memory a run needs, worked out before anything is allocated. Pure.
 * A rank holds one time level of its block plus ghost planes (the sweep updates in place),
 * a send and a receive face per dimension, and the runtime itself (Node.js, about
 * RANK_BASELINE_BYTES resident). The largest block sets the per-rank figure.
 */
import { invalidField } from '../../core/errors.js';
import { range } from './decomp.js';
import { blockBytes, MAX_MEMORY_BYTES } from './kernel.js';
import type { AdvectParams, Triple } from './params.js';

/** Resident memory of an idle rank process (Node.js and the runtime), measured about 50 MiB. */
export const RANK_BASELINE_BYTES = 64 * 1024 * 1024;
/** Share of the machine's memory a run may plan to use. */
export const USABLE_SHARE = 0.8;

export interface MemoryPlan {
  /** The largest block's cells, and its share of the grid in bytes (8 per cell). */
  readonly largestBlock: Triple;
  readonly shareBytes: number;
  /** What the kernel's memory holds for that block, and the rank's expected resident size. */
  readonly blockBytes: number;
  readonly rankBytes: number;
  /** All ranks together. */
  readonly totalBytes: number;
}

export function memoryPlan(params: AdvectParams): MemoryPlan {
  const largest = [0, 1, 2].map(
    (d) => range(params.grid[d] as number, params.decomp[d] as number, 0).count,
  ) as unknown as Triple;
  const ranks = params.decomp[0] * params.decomp[1] * params.decomp[2];
  const block = blockBytes(largest);
  const rankBytes = block + RANK_BASELINE_BYTES;
  return {
    largestBlock: largest,
    shareBytes: largest[0] * largest[1] * largest[2] * 8,
    blockBytes: block,
    rankBytes,
    totalBytes: rankBytes * ranks,
  };
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

/** Refuses a run that cannot fit: a block over one WebAssembly memory (4 GiB), or all ranks
 * over USABLE_SHARE of `machineBytes` (the ranks of an emulated testbed share one machine). */
export function checkMemory(params: AdvectParams, machineBytes: number): MemoryPlan {
  const plan = memoryPlan(params);
  const what = `--grid ${params.grid.join('x')} with --decomp ${params.decomp.join('x')}`;
  if (plan.blockBytes > MAX_MEMORY_BYTES)
    throw invalidField(
      'E_APP_MEMORY',
      '--decomp',
      params.decomp.join('x'),
      `blocks of at most 4 GiB: ${what} gives blocks of ${plan.largestBlock.join('x')} cells (${gib(plan.blockBytes)}); split the grid further`,
    );
  if (plan.totalBytes > USABLE_SHARE * machineBytes)
    throw invalidField(
      'E_APP_MEMORY',
      '--grid',
      params.grid.join('x'),
      `a run that fits in memory: ${what} needs about ${gib(plan.totalBytes)}, more than ${USABLE_SHARE * 100}% of this machine's ${gib(machineBytes)}`,
    );
  return plan;
}
