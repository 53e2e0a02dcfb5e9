// The advection kernel in AssemblyScript (compiled to WebAssembly with SIMD by `npm run build`):
// one explicit first-order upwind step, updated in place, plus face packing and the checksum.
//
// A rank's block of nx x ny x nz cells lives in linear memory as (nx+1) x (ny+1) x (nz+1)
// doubles, x slowest and z fastest: cell (x, y, z) at ((x * (ny+1)) + y) * (nz+1) + z, with
// plane 0 of each dimension the ghost layer (the upwind neighbours of the first cells). With
// a, b, c > 0 a cell needs only its west, south and lower neighbours, which come earlier in
// memory: sweeping from the last cell down updates in place with one time level, since the
// neighbours of each cell are still old when it is computed.
//
// Every implementation (this one, src/apps/advect/reference.ts, apps/advect-c) evaluates
//   new = ((c0 * u + cx * west) + cy * south) + cz * down,   c0 = 1 - cx - cy - cz
// in that order, without fused multiply-adds, so that results are bitwise identical.

/** One step over the block at `p` (a byte offset in memory). */
export function step(p: usize, nx: i32, ny: i32, nz: i32, cx: f64, cy: f64, cz: f64): void {
  const c0 = 1.0 - cx - cy - cz;
  const sy = (<usize>(nz + 1)) << 3;
  const sx = <usize>(ny + 1) * sy;
  const v0 = f64x2.splat(c0);
  const vx = f64x2.splat(cx);
  const vy = f64x2.splat(cy);
  const vz = f64x2.splat(cz);
  for (let x = nx; x >= 1; x--) {
    for (let y = ny; y >= 1; y--) {
      const row = p + <usize>x * sx + <usize>y * sy;
      const west = row - sx;
      const south = row - sy;
      let z = nz;
      // Two cells at a time, (z-1, z): all loads happen before the store, so every value read
      // is still the old one.
      for (; z >= 2; z -= 2) {
        const at = (<usize>(z - 1)) << 3;
        const u = v128.load(row + at);
        const down = v128.load(row + at - 8);
        const w = v128.load(west + at);
        const s = v128.load(south + at);
        const r = f64x2.add(
          f64x2.add(f64x2.add(f64x2.mul(v0, u), f64x2.mul(vx, w)), f64x2.mul(vy, s)),
          f64x2.mul(vz, down),
        );
        v128.store(row + at, r);
      }
      if (z === 1) {
        const u = load<f64>(row + 8);
        store<f64>(
          row + 8,
          c0 * u + cx * load<f64>(west + 8) + cy * load<f64>(south + 8) + cz * load<f64>(row),
        );
      }
    }
  }
}

/** Copies the last plane of dimension `dim` (0 x, 1 y, 2 z) into the contiguous buffer at `out`
 * (the face a successor needs), in (x, y, z) order of the two other dimensions. */
export function pack(p: usize, nx: i32, ny: i32, nz: i32, dim: i32, out: usize): void {
  face(p, nx, ny, nz, dim, out, true);
}

/** Copies the contiguous buffer at `from` into ghost plane 0 of dimension `dim`. */
export function unpack(p: usize, nx: i32, ny: i32, nz: i32, dim: i32, from: usize): void {
  face(p, nx, ny, nz, dim, from, false);
}

function face(p: usize, nx: i32, ny: i32, nz: i32, dim: i32, buf: usize, packing: bool): void {
  const sy = (<usize>(nz + 1)) << 3;
  const sx = <usize>(ny + 1) * sy;
  let q = buf;
  if (dim === 0) {
    // x = nx (pack) or 0 (unpack): rows of nz contiguous cells
    const plane = p + (packing ? <usize>nx * sx : 0);
    for (let y = 1; y <= ny; y++) {
      const row = plane + <usize>y * sy + 8;
      if (packing) memory.copy(q, row, (<usize>nz) << 3);
      else memory.copy(row, q, (<usize>nz) << 3);
      q += (<usize>nz) << 3;
    }
  } else if (dim === 1) {
    const offset = packing ? <usize>ny * sy : 0;
    for (let x = 1; x <= nx; x++) {
      const row = p + <usize>x * sx + offset + 8;
      if (packing) memory.copy(q, row, (<usize>nz) << 3);
      else memory.copy(row, q, (<usize>nz) << 3);
      q += (<usize>nz) << 3;
    }
  } else {
    // z = nz or 0: one cell per row, strided
    const offset: usize = packing ? (<usize>nz) << 3 : 0;
    for (let x = 1; x <= nx; x++) {
      for (let y = 1; y <= ny; y++) {
        const at = p + <usize>x * sx + <usize>y * sy + offset;
        if (packing) store<f64>(q, load<f64>(at));
        else store<f64>(at, load<f64>(q));
        q += 8;
      }
    }
  }
}

/** The block's share of the run's checksum: the sum, modulo 2^64, over its cells of the bits of
 * each value xor (global index * 0x9E3779B97F4A7C15). Order-free, so ranks add their shares;
 * position-sensitive, so a value in the wrong cell changes it. (gx, gy, gz) is the global index
 * of the block's first cell; gy1, gz1 the grid's Y and Z. */
export function checksum(
  p: usize,
  nx: i32,
  ny: i32,
  nz: i32,
  gx: i64,
  gy: i64,
  gz: i64,
  gy1: i64,
  gz1: i64,
): i64 {
  const sy = (<usize>(nz + 1)) << 3;
  const sx = <usize>(ny + 1) * sy;
  let sum: i64 = 0;
  for (let x = 1; x <= nx; x++) {
    for (let y = 1; y <= ny; y++) {
      const row = p + <usize>x * sx + <usize>y * sy;
      const base = ((gx + x - 1) * gy1 + (gy + y - 1)) * gz1 + gz - 1;
      for (let z = 1; z <= nz; z++) {
        const bits = load<i64>(row + ((<usize>z) << 3));
        // biome-ignore lint/correctness/noPrecisionLoss: an exact i64 literal in AssemblyScript
        sum += bits ^ ((base + z) * 0x9e3779b97f4a7c15);
      }
    }
  }
  return sum;
}
