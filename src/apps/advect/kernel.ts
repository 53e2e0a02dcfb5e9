/**
 * A rank's block in WebAssembly memory, and the kernel that updates it (assembly/advect.ts,
 * compiled to dist/wasm/advect.wasm with SIMD). The block, the faces it sends and the ghosts it
 * receives all live in one fixed-size memory, so the runtime sends and receives straight from
 * and into it (no copies in JavaScript) and views never go stale.
 *
 * Chosen by measurement (npm run bench:kernel): plain JavaScript over Float64Array and the
 * WebAssembly SIMD kernel against the same kernel in C.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { VmpathError } from '../../core/errors.js';
import type { Triple } from './params.js';

const WASM = fileURLToPath(new URL('../../../wasm/advect.wasm', import.meta.url));
/** Bytes below the block: the module's own static data. */
export const BASE = 65536;
const PAGE = 65536;
/** What one WebAssembly memory can hold (32-bit addresses). */
export const MAX_MEMORY_BYTES = 65536 * PAGE;

interface Exports {
  step(p: number, nx: number, ny: number, nz: number, cx: number, cy: number, cz: number): void;
  pack(p: number, nx: number, ny: number, nz: number, dim: number, out: number): void;
  unpack(p: number, nx: number, ny: number, nz: number, dim: number, from: number): void;
  checksum(
    p: number,
    nx: number,
    ny: number,
    nz: number,
    gx: bigint,
    gy: bigint,
    gz: bigint,
    gy1: bigint,
    gz1: bigint,
  ): bigint;
}

let compiled: WebAssembly.Module | null = null;

function module(): WebAssembly.Module {
  if (!compiled) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(WASM);
    } catch (error) {
      throw new VmpathError(
        'E_APP_FAILED',
        `the advection kernel ${WASM} is missing (${(error as NodeJS.ErrnoException).code}): run npm run build`,
      );
    }
    // Compile with the optimizing tier at once: V8 would start in its baseline compiler
    // (Liftoff) and optimize in the background, and a short run would spend its steps in the
    // slower code (measured: compute 3.5x the C twin's in bench advect-vs-c).
    setFlagsFromString('--no-liftoff');
    compiled = new WebAssembly.Module(bytes);
  }
  return compiled;
}

/** Cells of the face of dimension `dim` of a block of `count` cells. */
export function faceCells(count: Triple, dim: number): number {
  return dim === 0 ? count[1] * count[2] : dim === 1 ? count[0] * count[2] : count[0] * count[1];
}

/** Bytes of the padded block (one time level plus the ghost planes). */
export function fieldBytes(count: Triple): number {
  return (count[0] + 1) * (count[1] + 1) * (count[2] + 1) * 8;
}

/** Bytes of memory a block needs: the field, and a send and a receive face per dimension. */
export function blockBytes(count: Triple): number {
  const faces = [0, 1, 2].reduce((sum, d) => sum + 2 * faceCells(count, d) * 8, 0);
  return BASE + fieldBytes(count) + faces;
}

export class BlockMemory {
  readonly count: Triple;
  readonly memory: WebAssembly.Memory;
  /** The padded block: cell (x, y, z), 0 being the ghost plane, at index(x, y, z). */
  readonly field: Float64Array;
  /** The face each dimension sends to its successor, and the ghost face it receives. */
  readonly send: readonly [Buffer, Buffer, Buffer];
  readonly recv: readonly [Buffer, Buffer, Buffer];
  readonly #kernel: Exports;
  readonly #sendAt: number[] = [];
  readonly #recvAt: number[] = [];

  constructor(count: Triple) {
    this.count = count;
    const bytes = blockBytes(count);
    if (bytes > MAX_MEMORY_BYTES)
      throw new VmpathError(
        'E_APP_MEMORY',
        `a block of ${count.join('x')} cells needs ${bytes} bytes; one rank can hold at most ${MAX_MEMORY_BYTES} (4 GiB): use more ranks`,
      );
    const pages = Math.ceil(bytes / PAGE);
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const instance = new WebAssembly.Instance(module(), { env: { memory: this.memory } });
    this.#kernel = instance.exports as unknown as Exports;
    const cells = fieldBytes(count) / 8;
    this.field = new Float64Array(this.memory.buffer, BASE, cells);
    let at = BASE + fieldBytes(count);
    const faces = (which: number[]) =>
      [0, 1, 2].map((d) => {
        const length = faceCells(count, d) * 8;
        which.push(at);
        const view = Buffer.from(this.memory.buffer, at, length);
        at += length;
        return view;
      }) as unknown as [Buffer, Buffer, Buffer];
    this.send = faces(this.#sendAt);
    this.recv = faces(this.#recvAt);
  }

  index(x: number, y: number, z: number): number {
    return (x * (this.count[1] + 1) + y) * (this.count[2] + 1) + z;
  }

  /** One upwind step in place; cx = a dt / dx and so on. */
  step(cx: number, cy: number, cz: number): void {
    const [nx, ny, nz] = this.count;
    this.#kernel.step(BASE, nx, ny, nz, cx, cy, cz);
  }

  /** Copies the last plane of `dim` into `send[dim]`. */
  pack(dim: number): void {
    const [nx, ny, nz] = this.count;
    this.#kernel.pack(BASE, nx, ny, nz, dim, this.#sendAt[dim] as number);
  }

  /** Copies `recv[dim]` into the ghost plane of `dim`. */
  unpack(dim: number): void {
    const [nx, ny, nz] = this.count;
    this.#kernel.unpack(BASE, nx, ny, nz, dim, this.#recvAt[dim] as number);
  }

  /** This block's share of the checksum (unsigned 64-bit); `start` is its first global cell. */
  checksum(start: Triple, grid: Triple): bigint {
    const [nx, ny, nz] = this.count;
    const share = this.#kernel.checksum(
      BASE,
      nx,
      ny,
      nz,
      BigInt(start[0]),
      BigInt(start[1]),
      BigInt(start[2]),
      BigInt(grid[1]),
      BigInt(grid[2]),
    );
    return BigInt.asUintN(64, share);
  }
}
