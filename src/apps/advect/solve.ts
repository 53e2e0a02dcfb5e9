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

/** The figures a run accumulates over its timed steps. */
interface Tally {
  computeS: number;
  packS: number;
  commS: number;
  kernelCpuS: number;
  messagesSent: number;
  bytesSent: number;
}
const emptyTally = (): Tally => ({
  computeS: 0,
  packS: 0,
  commS: 0,
  kernelCpuS: 0,
  messagesSent: 0,
  bytesSent: 0,
});

/** One rank's block and how it steps: initial values, the analytic inflow, the exchange of
 * faces and the kernel, timed part by part. */
class BlockSolver {
  readonly params: AdvectParams;
  readonly block: ReturnType<typeof blockOf>;
  readonly memory: BlockMemory;
  readonly #messenger: Messenger | null;
  readonly #control: SolveControl;
  readonly #courant: Triple;
  /** The split dimensions this block receives along, sends along, and takes inflow on. */
  readonly #upwind: number[];
  readonly #outgoing: number[];
  readonly #boundary: number[];
  #yielded = performance.now();
  readonly #deadline: number;
  tally: Tally = emptyTally();

  constructor(
    params: AdvectParams,
    rank: number,
    messenger: Messenger | null,
    control: SolveControl,
  ) {
    const { grid, velocity, dt } = params;
    this.params = params;
    this.block = blockOf(grid, params.decomp, rank);
    this.memory = new BlockMemory(this.block.count);
    this.#messenger = messenger;
    this.#control = control;
    this.#courant = [
      velocity[0] * dt * grid[0],
      velocity[1] * dt * grid[1],
      velocity[2] * dt * grid[2],
    ];
    const dims = [0, 1, 2];
    this.#upwind = messenger ? dims.filter((d) => this.block.predecessor[d] !== null) : [];
    this.#outgoing = messenger ? dims.filter((d) => this.block.successor[d] !== null) : [];
    this.#boundary = dims.filter((d) => this.block.predecessor[d] === null);
    this.#deadline = control.timeoutMs === undefined ? Infinity : this.#yielded + control.timeoutMs;
  }

  /** The analytic profile's lines along each dimension at `step`. */
  lines(step: number): [Float64Array, Float64Array, Float64Array] {
    const { grid, velocity, dt } = this.params;
    const { start, count } = this.block;
    return [0, 1, 2].map((d) =>
      phiLine(
        grid[d] as number,
        start[d] as number,
        count[d] as number,
        velocity[d] as number,
        step,
        dt,
      ),
    ) as [Float64Array, Float64Array, Float64Array];
  }

  /** Initial values: u(x, y, z, 0) on every cell of the block. */
  initialize(): void {
    const [px, py, pz] = this.lines(0);
    const { memory } = this;
    const field = memory.field;
    const [nx, ny, nz] = this.block.count;
    for (let x = 1; x <= nx; x++)
      for (let y = 1; y <= ny; y++) {
        const row = memory.index(x, y, 0);
        const xy = (px[x] as number) * (py[y] as number);
        for (let z = 1; z <= nz; z++) field[row + z] = xy * (pz[z] as number);
      }
  }

  /** The ghost plane of `dim` from the analytic solution (the inflow boundary). */
  #inflow(dim: number, [px, py, pz]: [Float64Array, Float64Array, Float64Array]): void {
    const { memory } = this;
    const field = memory.field;
    const [nx, ny, nz] = this.block.count;
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
  }

  /** Each step's receives are posted as soon as the ghost buffers are free (after the previous
   * step's unpacking), so that faces land straight in them rather than arriving unexpected
   * (the runtime would then allocate a buffer per message). */
  #post(): Promise<unknown>[] {
    const messenger = this.#messenger as Messenger;
    return this.#upwind.map(
      (d) => messenger.irecv(this.block.predecessor[d] as number, d, this.memory.recv[d]).done,
    );
  }

  /** Lets the event loop run now and then, and stops on an abort or past the deadline. */
  async #checkpoint(): Promise<void> {
    if (performance.now() - this.#yielded < YIELD_EVERY_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.#yielded = performance.now();
    if (this.#control.signal?.aborted) throw this.#control.signal.reason;
    if (this.#yielded > this.#deadline)
      throw new VmpathError(
        'E_APP_TIMEOUT',
        `timed out after ${(this.#control.timeoutMs ?? 0) / 1000} s (--timeout); the run was ended`,
      );
  }

  /** `count` steps: pack and send, inflow, receive and unpack, the kernel, the sends done. */
  async advance(count: number): Promise<void> {
    const { memory, block, tally } = this;
    const [cx, cy, cz] = this.#courant;
    let receives = this.#post();
    for (let step = 0; step < count; step++) {
      await this.#checkpoint();
      let t = performance.now();
      for (const d of this.#outgoing) memory.pack(d);
      tally.packS += seconds(t);
      t = performance.now();
      const sends = this.#outgoing.map((d) => {
        const face = memory.send[d] as Buffer;
        tally.messagesSent++;
        tally.bytesSent += face.length;
        return (this.#messenger as Messenger).isend(face, block.successor[d] as number, d).done;
      });
      tally.commS += seconds(t);
      t = performance.now();
      if (this.#boundary.length > 0) {
        const p = this.lines(step);
        for (const d of this.#boundary) this.#inflow(d, p);
      }
      tally.computeS += seconds(t);
      t = performance.now();
      await Promise.all(receives);
      tally.commS += seconds(t);
      t = performance.now();
      for (const d of this.#upwind) memory.unpack(d);
      tally.packS += seconds(t);
      if (step + 1 < count) receives = this.#post();
      t = performance.now();
      const cpuBefore = process.cpuUsage();
      memory.step(cx, cy, cz);
      tally.computeS += seconds(t);
      tally.kernelCpuS += cpuSeconds(process.cpuUsage(cpuBefore));
      // The faces must be out of their buffers before the next step packs into them.
      t = performance.now();
      await Promise.all(sends);
      tally.commS += seconds(t);
    }
  }

  /** Errors against the analytic solution after `steps`: their sum and the largest. */
  errors(steps: number): { errorSum: number; errorMax: number } {
    const [px, py, pz] = this.lines(steps);
    const { memory } = this;
    const field = memory.field;
    const [nx, ny, nz] = this.block.count;
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
    return { errorSum, errorMax };
  }
}

export async function solveBlock(
  params: AdvectParams,
  rank: number,
  messenger: Messenger | null,
  control: SolveControl = {},
): Promise<RankResult> {
  const solver = new BlockSolver(params, rank, messenger, control);
  solver.initialize();
  // Untimed warm-up steps (both engines do the same): connections, buffers and the JIT are warm
  // when the clock starts. Then the block starts again from t = 0.
  if (params.warmup > 0) {
    await solver.advance(params.warmup);
    solver.initialize();
    solver.tally = emptyTally();
  }
  // Every rank is set up (process started, kernel compiled, block filled) before the clock
  // starts, as in the C twin: the steps are timed, not the start-up.
  await messenger?.barrier();
  const cpuBegin = process.cpuUsage();
  const begin = performance.now();
  await solver.advance(params.steps);
  const wallS = seconds(begin);
  const cpuS = cpuSeconds(process.cpuUsage(cpuBegin));
  const { block, memory } = solver;
  return {
    rank,
    coords: block.coords,
    cells: block.count,
    ...solver.tally,
    wallS,
    cpuS,
    checksum: memory.checksum(block.start, params.grid).toString(16).padStart(16, '0'),
    ...solver.errors(params.steps),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}
