/**
 * What the report's parts share: spreads over repeats, the order data paths and placements are
 * listed in, grouping. Pure.
 */
import { DATAPATHS } from '../../topology/types.js';

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

export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
