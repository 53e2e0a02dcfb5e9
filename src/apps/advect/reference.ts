/**
 * The kernel in plain JavaScript over a Float64Array, same layout and arithmetic as the
 * WebAssembly one (assembly/advect.ts): the tests hold the two to bitwise equality, and
 * bench kernel measures both against C.
 */
import type { Triple } from './params.js';

export function referenceStep(
  field: Float64Array,
  count: Triple,
  cx: number,
  cy: number,
  cz: number,
): void {
  const [nx, ny, nz] = count;
  const c0 = 1.0 - cx - cy - cz;
  const sy = nz + 1;
  const sx = (ny + 1) * sy;
  for (let x = nx; x >= 1; x--) {
    for (let y = ny; y >= 1; y--) {
      const row = x * sx + y * sy;
      for (let z = nz; z >= 1; z--) {
        const i = row + z;
        field[i] =
          c0 * (field[i] as number) +
          cx * (field[i - sx] as number) +
          cy * (field[i - sy] as number) +
          cz * (field[i - 1] as number);
      }
    }
  }
}
