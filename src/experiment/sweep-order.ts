/**
 * The order a sweep runs its runs in. Pure.
 */
import type { Datapath } from '../topology/types.js';
import type { SweepSpec } from './spec.js';

/** The blocks a sweep runs, each on a testbed of its own: data path by data path, or with
 * `order: rotate`, repeat by repeat with the data paths in a rotating order (repeat k starts at
 * the k-th), so that a drift of the machine falls on every data path alike. */
export function sweepOrder(spec: SweepSpec): { datapath: Datapath; repeat: number | null }[] {
  if (spec.order !== 'rotate' || spec.repeats === 1)
    return spec.datapaths.map((datapath) => ({ datapath, repeat: null }));
  const n = spec.datapaths.length;
  return Array.from({ length: spec.repeats }, (_, k) =>
    Array.from({ length: n }, (_, i) => ({
      datapath: spec.datapaths[(k + i) % n] as Datapath,
      repeat: k + 1,
    })),
  ).flat();
}
