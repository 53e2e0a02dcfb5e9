/**
 * The advection problem: what a run computes, parsed and checked. Pure.
 *
 * u_t + a u_x + b u_y + c u_z = 0 on the unit cube, X x Y x Z cells, T steps of dt, with
 * a, b, c > 0; first-order upwind is stable for a dt/dx + b dt/dy + c dt/dz <= 1 (the Courant
 * number). By default dt is 0.9 of the stable limit. A decomposition P x Q x R splits the grid
 * into blocks, one per rank.
 */
import { invalidField } from '../../core/errors.js';
import { decimal } from '../../core/units.js';

export type Triple = readonly [number, number, number];

export interface AdvectParams {
  readonly grid: Triple;
  readonly steps: number;
  readonly decomp: Triple;
  readonly velocity: Triple;
  readonly dt: number;
  /** Untimed steps run first (then the block starts again from t = 0): the JIT, buffers and
   * connections are warm when the clock starts. Results do not depend on it. */
  readonly warmup: number;
}

/** What runs the ranks: the vmpath runtime, or the C twin on Open MPI (run.ts). */
export const ENGINES = ['vmpath', 'openmpi'] as const;
export type Engine = (typeof ENGINES)[number];

/** The most time steps a run may ask for (the study: 512): past it a run is a mistake. */
export const MAX_STEPS = 1_000_000;

/** The problem the model's commands assume when not told (the study's: 512^3 cells, 512 steps,
 * 16 ranks in slabs), and the larger one `vmpath simulate` extrapolates to by default. */
export const ADVECT_DEFAULTS = {
  grid: '512x512x512',
  steps: '512',
  decomp: '1x1x16',
  simulateGrid: '1024x1024x2048',
} as const;

/** The Courant number used when dt is not given. */
export const DEFAULT_COURANT = 0.9;
export const DEFAULT_VELOCITY: Triple = [1, 1, 1];

/** Parses `AxBxC` into three whole numbers >= 1 (`field` names the option in errors). */
export function parseDims(text: string, field: string): Triple {
  const parts = text.split('x');
  const values = parts.map(decimal);
  if (parts.length !== 3 || values.some((v) => !Number.isInteger(v) || v < 1))
    throw invalidField(
      'E_APP_INPUT',
      field,
      text,
      'three whole numbers >= 1 joined by x, e.g. 64x64x64',
    );
  return values as unknown as Triple;
}

/** Parses `a,b,c` into three positive finite numbers. */
export function parseVelocity(text: string, field = '--velocity'): Triple {
  const parts = text.split(',');
  const values = parts.map(decimal);
  if (parts.length !== 3 || values.some((v) => !Number.isFinite(v) || v <= 0))
    throw invalidField(
      'E_APP_INPUT',
      field,
      text,
      'three numbers > 0 joined by commas, e.g. 1,1,1 (upwind needs a, b, c > 0)',
    );
  return values as unknown as Triple;
}

/** The Courant number of a time step. */
export function courant(grid: Triple, velocity: Triple, dt: number): number {
  return dt * (velocity[0] * grid[0] + velocity[1] * grid[1] + velocity[2] * grid[2]);
}

/** Checks a problem and fills in dt; `ranks`, when known, must equal the decomposition's product. */
export function makeParams(
  input: {
    grid: Triple;
    steps: number;
    decomp: Triple;
    velocity?: Triple;
    dt?: number;
    warmup?: number;
  },
  ranks?: number,
): AdvectParams {
  const { grid, decomp, steps } = input;
  const velocity = input.velocity ?? DEFAULT_VELOCITY;
  if (!Number.isInteger(steps) || steps < 1 || steps > MAX_STEPS)
    throw invalidField('E_APP_INPUT', '--steps', steps, `a whole number from 1 to ${MAX_STEPS}`);
  const names = ['X', 'Y', 'Z'];
  grid.forEach((cells, d) => {
    if ((decomp[d] as number) > cells)
      throw invalidField(
        'E_APP_INPUT',
        '--decomp',
        decomp.join('x'),
        `at most ${cells} processes along ${names[d]} (the grid has ${cells} cells there)`,
      );
  });
  const product = decomp[0] * decomp[1] * decomp[2];
  if (ranks !== undefined && product !== ranks)
    throw invalidField(
      'E_APP_INPUT',
      '--decomp',
      decomp.join('x'),
      `a decomposition whose product is the ${ranks} ranks (this one has ${product})`,
    );
  const limit = 1 / (velocity[0] * grid[0] + velocity[1] * grid[1] + velocity[2] * grid[2]);
  const dt = input.dt ?? DEFAULT_COURANT * limit;
  if (!Number.isFinite(dt) || dt <= 0)
    throw invalidField('E_APP_INPUT', '--dt', dt, 'a time step > 0');
  const number = courant(grid, velocity, dt);
  if (number > 1)
    throw invalidField(
      'E_APP_INPUT',
      '--dt',
      dt,
      `at most ${limit} for this grid and velocity (Courant number ${number.toFixed(3)} > 1: upwind would be unstable)`,
    );
  const warmup = input.warmup ?? 0;
  if (!Number.isInteger(warmup) || warmup < 0)
    throw invalidField('E_APP_INPUT', '--warmup', warmup, 'a whole number of steps >= 0');
  return { grid, steps, decomp, velocity, dt, warmup };
}

/** The command-line form of a problem (what ranks and the C twin are given). */
export function paramsArgv(p: AdvectParams): string[] {
  return [
    '--grid',
    p.grid.join('x'),
    '--steps',
    String(p.steps),
    '--decomp',
    p.decomp.join('x'),
    '--velocity',
    p.velocity.join(','),
    '--dt',
    // 17 significant digits give back the same double
    p.dt.toPrecision(17),
    '--warmup',
    String(p.warmup),
  ];
}

/** Separates the problems of a series in the ranks' arguments (seriesArgv). */
export const SERIES_SEPARATOR = '--then';

/** The command-line form of problems solved one after the other by one job's ranks. */
export function seriesArgv(problems: readonly AdvectParams[]): string[] {
  return problems.flatMap((p, i) =>
    i === 0 ? paramsArgv(p) : [SERIES_SEPARATOR, ...paramsArgv(p)],
  );
}

/** The problems' arguments of a series, one list each. */
export function splitSeries(args: readonly string[]): string[][] {
  const out: string[][] = [[]];
  for (const arg of args) {
    if (arg === SERIES_SEPARATOR) out.push([]);
    else (out[out.length - 1] as string[]).push(arg);
  }
  return out;
}
