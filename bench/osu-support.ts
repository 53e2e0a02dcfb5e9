/**
 * What bench osu-tcp and osu-local share: the two engines of src/bench/osu.ts bound to the bench
 * environment, alternating rounds with medians per size, and the per-size table.
 */
import {
  buildOsuTwin,
  type OsuPoint,
  type OsuTest,
  openMpiOsu,
  vmpathOsu as runtimeOsu,
  valueAt,
} from '../src/bench/osu.js';
import { median } from '../src/bench/stats.js';
import { formatTable } from '../src/cli/table.js';
import type { TestbedNode } from '../src/testbed/nodes.js';
import type { Topology } from '../src/topology/types.js';
import { env, interrupt, requireOpenMpi, requireRoot, stopIfInterrupted } from './support.js';

export { OSU_SIZES, type OsuPoint, type OsuTest } from '../src/bench/osu.js';

export const at = valueAt;

/** Runs every side `rounds` times, rotating which goes first, and keeps per size the median. */
export async function medianCurves<S extends string>(
  rounds: number,
  sides: Record<S, () => Promise<OsuPoint[]>>,
): Promise<Record<S, OsuPoint[]>> {
  const names = Object.keys(sides) as S[];
  const runs = Object.fromEntries(names.map((n) => [n, [] as OsuPoint[][]])) as Record<
    S,
    OsuPoint[][]
  >;
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length] as S);
    for (const side of order) {
      stopIfInterrupted();
      runs[side].push(await sides[side]());
    }
  }
  const out = {} as Record<S, OsuPoint[]>;
  for (const side of names) {
    const first = runs[side][0] ?? [];
    out[side] = first.map(({ bytes }) => ({
      bytes,
      value: median(runs[side].map((curve) => at(curve, bytes))),
    }));
  }
  return out;
}

/** `8 B`, `64 KiB`, `4 MiB`. */
export function sizeLabel(bytes: number): string {
  if (bytes >= 1 << 20) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1 << 10) return `${bytes / (1 << 10)} KiB`;
  return `${bytes} B`;
}

/** Alternating runs per engine, and the sizes both engines sweep (8 B to 4 MiB). */
export const OSU_ROUNDS = 3;

/** Median latency and bandwidth curves of both engines. */
export interface OsuCurves {
  readonly latency: Record<'vmpath' | 'openmpi', OsuPoint[]>;
  readonly bw: Record<'vmpath' | 'openmpi', OsuPoint[]>;
}

/** Checks root and Open MPI, and builds the C program: what every OSU bench starts with. */
export async function prepareOsu(name: string): Promise<string> {
  requireRoot(name);
  requireOpenMpi(name);
  const { program, remove } = await buildOsuTwin(env);
  process.on('exit', remove);
  return program;
}

/** The C twin across two testbed nodes. */
export const openMpi = (
  program: string,
  a: TestbedNode,
  b: TestbedNode,
  btl: 'tcp' | 'vader',
  test: OsuTest,
  sizes: readonly [number, number],
) => openMpiOsu(env, program, a, b, btl, test, sizes, interrupt);

/** The runtime's twin as a 2-rank job between vms `a` and `b`. */
export const vmpathOsu = (
  testbed: { topology: Topology; id: string },
  a: string,
  b: string,
  test: OsuTest,
  sizes: readonly [number, number],
) => runtimeOsu(env, testbed, a, b, test, sizes, interrupt);

/** Runs both tests on both engines, OSU_ROUNDS times each, alternately. */
export async function osuCurves(
  vmpath: (test: OsuTest) => Promise<OsuPoint[]>,
  openmpi: (test: OsuTest) => Promise<OsuPoint[]>,
): Promise<OsuCurves> {
  const curves = (test: OsuTest) =>
    medianCurves(OSU_ROUNDS, { vmpath: () => vmpath(test), openmpi: () => openmpi(test) });
  const latency = await curves('latency');
  const bw = await curves('bw');
  return { latency, bw };
}

/** The per-size table of a case: latency and bandwidth of both engines, and their ratio. */
export function curveTable(title: string, { latency, bw }: OsuCurves): string {
  const rows = latency.vmpath.map(({ bytes }) => [
    sizeLabel(bytes),
    at(latency.vmpath, bytes).toFixed(1),
    at(latency.openmpi, bytes).toFixed(1),
    at(bw.vmpath, bytes).toFixed(0),
    at(bw.openmpi, bytes).toFixed(0),
    (at(bw.vmpath, bytes) / at(bw.openmpi, bytes)).toFixed(2),
  ]);
  return `${title}\n${formatTable(['size', 'vmpath us', 'Open MPI us', 'vmpath MiB/s', 'Open MPI MiB/s', 'bw ratio'], rows)}\n\n`;
}
