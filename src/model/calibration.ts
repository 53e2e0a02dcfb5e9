/**
 * A calibration: the fitted model of one testbed under one data path. Per message class, the
 * one-way time of a message against its size (ping-pong, piecewise LogGP: L + 2o as the
 * intercept, G as the slope) and the per-message time when streaming (windowed sends: o as the
 * intercept); the capacity the concurrent vm pairs share; the kernel's step time against block
 * size and the faces' packing time per byte; the runtime's CPU cost per rank and step; the
 * machine it was measured on. Loaded from JSON with every field
 * checked. Pure.
 */
import { z } from 'zod';
import { VmpathError } from '../core/errors.js';
import { MESSAGE_CLASSES, type MessageClass } from '../placement/classes.js';
import { DATAPATHS, type Datapath, type Topology } from '../topology/types.js';
import { evaluate, type PiecewiseFit } from './fit.js';

/** The format's version: 2 made a level's thick runs, its thin depth and the kernel under
 * sharing required, and dropped fields no model read (a cost's `step`, a level's `mixing`). */
export const CALIBRATION_VERSION = 2;

/** Cells along the pipeline behind each face in the thin runtime runs. */
export const THIN_DEPTH = 4;

const point = z.strictObject({ bytes: z.number().min(0), seconds: z.number().min(0) });
const fit = z.strictObject({
  segments: z
    .array(
      z.strictObject({ fromBytes: z.number().min(0), a: z.number().min(0), g: z.number().min(0) }),
    )
    .min(1)
    .readonly(),
  error: z.number().min(0),
  points: z.number().int().min(2),
  samples: z.array(point).readonly().optional(),
});
/** One-way seconds of one message against bytes (half a ping-pong round trip), and seconds per
 * message when a window of messages streams. */
const classSchema = z.strictObject({ latency: fit, stream: fit });
/** What the runtime costs beyond the kernel and packing, against the face size: CPU seconds
 * per rank and step (one message out, one in), and seconds a run takes beyond its steady steps
 * (the first steps after a pause). */
const cost = z.strictObject({ cpu: fit, transient: fit });
/** The runtime's cost per class (the layout of the runs: every neighbour in the same vm, in
 * another vm of the host, on another host), on the testbed's data path. */
const classCosts = z.strictObject({
  'intra-vm': cost.optional(),
  'inter-vm': cost.optional(),
  'inter-host': cost.optional(),
});
const level = z.strictObject({
  ranks: z.number().int().min(1),
  /** Measured on thin blocks: `depth` cells behind each face. */
  classes: classCosts,
  depth: z.number().int().min(1),
  /** Measured on thick blocks: the kernel between two messages leaves the faces, the buffers
   * and the runtime's own data out of the caches, and a message costs more. */
  thick: z.strictObject({ depth: z.number().int().min(1), classes: classCosts }),
  /** Busy share of the machine's cores while the ranks run. */
  utilization: z.number().gt(0).max(1),
});

export const calibrationSchema = z.strictObject({
  version: z.literal(CALIBRATION_VERSION),
  topology: z.strictObject({
    name: z.string(),
    /** The shape: each host's vms' slots, and the uplink rate. */
    fingerprint: z.string(),
    /** The uplinks' shaped rate when calibrated (null: unshaped). */
    rateMbit: z.number().positive().nullable(),
  }),
  datapath: z.enum(DATAPATHS as [Datapath, ...Datapath[]]),
  machine: z.strictObject({
    /** Cores of the machine the measurements ran on. */
    cores: z.number().int().min(1),
    /** True when every host and vm shared that machine (the emulated testbed): ranks beyond the
     * cores then share them. */
    emulated: z.boolean(),
    /** What the machine was, as its kernel reports it. */
    cpu: z.string(),
    kernel: z.string(),
    memoryBytes: z.number().positive(),
  }),
  classes: z.strictObject({
    'intra-vm': classSchema.optional(),
    'inter-vm': classSchema.optional(),
    'inter-host': classSchema.optional(),
  }),
  sharing: z.strictObject({
    /** Bytes per second of one stream across hosts alone, and of all concurrent pairs. */
    singleFlowBytesPerS: z.number().positive(),
    aggregateBytesPerS: z.number().positive(),
    pairs: z.number().int().min(1),
  }),
  kernel: z.strictObject({
    /** Seconds of one step of a block against its cells (caches make it non-linear). */
    step: fit,
    packSecondsPerByte: z.number().min(0),
    /** CPU seconds of one step against cells when `ranks` ranks share the cores (the caches are
     * everyone's then), as the ranks of the runtime runs paid it, by ranks, ascending; levels
     * with more ranks than cores only. */
    shared: z.array(z.strictObject({ ranks: z.number().int().min(2), step: fit })).readonly(),
  }),
  /** The runtime's own CPU time per rank and step beyond the kernel and packing (the event
   * loop, system calls, waking up, copying the faces), per level of core sharing, by ranks. */
  runtime: z.array(level).min(1).readonly(),
  /** Other engines' message classes on the same testbed, each measured with its own programs:
   * Open MPI's (apps/osu-c under vmpath run mpi's launch: vader inside a machine, TCP between
   * machines), with which a profiled Open MPI program is priced. Absent: not measured (Open MPI
   * was not installed, or an older calibration). */
  engines: z
    .strictObject({
      openmpi: z.strictObject({
        classes: z.strictObject({
          'intra-vm': classSchema.optional(),
          'inter-vm': classSchema.optional(),
          'inter-host': classSchema.optional(),
        }),
      }),
    })
    .partial()
    .optional(),
  measuredAt: z.string(),
});

export type Calibration = z.infer<typeof calibrationSchema>;
export type ClassModel = z.infer<typeof classSchema>;
export type TransportCost = z.infer<typeof cost>;
export type ClassCosts = z.infer<typeof classCosts>;
export type RuntimeLevel = z.infer<typeof level>;

/** The shape of a topology: what a calibration must match to be used on it. */
export function fingerprint(topology: Topology): string {
  return topology.hosts
    .map((h) => `${h.native ? 'native' : h.vms.map((v) => v.slots).join('+')}@${h.uplink.rateMbit}`)
    .join('|');
}

/** Checks a parsed calibration document; errors name the file, the field and what is allowed. */
export function parseCalibration(raw: unknown, source: string): Calibration {
  const version = (raw as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version !== CALIBRATION_VERSION)
    throw new VmpathError(
      'E_MODEL_INPUT',
      `${source}: version: got ${version}; allowed: ${CALIBRATION_VERSION} (the format this vmpath writes: run vmpath calibrate again)`,
      { details: { field: 'version', value: source } },
    );
  const result = calibrationSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0] as z.core.$ZodIssue;
    const field = issue.path.join('.') || '(top level)';
    throw new VmpathError(
      'E_MODEL_INPUT',
      `${source}: ${field}: ${issue.message} (a calibration written by vmpath calibrate)`,
      { details: { field, value: source } },
    );
  }
  return result.data;
}

/** Refuses a calibration measured on a topology of another shape. */
export function checkTopology(calibration: Calibration, topology: Topology, source: string): void {
  const expected = fingerprint(topology);
  if (calibration.topology.fingerprint !== expected)
    throw new VmpathError(
      'E_MODEL_INPUT',
      `${source}: measured on topology ${calibration.topology.name} (${calibration.topology.fingerprint}); allowed: a calibration of ${topology.name} (${expected}); run vmpath calibrate on it`,
      { details: { field: '--calibration', value: source } },
    );
}

/** The engines a program's messages may be priced in: the vmpath runtime's (the calibration's
 * classes) or Open MPI's (its engines part). */
export const PRICE_ENGINES = ['vmpath', 'openmpi'] as const;
export type PriceEngine = (typeof PRICE_ENGINES)[number];

/** Whether a calibration prices messages in `engine`'s currency. */
export function hasEngine(calibration: Calibration, engine: PriceEngine): boolean {
  return engine === 'vmpath' || calibration.engines?.[engine] !== undefined;
}

/** The model of a class on `engine`, or an input error naming what to calibrate. */
export function classModel(
  calibration: Calibration,
  messageClass: MessageClass,
  source: string,
  engine: PriceEngine = 'vmpath',
): ClassModel {
  if (engine !== 'vmpath' && !calibration.engines?.[engine])
    throw new VmpathError(
      'E_MODEL_INPUT',
      `${source}: no ${engine} measurements for data path ${calibration.datapath}; allowed: a calibration with its ${engine} part (vmpath calibrate measures it when ${engine === 'openmpi' ? 'Open MPI is installed' : 'the engine is there'})`,
      { details: { field: '--calibration', value: source } },
    );
  const model =
    engine === 'vmpath'
      ? calibration.classes[messageClass]
      : calibration.engines?.[engine]?.classes[messageClass];
  if (!model)
    throw new VmpathError(
      'E_MODEL_INPUT',
      `${source}: no ${messageClass} measurements for data path ${calibration.datapath}; allowed: a calibration with ${messageClass} (the placement sends such messages; calibrate a topology whose ${messageClass === 'intra-vm' ? 'vms have 2 slots or more' : messageClass === 'inter-vm' ? 'hosts have 2 vms or more' : 'hosts number 2 or more'})`,
      { details: { field: '--calibration', value: source } },
    );
  return model;
}

export { MESSAGE_CLASSES };

/** A level's cost of a message of `bytes` (`part` of its class's fits) sent or received by a
 * rank with a block of `cells`: between the thin and the thick runs' costs by the depth of
 * the block behind the face (cells over the face's), on a log scale; below the thin depth, the
 * thin cost; above the thick, the thick. */
export function levelCost(
  level: RuntimeLevel,
  c: MessageClass,
  part: keyof TransportCost,
  bytes: number,
  cells: number,
): number {
  const thin = evaluate(costOf(level.classes, c, level.ranks)[part], bytes);
  const thick = level.thick;
  const thinDepth = level.depth;
  const depth = cells / Math.max(1, bytes / 8);
  const w = Math.min(
    1,
    Math.max(0, Math.log(depth / thinDepth) / Math.log(thick.depth / thinDepth)),
  );
  if (w === 0) return thin;
  return thin + w * (evaluate(costOf(thick.classes, c, level.ranks)[part], bytes) - thin);
}

/** The runtime's cost for `ranks` ranks: interpolated between the calibrated levels by how many
 * ranks share each core (below the first level, the first; above the last, the last); per
 * message, by the block behind it (levelCost). The transient is the thin runs'. */
export function runtimeAt(
  calibration: Calibration,
  ranks: number,
): {
  cpu: (c: MessageClass, bytes: number, cells: number) => number;
  transient: (c: MessageClass, bytes: number) => number;
  utilization: number;
} {
  const levels = calibration.runtime;
  const lo = [...levels].reverse().find((l) => l.ranks <= ranks) ?? (levels[0] as RuntimeLevel);
  const hi = levels.find((l) => l.ranks >= ranks) ?? (levels[levels.length - 1] as RuntimeLevel);
  const f = hi.ranks === lo.ranks ? 0 : (ranks - lo.ranks) / (hi.ranks - lo.ranks);
  const mix = (a: number, b: number) => a + f * (b - a);
  const transient = (level: RuntimeLevel, c: MessageClass, bytes: number) =>
    evaluate(costOf(level.classes, c, level.ranks).transient, bytes);
  return {
    cpu: (c, bytes, cells) =>
      mix(levelCost(lo, c, 'cpu', bytes, cells), levelCost(hi, c, 'cpu', bytes, cells)),
    transient: (c, bytes) => mix(transient(lo, c, bytes), transient(hi, c, bytes)),
    utilization: mix(lo.utilization, hi.utilization),
  };
}

/** A class's cost among a level's; a class the runs could not lay out (one vm per host) falls
 * back to the nearest one measured: inter-vm to inter-host, intra-vm to inter-vm. */
export function costOf(classes: ClassCosts, c: MessageClass, ranks: number): TransportCost {
  const order: MessageClass[] =
    c === 'intra-vm'
      ? ['intra-vm', 'inter-vm', 'inter-host']
      : c === 'inter-vm'
        ? ['inter-vm', 'inter-host', 'intra-vm']
        : ['inter-host', 'inter-vm', 'intra-vm'];
  for (const k of order) {
    const found = classes[k];
    if (found) return found;
  }
  throw new RangeError(`runtime level of ${ranks} ranks has no class measured`);
}

/** One line on the kernel and the runtime's cost, for people. */
export function costSummary(calibration: Calibration): string {
  const mcells = 2 ** 20 / evaluate(calibration.kernel.step, 2 ** 20) / 1e6;
  const levels = calibration.runtime
    .map(
      (l) =>
        `${l.ranks} ranks: ${Object.entries(l.classes)
          .map(([c, t]) => {
            const thick = l.thick.classes[c as MessageClass];
            const us = (fit: PiecewiseFit) => (evaluate(fit, 65536) * 1e6).toFixed(0);
            return `${c} ${us(t.cpu)}${thick ? ` (thick blocks ${us(thick.cpu)})` : ''} us, ${(evaluate(t.transient, 65536) * 1e3).toFixed(1)} ms per run`;
          })
          .join(', ')}; cores ${(l.utilization * 100).toFixed(0)}% busy`,
    )
    .join('; ');
  return `kernel ${mcells.toFixed(0)} Mcell/s on 1 Mi cells, packing ${(1 / calibration.kernel.packSecondsPerByte / 2 ** 20).toFixed(0)} MiB/s; the runtime's CPU per rank and step and run transient at 64 KiB faces: ${levels}`;
}

/** Seconds per cell of the kernel on a block of `cells` when `ranks` ranks run on the
 * calibration's machine: as measured alone while each rank has a core; with more ranks than
 * cores on the emulated testbed, as measured with that many processes sharing the cores
 * (interpolated by ranks between the measured levels, and from the cost alone at as many ranks
 * as cores; above the last level, the last). */
export function secondsPerCell(calibration: Calibration, cells: number, ranks: number): number {
  return cellSeconds(calibration.kernel, calibration.machine, cells, ranks);
}

/** secondsPerCell from the kernel's and the machine's parts of a calibration. */
export function cellSeconds(
  kernel: Calibration['kernel'],
  machine: Calibration['machine'],
  cells: number,
  ranks: number,
): number {
  const alone = evaluate(kernel.step, cells) / cells;
  const levels = kernel.shared;
  const last = levels[levels.length - 1];
  if (!machine.emulated || ranks <= machine.cores || !last) return alone;
  const at = (l: { step: PiecewiseFit }) => evaluate(l.step, cells) / cells;
  const hi = levels.find((l) => l.ranks >= ranks) ?? last;
  if (hi.ranks <= ranks) return at(hi);
  const lo = [...levels].reverse().find((l) => l.ranks < ranks);
  const [loRanks, loValue] = lo ? [lo.ranks, at(lo)] : [machine.cores, alone];
  return loValue + ((ranks - loRanks) / (hi.ranks - loRanks)) * (at(hi) - loValue);
}
