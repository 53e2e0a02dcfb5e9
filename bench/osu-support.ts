/**
 * What bench osu-tcp and osu-local share: building the Open MPI twin (bench/osu/osu.c) with
 * mpicc, running it across testbed namespaces with mpirun (the README's MPMD recipe), running
 * bench/osu-rank.ts as a 2-rank vmpath job, and the plain Node ping-pong reference.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from '../src/bench/stats.js';
import { formatTable } from '../src/cli/table.js';
import { launch } from '../src/runtime/launcher.js';
import { inNetns } from '../src/sys/command.js';
import { findExecutable } from '../src/sys/tools.js';
import type { TestbedNode } from '../src/testbed/nodes.js';
import type { Topology } from '../src/topology/types.js';
import { env, requireRoot } from './support.js';

export type OsuTest = 'latency' | 'bw';

/** One size's figure: microseconds (latency) or MiB/s (bw). */
export interface OsuPoint {
  readonly bytes: number;
  readonly value: number;
}

const SOURCE = fileURLToPath(new URL('../../bench/osu/osu.c', import.meta.url));
const RANK = fileURLToPath(new URL('./osu-rank.js', import.meta.url));
const SUBNET = '198.18.0.0/15';

/** Exits 2 naming the package when Open MPI's tools are missing. */
export function requireOpenMpi(name: string): void {
  for (const tool of ['mpicc', 'mpirun']) {
    if (!findExecutable(tool, process.env.PATH)) {
      process.stderr.write(
        `bench ${name}: needs ${tool} (apt-get install -y openmpi-bin libopenmpi-dev)\n`,
      );
      process.exit(2);
    }
  }
}

/** Compiles osu.c with mpicc into a temporary folder (removed at exit); the program's path. */
export async function buildOsu(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'vmpath-osu-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const program = join(dir, 'osu');
  await env.runner.run({
    argv: ['mpicc', '-O2', '-o', program, SOURCE],
    description: 'build the Open MPI OSU twin',
  });
  return program;
}

function points(stdout: string): OsuPoint[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      const { bytes, value } = JSON.parse(line) as OsuPoint;
      return { bytes, value };
    });
}

/** Runs the C twin with mpirun: rank 0 in `a`'s namespace, rank 1 in `b`'s (the same namespace
 * for two ranks of one vm). `btl` picks Open MPI's transport: tcp or vader (shared memory). */
export async function openMpi(
  program: string,
  a: TestbedNode,
  b: TestbedNode,
  btl: 'tcp' | 'vader',
  test: OsuTest,
  sizes: readonly [number, number],
): Promise<OsuPoint[]> {
  const args = [program, test, String(sizes[0]), String(sizes[1])];
  const second = a.netns === b.netns ? args : inNetns(b.netns, args);
  const result = await env.runner.run(
    {
      argv: inNetns(a.netns, [
        'env',
        `PMIX_MCA_ptl_tcp_if_include=${SUBNET}`,
        'mpirun',
        '--allow-run-as-root',
        '--oversubscribe',
        '--mca',
        'oob_tcp_if_include',
        SUBNET,
        '--mca',
        'btl',
        `${btl},self`,
        ...(btl === 'tcp' ? ['--mca', 'btl_tcp_if_include', SUBNET] : []),
        '-np',
        '1',
        ...args,
        ':',
        '-np',
        '1',
        ...second,
      ]),
      description: `Open MPI osu ${test} (${btl})`,
    },
    { timeoutMs: 300_000 },
  );
  return points(result.stdout);
}

/** Runs bench/osu-rank.ts as a 2-rank vmpath job: rank 0 in vm `a`, rank 1 in vm `b`. */
export async function vmpathOsu(
  testbed: { topology: Topology; id: string },
  a: string,
  b: string,
  test: OsuTest,
  sizes: readonly [number, number],
): Promise<OsuPoint[]> {
  let out = '';
  let err = '';
  const result = await launch(env.runner, {
    topology: testbed.topology,
    id: testbed.id,
    placement: [
      { rank: 0, vm: a },
      { rank: 1, vm: b },
    ],
    argv: [env.execPath, RANK, test, String(sizes[0]), String(sizes[1])],
    timeoutMs: 300_000,
    onLine: (line, stream) => {
      if (stream === 'out') out += `${line.replace(/^\[\d+\] /, '')}\n`;
      else err += `${line}\n`;
    },
    onNotice: (text) => {
      err += `${text}\n`;
    },
  });
  if (result.exitCode !== 0)
    throw new Error(`vmpath osu ${test} failed: ${result.failure}\n${err}`);
  return points(out);
}

/** The value at `bytes`, or NaN. */
export function at(points: readonly OsuPoint[], bytes: number): number {
  return points.find((p) => p.bytes === bytes)?.value ?? Number.NaN;
}

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
    for (const side of order) runs[side].push(await sides[side]());
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
export const OSU_SIZES = [8, 4 << 20] as const;

/** Median latency and bandwidth curves of both engines. */
export interface OsuCurves {
  readonly latency: Record<'vmpath' | 'openmpi', OsuPoint[]>;
  readonly bw: Record<'vmpath' | 'openmpi', OsuPoint[]>;
}

/** Checks root and Open MPI, and builds the C program: what every OSU bench starts with. */
export async function prepareOsu(name: string): Promise<string> {
  requireRoot(name);
  requireOpenMpi(name);
  return buildOsu();
}

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
