/**
 * One rank's run of the advection problem: its block, initial values, and per step the
 * exchange of faces with its neighbours (or the analytic inflow at the domain's boundary), then
 * the kernel. Times computation, packing and communication apart. With no communicator the
 * block is the whole grid (the serial run).
 */
import { VmpathError } from '../../core/errors.js';
import { blockOf } from './decomp.js';
import { BlockMemory } from './kernel.js';
import type { AdvectParams, Triple } from './params.js';
import { phiLine } from './profile.js';

/** What the solver needs of the runtime (vmpath/runtime's World provides it). */
export interface Messenger {
  isend(data: ArrayBufferView, dest: number, tag: number): { done: Promise<void> };
  irecv(source: number, tag: number, into?: ArrayBufferView): { done: Promise<unknown> };
  barrier(): Promise<void>;
}

export interface RankResult {
  readonly rank: number;
  readonly coords: Triple;
  readonly cells: Triple;
  /** Seconds in the kernel (and the analytic inflow), in packing and unpacking faces, blocked
   * waiting for messages, and from the first step to the last. */
  readonly computeS: number;
  readonly packS: number;
  readonly commS: number;
  readonly wallS: number;
  /** CPU seconds (user and system) the process used during the steps. */
  readonly cpuS: number;
  /** Of which in the kernel's steps (the TypeScript engine's ranks only): the kernel's cost as
   * the rank paid it, sharing the caches and the cores with the others (vmpath calibrate). */
  readonly kernelCpuS?: number;
  readonly messagesSent: number;
  readonly bytesSent: number;
  /** This block's share of the checksum (16 hex digits) and of the error norms. */
  readonly checksum: string;
  readonly errorSum: number;
  readonly errorMax: number;
  /** Largest resident set of the process, in bytes. */
  readonly maxRssBytes: number;
}

/** What can stop a run between steps: an abort (Ctrl-C), and a time limit from its start. */
export interface SolveControl {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/** How long the steps may run without a turn of the event loop, where signals and timers wait
 * (a serial run awaits nothing else). */
const YIELD_EVERY_MS = 50;

const seconds = (from: number) => (performance.now() - from) / 1000;
const cpuSeconds = (used: NodeJS.CpuUsage) => (used.user + used.system) / 1e6;

export async function solveBlock(
  params: AdvectParams,
  rank: number,
  messenger: Messenger | null,
  control: SolveControl = {},
): Promise<RankResult> {
  const { grid, velocity, dt, steps } = params;
  const block = blockOf(grid, params.decomp, rank);
  const { count, start } = block;
  const memory = new BlockMemory(count);
  const field = memory.field;
  const [nx, ny, nz] = count;
  const lines = (step: number) =>
    [0, 1, 2].map((d) =>
      phiLine(
        grid[d] as number,
        start[d] as number,
        count[d] as number,
        velocity[d] as number,
        step,
        dt,
      ),
    ) as [Float64Array, Float64Array, Float64Array];

  // Initial values: u(x, y, z, 0) on every cell of the block.
  const initialize = () => {
    const [px, py, pz] = lines(0);
    for (let x = 1; x <= nx; x++)
      for (let y = 1; y <= ny; y++) {
        const row = memory.index(x, y, 0);
        const xy = (px[x] as number) * (py[y] as number);
        for (let z = 1; z <= nz; z++) field[row + z] = xy * (pz[z] as number);
      }
  };
  initialize();

  /** The ghost plane of `dim` from the analytic solution at `step` (the inflow boundary). */
  const inflow = (dim: number, p: [Float64Array, Float64Array, Float64Array]) => {
    const [px, py, pz] = p;
    if (dim === 0) {
      for (let y = 1; y <= ny; y++) {
        const row = memory.index(0, y, 0);
        const xy = (px[0] as number) * (py[y] as number);
        for (let z = 1; z <= nz; z++) field[row + z] = xy * (pz[z] as number);
      }
    } else if (dim === 1) {
      for (let x = 1; x <= nx; x++) {
        const row = memory.index(x, 0, 0);
        const xy = (px[x] as number) * (py[0] as number);
        for (let z = 1; z <= nz; z++) field[row + z] = xy * (pz[z] as number);
      }
    } else {
      for (let x = 1; x <= nx; x++)
        for (let y = 1; y <= ny; y++)
          field[memory.index(x, y, 0)] = (px[x] as number) * (py[y] as number) * (pz[0] as number);
    }
  };

  const cx = velocity[0] * dt * grid[0];
  const cy = velocity[1] * dt * grid[1];
  const cz = velocity[2] * dt * grid[2];
  const dims = [0, 1, 2];
  let computeS = 0;
  let packS = 0;
  let commS = 0;
  let kernelCpuS = 0;
  let messagesSent = 0;
  let bytesSent = 0;
  // Each step's receives are posted as soon as the ghost buffers are free (after the previous
  // step's unpacking), so that faces land straight in them rather than arriving unexpected
  // (the runtime would then allocate a buffer per message).
  const upwind = messenger ? dims.filter((d) => block.predecessor[d] !== null) : [];
  const outgoing = messenger ? dims.filter((d) => block.successor[d] !== null) : [];
  const boundary = dims.filter((d) => block.predecessor[d] === null);
  const post = () =>
    upwind.map(
      (d) => (messenger as Messenger).irecv(block.predecessor[d] as number, d, memory.recv[d]).done,
    );
  let yielded = performance.now();
  const deadline = control.timeoutMs === undefined ? Infinity : yielded + control.timeoutMs;
  /** Lets the event loop run now and then, and stops on an abort or past the deadline. */
  const checkpoint = async () => {
    if (performance.now() - yielded < YIELD_EVERY_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    yielded = performance.now();
    if (control.signal?.aborted) throw control.signal.reason;
    if (yielded > deadline)
      throw new VmpathError(
        'E_APP_TIMEOUT',
        `timed out after ${(control.timeoutMs ?? 0) / 1000} s (--timeout); the run was ended`,
      );
  };
  const advance = async (count: number) => {
    let receives = post();
    for (let step = 0; step < count; step++) {
      await checkpoint();
      let t = performance.now();
      for (const d of outgoing) memory.pack(d);
      packS += seconds(t);
      t = performance.now();
      const sends = outgoing.map((d) => {
        const face = memory.send[d] as Buffer;
        messagesSent++;
        bytesSent += face.length;
        return (messenger as Messenger).isend(face, block.successor[d] as number, d).done;
      });
      commS += seconds(t);
      t = performance.now();
      if (boundary.length > 0) {
        const p = lines(step);
        for (const d of boundary) inflow(d, p);
      }
      computeS += seconds(t);
      t = performance.now();
      await Promise.all(receives);
      commS += seconds(t);
      t = performance.now();
      for (const d of upwind) memory.unpack(d);
      packS += seconds(t);
      if (step + 1 < count) receives = post();
      t = performance.now();
      const cpuBefore = process.cpuUsage();
      memory.step(cx, cy, cz);
      computeS += seconds(t);
      kernelCpuS += cpuSeconds(process.cpuUsage(cpuBefore));
      // The faces must be out of their buffers before the next step packs into them.
      t = performance.now();
      await Promise.all(sends);
      commS += seconds(t);
    }
  };
  // Untimed warm-up steps (both engines do the same): connections, buffers and the JIT are warm
  // when the clock starts. Then the block starts again from t = 0.
  if (params.warmup > 0) {
    await advance(params.warmup);
    initialize();
    computeS = packS = commS = kernelCpuS = 0;
    messagesSent = bytesSent = 0;
  }
  // Every rank is set up (process started, kernel compiled, block filled) before the clock
  // starts, as in the C twin: the steps are timed, not the start-up.
  await messenger?.barrier();
  const cpuBegin = process.cpuUsage();
  const begin = performance.now();
  await advance(steps);
  const wallS = seconds(begin);
  const cpuS = cpuSeconds(process.cpuUsage(cpuBegin));

  // Errors against the analytic solution at the final time, and the checksum share.
  const [px, py, pz] = lines(steps);
  let errorSum = 0;
  let errorMax = 0;
  for (let x = 1; x <= nx; x++)
    for (let y = 1; y <= ny; y++) {
      const row = memory.index(x, y, 0);
      const xy = (px[x] as number) * (py[y] as number);
      for (let z = 1; z <= nz; z++) {
        const e = Math.abs((field[row + z] as number) - xy * (pz[z] as number));
        errorSum += e;
        if (e > errorMax) errorMax = e;
      }
    }
  return {
    rank,
    coords: block.coords,
    cells: count,
    computeS,
    packS,
    commS,
    wallS,
    cpuS,
    kernelCpuS,
    messagesSent,
    bytesSent,
    checksum: memory.checksum(start, grid).toString(16).padStart(16, '0'),
    errorSum,
    errorMax,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}
