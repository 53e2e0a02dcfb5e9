/**
 * What `vmpath calibrate` measures on a testbed, as a value (calibrate.ts runs it,
 * calibration-fit.ts fits what it measured). Pure.
 *
 * - Per message class the topology offers (intra-vm: two ranks in one vm; inter-vm: the first
 *   two vms of host 0; inter-host: the first vm of host 0 and of host 1), the runtime's OSU
 *   ping-pong and windowed bandwidth curves, 8 B to 4 MiB.
 * - The stream bandwidth of one cross-host pair alone and of all the study's concurrent pairs
 *   (the capacity they share).
 * - The advection kernel's step time against block size, and packing, in the calibrating
 *   process.
 * - Per level of core sharing (levelRanks), the runtime's cost: the advection pipeline with
 *   every neighbour in the same vm, in the other vm of host 0, or on host 1, on thin blocks and
 *   thick ones, at five face sizes and two run lengths each. One launched job (a series) runs
 *   the faces and lengths of one class and depth; runs of two lengths give the cost per step
 *   (the slope) apart from the cost of a run beyond its steps (the intercept).
 */
import { type AdvectParams, makeParams } from '../apps/advect/params.js';
import type { StreamParams } from '../bench/types.js';
import type { Target } from '../cluster/target.js';
import { VmpathError } from '../core/errors.js';
import { THIN_DEPTH } from '../model/calibration.js';
import type { RankSlot } from '../runtime/launcher.js';
import { slotsOf } from '../topology/query.js';
import type { Datapath, MessageClass } from '../topology/types.js';
import { WARMUP_STEPS } from './validate.js';

/** Face sizes of the runtime runs (cells on a side): 2 and 63 KiB faces, below 64 KiB, and
 * 128 KiB, 512 KiB and 1 MiB above it: the cost may change its slope there (calibration-fit.ts),
 * and each side gets points of its own. */
export const RUNTIME_FACES = [16, 90, 128, 256, 362] as const;
/** Cells along the pipeline behind each face in the thick runs (the thin ones: THIN_DEPTH). */
export const THICK_DEPTH = 24;
/** The two run lengths on thin and on thick blocks (thick steps take longer). */
export const RUN_LENGTHS: Readonly<Record<'thin' | 'thick', readonly [number, number]>> = {
  thin: [96, 384],
  thick: [48, 192],
};
/** Seconds of each stream test (one pair alone, then all pairs). */
export const STREAM_SECONDS = 3;

/** One launched job of the runtime runs: problems of one rank count, class and depth. */
export interface RuntimeSeries {
  readonly ranks: number;
  readonly messageClass: MessageClass;
  readonly depth: number;
  /** Each rank's vm: every neighbour across the class. */
  readonly placement: readonly RankSlot[];
  /** Face side and steps of each problem, in the order run (each face at both lengths). */
  readonly runs: readonly { readonly side: number; readonly steps: number }[];
  readonly problems: readonly AdvectParams[];
}

export interface CalibrationPlan {
  readonly datapath: Datapath;
  /** The cores of the machine: levels with more ranks measure the kernel under sharing. */
  readonly cores: number;
  /** The vm pair that carries each class (rank 0's vm, rank 1's vm). */
  readonly curves: readonly {
    readonly messageClass: MessageClass;
    readonly vms: readonly [string, string];
  }[];
  readonly stream: StreamParams;
  readonly levels: readonly { readonly ranks: number; readonly series: readonly RuntimeSeries[] }[];
}

/** The vm pairs that carry each class on this topology (rank 0's vm, rank 1's vm). */
export function classPairs(
  record: Pick<Target, 'id' | 'topology'>,
): Partial<Record<MessageClass, [string, string]>> {
  const hosts = record.topology.hosts;
  const vmName = (h: number, v: number) => {
    const host = hosts[h];
    if (!host) return undefined;
    return host.native ? host.name : host.vms[v]?.name;
  };
  const out: Partial<Record<MessageClass, [string, string]>> = {};
  const first = vmName(0, 0);
  if (first) out['intra-vm'] = [first, first];
  const second = hosts[0]?.native ? undefined : vmName(0, 1);
  if (first && second) out['inter-vm'] = [first, second];
  const other = vmName(1, 0);
  if (first && other) out['inter-host'] = [first, other];
  return out;
}

/** The one data path of a testbed (a calibration is of one). */
export function datapathOf(record: Pick<Target, 'id' | 'topology'>): Datapath {
  const kinds = new Set(
    record.topology.hosts.flatMap((h) =>
      h.native ? ['native' as const] : h.vms.map((v) => v.datapath),
    ),
  );
  if (kinds.size !== 1)
    throw new VmpathError(
      'E_MODEL_INPUT',
      `--id ${record.id}: its hosts mix data paths (${[...kinds].join(', ')}); allowed: a testbed with one data path`,
      { details: { field: '--id', value: record.id } },
    );
  return [...kinds][0] as Datapath;
}

/** The rank counts calibration measures at: as many as cores, then doubling (each level has
 * twice the ranks per core of the last) up to every slot; 2 at least. */
export function levelRanks(record: Pick<Target, 'id' | 'topology'>, cores: number): number[] {
  const slots = record.topology.hosts.reduce((n, h) => n + slotsOf(h), 0);
  const counts: number[] = [];
  for (let ranks = Math.min(cores, slots); ranks < slots; ranks *= 2) counts.push(ranks);
  counts.push(slots);
  return counts.filter((r) => r >= 2);
}

/** The runtime runs of one level, class and depth: each face at both lengths. */
function series(
  ranks: number,
  messageClass: MessageClass,
  [a, b]: readonly [string, string],
  depth: number,
  lengths: readonly number[],
): RuntimeSeries {
  const runs = RUNTIME_FACES.flatMap((side) => lengths.map((steps) => ({ side, steps })));
  return {
    ranks,
    messageClass,
    depth,
    placement: Array.from({ length: ranks }, (_, rank) => ({ rank, vm: rank % 2 ? b : a })),
    runs,
    problems: runs.map(({ side, steps }) =>
      makeParams(
        { grid: [side, side, ranks * depth], steps, decomp: [1, 1, ranks], warmup: WARMUP_STEPS },
        ranks,
      ),
    ),
  };
}

/** Everything a calibration of `record` measures, in the order measured. */
export function planCalibration(
  record: Pick<Target, 'id' | 'topology'>,
  cores: number,
): CalibrationPlan {
  const pairs = Object.entries(classPairs(record)) as [MessageClass, [string, string]][];
  return {
    datapath: datapathOf(record),
    cores,
    curves: pairs.map(([messageClass, vms]) => ({ messageClass, vms })),
    stream: {
      test: 'stream',
      sizeBytes: 128 * 1024,
      durationMs: STREAM_SECONDS * 1000,
      warmupMs: 500,
    },
    levels: levelRanks(record, cores).map((ranks) => ({
      ranks,
      series: [
        ...pairs.map(([c, vms]) => series(ranks, c, vms, THIN_DEPTH, RUN_LENGTHS.thin)),
        ...pairs.map(([c, vms]) => series(ranks, c, vms, THICK_DEPTH, RUN_LENGTHS.thick)),
      ],
    })),
  };
}
