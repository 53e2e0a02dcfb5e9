/**
 * The `optimized` placement: graph mapping of a communication matrix onto the cluster's
 * hierarchy (hosts, then vms, then slots) by recursive bisection, each cut refined with
 * Kernighan-Lin swaps (Kernighan and Lin, 1970), so that the heaviest traffic stays inside vms,
 * then inside hosts. A cut is weighed in bytes plus a per-message charge, so that many small
 * messages count too. The slots filled are those `block` would fill (the fewest hosts and vms).
 * Pure.
 */
import type { Topology } from '../topology/types.js';
import type { Traffic } from './classes.js';
import { type Placed, place } from './patterns.js';

/** A message weighs as much as this many bytes in a cut (latency against bandwidth). */
export const MESSAGE_WEIGHT_BYTES = 4096;

type Graph = Map<number, Map<number, number>>;

function graphOf(traffic: readonly Traffic[], n: number): Graph {
  const g: Graph = new Map(Array.from({ length: n }, (_, i) => [i, new Map<number, number>()]));
  for (const t of traffic) {
    if (t.from === t.to) continue;
    const w = t.bytes + t.messages * MESSAGE_WEIGHT_BYTES;
    if (w <= 0) continue;
    for (const [a, b] of [
      [t.from, t.to],
      [t.to, t.from],
    ] as const) {
      const row = g.get(a);
      if (!row) throw new RangeError(`traffic names rank ${a}, outside ${n} ranks`);
      row.set(b, (row.get(b) ?? 0) + w);
    }
  }
  return g;
}

const CANDIDATES = 24;

/** Splits `ranks` into a part of `size` and the rest, minimising the weight between them. */
export function bisect(graph: Graph, ranks: readonly number[], size: number): [number[], number[]] {
  const side = new Map<number, 0 | 1>();
  for (const [i, r] of ranks.entries()) side.set(r, i < size ? 0 : 1);
  // D(v): weight to the other side minus weight to its own side (members of `ranks` only).
  const d = new Map<number, number>();
  const gainOf = (v: number) => {
    let ext = 0;
    let int = 0;
    for (const [u, w] of graph.get(v) ?? []) {
      const s = side.get(u);
      if (s === undefined) continue;
      if (s === side.get(v)) int += w;
      else ext += w;
    }
    return ext - int;
  };
  for (const r of ranks) d.set(r, gainOf(r));
  const limit = ranks.length * 2;
  for (let swaps = 0; swaps < limit; swaps++) {
    const top = (s: 0 | 1) =>
      ranks
        .filter((r) => side.get(r) === s)
        .sort((x, y) => (d.get(y) as number) - (d.get(x) as number))
        .slice(0, CANDIDATES);
    const a = top(0);
    const b = top(1);
    let best = 0;
    let pair: [number, number] | null = null;
    for (const x of a)
      for (const y of b) {
        const gain = (d.get(x) as number) + (d.get(y) as number) - 2 * (graph.get(x)?.get(y) ?? 0);
        if (gain > best + 1e-9) {
          best = gain;
          pair = [x, y];
        }
      }
    if (!pair) break;
    const [x, y] = pair;
    side.set(x, 1);
    side.set(y, 0);
    for (const v of new Set([
      x,
      y,
      ...(graph.get(x)?.keys() ?? []),
      ...(graph.get(y)?.keys() ?? []),
    ]))
      if (side.has(v)) d.set(v, gainOf(v));
  }
  const first = ranks.filter((r) => side.get(r) === 0);
  const second = ranks.filter((r) => side.get(r) === 1);
  return [first, second];
}

interface Group {
  readonly size: number;
  /** Subgroups (hosts hold vms), or the slots themselves at the leaves. */
  readonly children: readonly Group[] | null;
  readonly slots: readonly Omit<Placed, 'rank'>[];
}

function assign(
  graph: Graph,
  ranks: readonly number[],
  groups: readonly Group[],
  out: Placed[],
): void {
  if (groups.length === 1) {
    const g = groups[0] as Group;
    if (g.children && g.children.length > 1) {
      assign(graph, ranks, g.children, out);
      return;
    }
    for (const [i, rank] of ranks.entries())
      out[rank] = { rank, ...(g.slots[i] as Omit<Placed, 'rank'>) };
    return;
  }
  const half = Math.ceil(groups.length / 2);
  const left = groups.slice(0, half);
  const right = groups.slice(half);
  const size = left.reduce((s, g) => s + g.size, 0);
  const [a, b] = bisect(graph, ranks, size);
  assign(graph, a, left, out);
  assign(graph, b, right, out);
}

/** Places `n` ranks so that the traffic crosses as few vm and host boundaries as it can. */
export function optimizedPlacement(
  topology: Topology,
  traffic: readonly Traffic[],
  n: number,
  field = '--placement',
): Placed[] {
  const slots = place(topology, 'block', n, field);
  const groups: Group[] = [];
  for (const host of topology.hosts) {
    const mine = slots.filter((s) => s.host === host.name);
    if (mine.length === 0) continue;
    const vms: Group[] = [];
    for (const vm of new Set(mine.map((s) => s.vm))) {
      const inVm = mine.filter((s) => s.vm === vm).map(({ rank: _, ...slot }) => slot);
      vms.push({ size: inVm.length, children: null, slots: inVm });
    }
    groups.push({ size: mine.length, children: vms, slots: vms.flatMap((v) => v.slots) });
  }
  const graph = graphOf(traffic, n);
  const out: Placed[] = new Array(n);
  assign(
    graph,
    Array.from({ length: n }, (_, i) => i),
    groups,
    out,
  );
  return out;
}

/** Bytes plus the message charge between ranks in different vms and different hosts. */
export function cutWeights(
  placement: readonly Placed[],
  traffic: readonly Traffic[],
): { interVm: number; interHost: number } {
  let interVm = 0;
  let interHost = 0;
  for (const t of traffic) {
    const a = placement[t.from];
    const b = placement[t.to];
    if (!a || !b) continue;
    const w = t.bytes + t.messages * MESSAGE_WEIGHT_BYTES;
    if (a.host !== b.host) interHost += w;
    else if (a.vm !== b.vm) interVm += w;
  }
  return { interVm, interHost };
}

/** A named pattern, or `optimized` for this traffic (the graph mapping above). */
export function placeFor(
  topology: Topology,
  pattern: string,
  n: number,
  traffic: readonly Traffic[],
  field = '--placement',
): Placed[] {
  return pattern === 'optimized'
    ? optimizedPlacement(topology, traffic, n, field)
    : place(topology, pattern, n, field);
}
