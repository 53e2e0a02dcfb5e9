/**
 * The Open MPI part of a calibration: per message class, the OSU-style ping-pong and windowed
 * bandwidth curves of apps/osu-c, 8 B to 4 MiB, between the same vms as the runtime's curves,
 * launched as `vmpath run mpi` launches any program (so a class travels as it does for a
 * user's program: vader inside an Open MPI machine, TCP between machines). What a profiled
 * Open MPI program's messages are priced with.
 */
import { fileURLToPath } from 'node:url';
import { OSU_SIZES, type OsuPoint, type OsuTest, parseOsuPoints } from '../bench/osu.js';
import type { Target } from '../cluster/target.js';
import { buildWithMpicc } from '../runtime/openmpi.js';
import { findExecutable } from '../sys/tools.js';
import type { MessageClass } from '../topology/types.js';
import type { Measured } from './calibration-fit.js';
import { mpiCacheDir, runMpi } from './mpi-run.js';
import type { SweepEnv } from './sweep.js';

const TWIN = fileURLToPath(new URL('../../../apps/osu-c/osu.c', import.meta.url));
const CURVE_TIMEOUT_MS = 300_000;

/** Whether Open MPI is here to be calibrated. */
export function canCalibrateOpenMpi(searchPath: string | undefined): boolean {
  return (
    findExecutable('mpicc', searchPath) !== null && findExecutable('mpirun', searchPath) !== null
  );
}

/** One curve of the twin between vms `a` and `b` (the same vm: two slots of it). */
async function curve(
  env: SweepEnv,
  record: Target,
  program: string,
  [a, b]: readonly [string, string],
  test: OsuTest,
  signal: AbortSignal | undefined,
): Promise<OsuPoint[]> {
  const hostOf = (vm: string) =>
    record.topology.hosts.find((h) => h.name === vm || h.vms.some((v) => v.name === vm))?.name ??
    vm;
  let out = '';
  await runMpi(
    {
      topology: record.topology,
      id: record.id,
      via: record,
      copy: [program],
      placement: [
        { rank: 0, host: hostOf(a), vm: a, slot: 0 },
        { rank: 1, host: hostOf(b), vm: b, slot: a === b ? 1 : 0 },
      ],
      program,
      args: [test, String(OSU_SIZES[0]), String(OSU_SIZES[1])],
      repeats: 1,
      timeoutMs: CURVE_TIMEOUT_MS,
      profile: false,
      env: {},
      oversubscribe: false,
    },
    {
      runner: env.runner,
      cacheDir: mpiCacheDir(env.stateDir),
      ...(signal ? { signal } : {}),
      onLine: (line) => {
        if (line.startsWith('[0] {')) out += `${line.slice(4)}\n`;
      },
    },
  );
  return parseOsuPoints(out);
}

/** Open MPI's curves for each class pair, each measurement through `measure` (its turn). */
export async function openMpiCurves(
  env: SweepEnv,
  record: Target,
  pairs: readonly {
    readonly messageClass: MessageClass;
    readonly vms: readonly [string, string];
  }[],
  measure: <T>(body: () => Promise<T>) => Promise<T>,
  step: (text: string) => void,
  signal: AbortSignal | undefined,
): Promise<Measured['curves']> {
  const { program, remove } = await buildWithMpicc(env.runner, TWIN, 'osu', ['-O2']);
  try {
    const curves: Measured['curves'] = {};
    for (const { messageClass, vms } of pairs) {
      step(`${messageClass}: Open MPI ping-pong ${vms[0]} -> ${vms[1]}`);
      const latency = await measure(() => curve(env, record, program, vms, 'latency', signal));
      step(`${messageClass}: Open MPI windowed bandwidth ${vms[0]} -> ${vms[1]}`);
      const bw = await measure(() => curve(env, record, program, vms, 'bw', signal));
      curves[messageClass] = { latency, bw };
    }
    return curves;
  } finally {
    remove();
  }
}
