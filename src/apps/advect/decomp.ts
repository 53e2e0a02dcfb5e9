/**
 * Block decomposition of the grid over P x Q x R ranks. Pure.
 * Along a dimension of n cells split p ways, the first n mod p blocks get one cell more.
 * Rank r sits at (px, py, pz) with r = (px * Q + py) * R + pz; its predecessor along a split
 * dimension is the rank one step lower there (the upwind side), its successor one step higher.
 */
import type { Triple } from './params.js';

export interface Block {
  readonly rank: number;
  readonly coords: Triple;
  /** First global cell (0-based) and number of cells, per dimension. */
  readonly start: Triple;
  readonly count: Triple;
  /** Neighbour ranks per dimension; null at the domain boundary or when not split. */
  readonly predecessor: readonly [number | null, number | null, number | null];
  readonly successor: readonly [number | null, number | null, number | null];
}

export function range(n: number, p: number, i: number): { start: number; count: number } {
  const base = Math.floor(n / p);
  const extra = n % p;
  return { start: i * base + Math.min(i, extra), count: base + (i < extra ? 1 : 0) };
}

export function rankOf(decomp: Triple, coords: Triple): number {
  return (coords[0] * decomp[1] + coords[1]) * decomp[2] + coords[2];
}

export function blockOf(grid: Triple, decomp: Triple, rank: number): Block {
  const coords: Triple = [
    Math.floor(rank / (decomp[1] * decomp[2])),
    Math.floor(rank / decomp[2]) % decomp[1],
    rank % decomp[2],
  ];
  const ranges = [0, 1, 2].map((d) =>
    range(grid[d] as number, decomp[d] as number, coords[d] as number),
  );
  const neighbour = (d: number, step: number): number | null => {
    const c: [number, number, number] = [coords[0], coords[1], coords[2]];
    const moved = (c[d] as number) + step;
    if (moved < 0 || moved >= (decomp[d] as number)) return null;
    c[d] = moved;
    return rankOf(decomp, c);
  };
  return {
    rank,
    coords,
    start: ranges.map((r) => r.start) as unknown as Triple,
    count: ranges.map((r) => r.count) as unknown as Triple,
    predecessor: [neighbour(0, -1), neighbour(1, -1), neighbour(2, -1)],
    successor: [neighbour(0, 1), neighbour(1, 1), neighbour(2, 1)],
  };
}

/** Messages per step of the whole run: one per rank per split dimension it has a successor in. */
export function messagesPerStep(decomp: Triple): number {
  const [p, q, r] = decomp;
  return (p - 1) * q * r + p * (q - 1) * r + p * q * (r - 1);
}
