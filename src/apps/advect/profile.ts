/**
 * The initial profile and the analytic solution. Pure, and written with +, -, * and / only,
 * so that every implementation (the C twin included) computes the same bits.
 *   phi(s) = 1 / (1 + 4 (s - 0.3)^2), a smooth bump
 *   u(x, y, z, t) = (phi(x - a t) * phi(y - b t)) * phi(z - c t)
 * on cell centres x_i = (i + 0.5) / X. Inflow ghosts (cell -1) take u there.
 */
import type { Triple } from './params.js';

export function phi(s: number): number {
  const d = s - 0.3;
  return 1 / (1 + 4 * d * d);
}

/** phi(x_i - v t) for the cells `start - 1 .. start + count - 1` of a dimension of n cells (the
 * ghost first), at time t = step * dt. */
export function phiLine(
  n: number,
  start: number,
  count: number,
  v: number,
  step: number,
  dt: number,
): Float64Array {
  const out = new Float64Array(count + 1);
  const shift = v * (step * dt);
  for (let i = 0; i <= count; i++) out[i] = phi((start + i - 1 + 0.5) / n - shift);
  return out;
}

export function exact(grid: Triple, velocity: Triple, t: number, cell: Triple): number {
  const at = (d: number) =>
    phi(((cell[d] as number) + 0.5) / (grid[d] as number) - (velocity[d] as number) * t);
  return at(0) * at(1) * at(2);
}
