/**
 * The C MPI programs of apps/ (and the failure fixture), built once per test process with
 * mpicc, and the communication matrices they are known to have: what `vmpath run mpi
 * --profile` must measure.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './paths.js';
import { tempDir } from './temp.js';

export type Program = 'halo2d' | 'alltoall' | 'wavefront' | 'fail';

const SOURCES: Record<Program, string> = {
  halo2d: 'apps/halo2d-c/halo2d.c',
  alltoall: 'apps/alltoall-c/alltoall.c',
  wavefront: 'apps/wavefront-c/wavefront.c',
  fail: 'test/fixtures/apps/fail.c',
};

let dir: string | null = null;
const built = new Map<Program, string>();

/** The program's executable, built on first use. */
export function programPath(name: Program): string {
  const known = built.get(name);
  if (known) return known;
  dir ??= tempDir('vmpath-mpi-programs-');
  const out = join(dir, name);
  const result = spawnSync('mpicc', ['-O2', '-o', out, join(ROOT, SOURCES[name]), '-lm'], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`mpicc ${name}: ${result.stderr}`);
  built.set(name, out);
  return out;
}

export interface Pair {
  from: number;
  to: number;
  messages: number;
  bytes: number;
}

function add(pairs: Map<string, Pair>, from: number, to: number, messages: number, bytes: number) {
  const key = `${from}>${to}`;
  const p = pairs.get(key) ?? { from, to, messages: 0, bytes: 0 };
  p.messages += messages;
  p.bytes += bytes;
  pairs.set(key, p);
}

const sorted = (pairs: Map<string, Pair>) =>
  [...pairs.values()].sort((a, b) => a.from - b.from || a.to - b.to);

/** halo2d NX NY PX PY ITERS: four halos per rank and iteration, then a sum to rank 0. */
export function halo2dMatrix(
  nx: number,
  ny: number,
  px: number,
  py: number,
  iters: number,
): Pair[] {
  const pairs = new Map<string, Pair>();
  const bx = nx / px;
  const by = ny / py;
  for (let rank = 0; rank < px * py; rank++) {
    const cx = rank % px;
    const cy = Math.floor(rank / px);
    const left = cy * px + ((cx + px - 1) % px);
    const right = cy * px + ((cx + 1) % px);
    const up = ((cy + py - 1) % py) * px + cx;
    const down = ((cy + 1) % py) * px + cx;
    for (const [to, doubles] of [
      [left, by],
      [right, by],
      [up, bx],
      [down, bx],
    ] as const)
      add(pairs, rank, to, iters, iters * doubles * 8);
    if (rank !== 0) add(pairs, rank, 0, 1, 8);
  }
  return sorted(pairs);
}

/** alltoall ROUNDS BYTES on `n` ranks: each to each other, ROUNDS messages of BYTES. */
export function alltoallMatrix(n: number, rounds: number, bytes: number): Pair[] {
  const pairs = new Map<string, Pair>();
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++) if (a !== b) add(pairs, a, b, rounds, rounds * bytes);
  return sorted(pairs);
}

/** wavefront ROWS COLS on `n` ranks: ROWS - 1 messages of 8 bytes down the chain. */
export function wavefrontMatrix(n: number, rows: number): Pair[] {
  const pairs = new Map<string, Pair>();
  for (let r = 0; r + 1 < n; r++) add(pairs, r, r + 1, rows - 1, (rows - 1) * 8);
  return sorted(pairs);
}
