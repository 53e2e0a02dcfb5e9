/**
 * A calibration from what its plan measured (calibration-plan.ts): the curves fitted piecewise,
 * the runtime runs reduced to costs per message. Pure.
 */
import { linearRegression } from 'simple-statistics';
import { advectTraffic } from '../apps/advect/pattern.js';
import type { OsuPoint } from '../bench/osu.js';
import { median } from '../bench/stats.js';
import { MiB } from '../bench/types.js';
import {
  CALIBRATION_VERSION,
  type Calibration,
  type ClassCosts,
  type ClassModel,
  type RuntimeLevel,
} from '../model/calibration.js';
import { fitAt, fitPiecewise, type Point } from '../model/fit.js';
import type { MessageClass } from '../topology/types.js';
import type { CalibrationPlan, RuntimeSeries } from './calibration-plan.js';

/** Where the fitted CPU cost of a message may change its slope: between the runs' 63 KiB and
 * 128 KiB faces (calibration-plan.ts RUNTIME_FACES), where a message outgrows the caches that
 * hold small ones, and where the tcp transport stops reading payloads through its 64 KiB
 * scratch buffer (reader.ts). */
const CPU_BREAK_BYTES = 64 * 1024;

/** What one run of a series measured. */
export interface RunFigures {
  readonly steps: number;
  /** The ranks' CPU seconds, per rank, and the kernel's share of it. */
  readonly cpu: number;
  readonly kernel: number;
  /** The run's wall seconds (its timed steps). */
  readonly wall: number;
  /** The ranks' CPU seconds, summed. */
  readonly busy: number;
}

/** What a plan measured, in its order. */
export interface Measured {
  readonly curves: Partial<
    Record<
      MessageClass,
      { readonly latency: readonly OsuPoint[]; readonly bw: readonly OsuPoint[] }
    >
  >;
  /** Open MPI's curves (calibrate-openmpi.ts), when it was installed. */
  readonly openmpi?: Measured['curves'];
  /** MiB/s of one stream alone and of all concurrent pairs. */
  readonly sharing: { readonly single: number; readonly all: number; readonly pairs: number };
  readonly kernel: Omit<Calibration['kernel'], 'shared'>;
  /** Per level, per series, per run: as plan.levels[i].series[j].runs. */
  readonly runtime: readonly (readonly (readonly RunFigures[])[])[];
}

/** Where and when: the parts of a calibration that are not measurements. */
export interface Provenance {
  readonly topology: Calibration['topology'];
  readonly machine: Calibration['machine'];
  readonly measuredAt: string;
}

/** Fewest points per segment of the runtime's transient fits (breakpoints among powers of two). */
const TRANSIENT_FIT_POINTS = 2;

const toSeconds = (latency: readonly OsuPoint[]) =>
  latency.map((p) => ({ bytes: p.bytes, seconds: p.value / 1e6 }));
const perMessage = (bw: readonly OsuPoint[]) =>
  bw.map((p) => ({ bytes: p.bytes, seconds: p.bytes / (p.value * MiB) }));

export function fitCalibration(
  plan: CalibrationPlan,
  measured: Measured,
  provenance: Provenance,
): Calibration {
  const classes = fitClasses(plan, measured.curves);
  const levels = plan.levels.map((level, i) =>
    fitLevel(level.ranks, level.series, measured.runtime[i] ?? [], measured.kernel, plan.cores),
  );
  return {
    version: CALIBRATION_VERSION,
    topology: provenance.topology,
    datapath: plan.datapath,
    machine: provenance.machine,
    classes,
    sharing: {
      singleFlowBytesPerS: measured.sharing.single * MiB,
      aggregateBytesPerS: measured.sharing.all * MiB,
      pairs: measured.sharing.pairs,
    },
    kernel: {
      ...measured.kernel,
      shared: levels.flatMap((l) =>
        l.level.ranks > plan.cores
          ? [{ ranks: l.level.ranks, step: fitPiecewise(l.kernelPoints) }]
          : [],
      ),
    },
    runtime: levels.map((l) => l.level),
    ...(measured.openmpi
      ? { engines: { openmpi: { classes: fitClasses(plan, measured.openmpi) } } }
      : {}),
    measuredAt: provenance.measuredAt,
  };
}

/** Each class's curves fitted piecewise: one-way seconds, and seconds per streamed message. */
function fitClasses(
  plan: CalibrationPlan,
  curves: Measured['curves'],
): Partial<Record<MessageClass, ClassModel>> {
  const classes: Partial<Record<MessageClass, ClassModel>> = {};
  for (const { messageClass } of plan.curves) {
    const curve = curves[messageClass];
    if (curve)
      classes[messageClass] = {
        latency: fitPiecewise(toSeconds(curve.latency)),
        stream: fitPiecewise(perMessage(curve.bw)),
      };
  }
  return classes;
}

/** A face's runs of two lengths: the kernel's CPU per rank and step (the slope: a process's
 * later steps cost more), the rest of the CPU per step in the longer run (a line through two
 * runs doubles a run's noise), the wall time of a run beyond its steps (the intercept: the
 * pipeline's skew, the first steps after the barrier), and the cores' busy share. */
function perStep(runs: readonly RunFigures[], cores: number) {
  const slope = (f: (r: RunFigures) => number) =>
    linearRegression(runs.map((r) => [r.steps, f(r)]));
  const longest = runs[runs.length - 1] as RunFigures;
  return {
    kernel: slope((r) => r.kernel).m,
    rest: (longest.cpu - longest.kernel) / longest.steps,
    transient: slope((r) => r.wall).b,
    share: Math.min(1, longest.busy / (cores * longest.wall)),
  };
}

/** A level's costs per class on thin and thick blocks, its busy share, and the kernel's points
 * as its ranks paid it (sharing the cores and the caches). */
function fitLevel(
  ranks: number,
  series: readonly RuntimeSeries[],
  figures: readonly (readonly RunFigures[])[],
  kernel: Measured['kernel'],
  machineCores: number,
): { level: RuntimeLevel; kernelPoints: Point[] } {
  const cores = Math.min(ranks, machineCores);
  // A rank's messages per step, on average, as the pipeline has them (the first rank only
  // sends, the last only receives): its figures are scaled to one message out and one in.
  const ends = (2 * advectTraffic([1, 1, ranks], [1, 1, ranks], 1).length) / ranks;
  const pack = (side: number) => ends * side * side * 8 * kernel.packSecondsPerByte;
  const busy: number[] = [];
  const kernelPoints: Point[] = [];
  const byDepth = new Map<number, ClassCosts>();
  series.forEach((s, j) => {
    const runs = figures[j] ?? [];
    const cpuPoints: Point[] = [];
    const transientPoints: Point[] = [];
    for (const side of new Set(s.runs.map((r) => r.side))) {
      const m = perStep(
        runs.filter((_, k) => s.runs[k]?.side === side),
        cores,
      );
      const faceBytes = side * side * 8;
      cpuPoints.push({
        bytes: faceBytes,
        seconds: Math.max(((m.rest - pack(side)) * 2) / ends, 1e-6),
      });
      transientPoints.push({ bytes: faceBytes, seconds: Math.max(m.transient, 1e-6) });
      kernelPoints.push({ bytes: side * side * s.depth, seconds: m.kernel });
      busy.push(m.share);
    }
    const costs = byDepth.get(s.depth) ?? {};
    // The CPU cost breaks between the small faces and the large ones (CPU_BREAK_BYTES: left
    // free, the break fell where the runs' noise put it).
    costs[s.messageClass] = {
      cpu: fitAt(cpuPoints, [CPU_BREAK_BYTES]),
      transient: fitPiecewise(transientPoints, TRANSIENT_FIT_POINTS),
    };
    byDepth.set(s.depth, costs);
  });
  const [thin, thick] = [...byDepth].sort((a, b) => a[0] - b[0]);
  if (!thin || !thick) throw new RangeError(`level of ${ranks} ranks: runs of one depth only`);
  return {
    level: {
      ranks,
      classes: thin[1],
      depth: thin[0],
      thick: { depth: thick[0], classes: thick[1] },
      utilization: median(busy),
    },
    kernelPoints,
  };
}
