/**
 * Predictions from a calibration. Pure.
 *
 * A message of m bytes from rank a to rank b costs its class's one-way time t(m) = a_s + g_s m
 * (piecewise LogGP), except that the bytes move at the lesser of the class's own rate (1/g_s)
 * and the flow's max-min fair share of the resources it crosses, when the messages of one step
 * travel together: each host's uplink per direction (and its bridge, for bridged vms; its NIC's
 * switch, for iov vms talking inside the host), with the capacity the concurrent vm pairs
 * reached in calibration.
 *
 * The advection application is evaluated step by step for every rank with the upwind pipeline's
 * dependencies, as the solver runs: at step t a rank packs and sends its outgoing faces, waits
 * for its predecessors' faces of the same step (sent when they finished step t-1), unpacks,
 * computes, and waits for its own sends; each rank's CPU work per step is the kernel's time for
 * its block, packing, and the runtime's own cost per message end (calibrated). On the emulated
 * testbed, where every rank shares one machine, that work stretches by ranks / cores when ranks
 * outnumber the cores, and the run cannot end before the cores, busy at the share calibration
 * saw, have done all of it: the prediction is the larger of the two bounds.
 *
 * A communication matrix without a time structure is evaluated as all its flows at once: each
 * rank's communication time is the sum of its messages' times under sharing, and the
 * prediction the slowest rank's.
 */
import { blockOf } from '../apps/advect/decomp.js';
import type { Triple } from '../apps/advect/params.js';
import { advectTraffic } from '../apps/advect/pattern.js';
import { classOf, MESSAGE_CLASSES, type MessageClass, type Traffic } from '../placement/classes.js';
import type { Placed } from '../placement/patterns.js';
import { DATAPATH_RECORDS } from '../testbed/datapaths/index.js';
import type { Datapath } from '../topology/types.js';
import {
  type Calibration,
  classModel,
  type PriceEngine,
  runtimeAt,
  secondsPerCell,
} from './calibration.js';
import { type Segment, segmentAt } from './fit.js';
import { type Flow, maxMinRates } from './sharing.js';

export interface Message {
  readonly from: number;
  readonly to: number;
  readonly bytes: number;
}

/** The shared resources a message between `a` and `b` crosses on `datapath`. */
export function resourcesOf(datapath: Datapath, a: Placed, b: Placed): string[] {
  return DATAPATH_RECORDS[datapath].resources(classOf(a, b), { from: a.host, to: b.host });
}

function capacities(calibration: Calibration, placement: readonly Placed[]): Map<string, number> {
  const cap = calibration.sharing.aggregateBytesPerS;
  const out = new Map<string, number>();
  for (const host of new Set(placement.map((p) => p.host)))
    for (const r of [`up:${host}:out`, `up:${host}:in`, `bridge:${host}`, `nic:${host}`])
      out.set(r, cap);
  return out;
}

export interface MessageTimes {
  /** Seconds per message, in the order given. */
  readonly seconds: Float64Array;
  readonly classes: readonly MessageClass[];
}

/** The time of each of a set of messages that travel together. */
export function messageTimes(
  calibration: Calibration,
  datapath: Datapath,
  placement: readonly Placed[],
  messages: readonly Message[],
  source = 'the calibration',
  engine: PriceEngine = 'vmpath',
): MessageTimes {
  const classes = messages.map((m) => {
    const a = placement[m.from];
    const b = placement[m.to];
    if (!a || !b)
      throw new RangeError(`message ${m.from} -> ${m.to} outside ${placement.length} ranks`);
    return classOf(a, b);
  });
  const segments = messages.map((m, i) =>
    segmentAt(classModel(calibration, classes[i] as MessageClass, source, engine).latency, m.bytes),
  );
  const flows: Flow[] = messages.map((m, i) => {
    const g = (segments[i] as Segment).g;
    return {
      resources: resourcesOf(datapath, placement[m.from] as Placed, placement[m.to] as Placed),
      cap: g > 0 ? 1 / g : Number.POSITIVE_INFINITY,
    };
  });
  const rates = maxMinRates(flows, capacities(calibration, placement));
  const seconds = new Float64Array(messages.length);
  messages.forEach((m, i) => {
    const seg = segments[i] as Segment;
    const rate = rates[i] as number;
    seconds[i] = seg.a + (Number.isFinite(rate) && rate > 0 ? m.bytes / rate : seg.g * m.bytes);
  });
  return { seconds, classes };
}

/** The most rank-steps (ranks x steps) the step-by-step evaluation takes on (its time grows
 * with them: bench simulate measures 2048 x 512). */
export const MAX_RANK_STEPS = 2e8;

export interface AdvectApp {
  readonly grid: Triple;
  readonly steps: number;
  readonly decomp: Triple;
}

export interface ClassTotals {
  readonly messages: number;
  readonly bytes: number;
}

export interface Prediction {
  readonly wallS: number;
  /** Mean per rank over the run. */
  readonly computeS: number;
  readonly packS: number;
  readonly commS: number;
  readonly byClass: Readonly<Record<MessageClass, ClassTotals>>;
  /** How much computation and packing were stretched by ranks sharing cores (1: not). */
  readonly cpuStretch: number;
  /** What bounds the time: the machine's cores (all ranks' CPU work on the emulated testbed),
   * or the dependencies between steps and ranks (messages, computation on the critical path). */
  readonly bound: 'cpu' | 'dependencies';
}

function totalsByClass(
  classes: readonly MessageClass[],
  messages: readonly { bytes: number; messages?: number }[],
  times = 1,
): Record<MessageClass, ClassTotals> {
  const out = Object.fromEntries(
    MESSAGE_CLASSES.map((c) => [c, { messages: 0, bytes: 0 }]),
  ) as Record<MessageClass, { messages: number; bytes: number }>;
  messages.forEach((m, i) => {
    const t = out[classes[i] as MessageClass];
    t.messages += (m.messages ?? 1) * times;
    t.bytes += m.bytes * times;
  });
  return out;
}

/** How much ranks sharing the calibration machine's cores stretch their CPU time. */
export function cpuStretch(calibration: Calibration, ranks: number): number {
  return calibration.machine.emulated ? Math.max(1, ranks / calibration.machine.cores) : 1;
}

/** Per rank and step: CPU seconds of the kernel, packing and the runtime, and the messages in
 * (from whom, how long) and out (how long). */
interface StepWork {
  readonly compute: Float64Array;
  readonly pack: Float64Array;
  readonly runtime: Float64Array;
  readonly incoming: readonly (readonly { from: number; time: number }[])[];
  readonly outgoing: readonly (readonly number[])[];
}

/** The dependency graph, step by step: pack and send, wait for the predecessors' faces of the
 * same step (sent when they finished the previous one), unpack, compute, wait for the sends.
 * CPU work stretches when ranks share cores. The time the last rank ends. */
function criticalPath(steps: number, work: StepWork, stretch: number): number {
  const { compute, pack, runtime, incoming, outgoing } = work;
  const ranks = compute.length;
  let done = new Float64Array(ranks);
  let next = new Float64Array(ranks);
  for (let t = 0; t < steps; t++) {
    for (let r = 0; r < ranks; r++) {
      const before = ((pack[r] as number) / 2 + (runtime[r] as number) / 2) * stretch;
      const after =
        ((pack[r] as number) / 2 + (runtime[r] as number) / 2 + (compute[r] as number)) * stretch;
      const sent = (done[r] as number) + before;
      let ready = sent;
      for (const { from, time } of incoming[r] ?? []) {
        const theirs = ((pack[from] as number) / 2 + (runtime[from] as number) / 2) * stretch;
        ready = Math.max(ready, (done[from] as number) + theirs + time);
      }
      let end = ready + after;
      for (const time of outgoing[r] ?? []) end = Math.max(end, sent + time);
      next[r] = end;
    }
    [done, next] = [next, done];
  }
  return Math.max(...done);
}

export function predictAdvect(
  calibration: Calibration,
  app: AdvectApp,
  placement: readonly Placed[],
  datapath: Datapath,
  source = 'the calibration',
): Prediction {
  const ranks = app.decomp[0] * app.decomp[1] * app.decomp[2];
  if (placement.length !== ranks)
    throw new RangeError(`decomposition of ${ranks} ranks, placement of ${placement.length}`);
  const stretch = cpuStretch(calibration, ranks);
  const perStep = advectTraffic(app.grid, app.decomp, 1);
  const { seconds, classes } = messageTimes(calibration, datapath, placement, perStep, source);
  // CPU seconds per step of each rank: the kernel on its block, packing, and the runtime's own
  // cost, half a face's worth for each message end (calibrated with one face in, one out, on
  // blocks thin and thick: the cost grows with the block behind the face).
  // On a real cluster each rank has a core: the runtime costs what it costs with no sharing.
  const level = runtimeAt(calibration, calibration.machine.emulated ? ranks : 1);
  const compute = new Float64Array(ranks);
  const pack = new Float64Array(ranks);
  const runtime = new Float64Array(ranks);
  const cells = new Float64Array(ranks);
  for (let r = 0; r < ranks; r++) {
    const b = blockOf(app.grid, app.decomp, r);
    cells[r] = b.count[0] * b.count[1] * b.count[2];
    compute[r] = (cells[r] as number) * secondsPerCell(calibration, cells[r] as number, ranks);
  }
  const incoming: { from: number; time: number }[][] = Array.from({ length: ranks }, () => []);
  const outgoing: number[][] = Array.from({ length: ranks }, () => []);
  // The first steps after the start are slower (calibrated per transport and face size); the
  // run pays the worst of its messages' once.
  let transient = 0;
  perStep.forEach((m, i) => {
    const t = seconds[i] as number;
    (incoming[m.to] as { from: number; time: number }[]).push({ from: m.from, time: t });
    (outgoing[m.from] as number[]).push(t);
    const cost = m.bytes * calibration.kernel.packSecondsPerByte;
    const c = classes[i] as MessageClass;
    transient = Math.max(transient, level.transient(c, m.bytes));
    for (const end of [m.from, m.to]) {
      pack[end] = (pack[end] as number) + cost;
      runtime[end] = (runtime[end] as number) + level.cpu(c, m.bytes, cells[end] as number) / 2;
    }
  });
  const critical = criticalPath(app.steps, { compute, pack, runtime, incoming, outgoing }, stretch);
  // On the emulated testbed every rank shares this machine: it cannot finish before its cores,
  // busy at the share calibration saw, have done all the ranks' CPU work (kernels, packing and
  // the runtime's own).
  const sum = (a: Float64Array) => a.reduce((s, x) => s + x, 0);
  let machine = 0;
  if (calibration.machine.emulated && ranks > calibration.machine.cores) {
    const cores = calibration.machine.cores * level.utilization;
    machine = (app.steps * (sum(compute) + sum(pack) + sum(runtime))) / cores;
  }
  const wallS = Math.max(critical, machine) + transient;
  const computeS = (sum(compute) / ranks) * app.steps * stretch;
  const packS = (sum(pack) / ranks) * app.steps * stretch;
  return {
    wallS,
    computeS,
    packS,
    commS: Math.max(0, wallS - computeS - packS),
    byClass: totalsByClass(classes, perStep, app.steps),
    cpuStretch: stretch,
    bound: machine > critical ? 'cpu' : 'dependencies',
  };
}

/** Communication time of a whole-run matrix, all flows at once, its messages priced on
 * `engine`; no computation but `computeS`, a measured one (model/advise.ts anchoredComputation). */
export function predictMatrix(
  calibration: Calibration,
  traffic: readonly Traffic[],
  placement: readonly Placed[],
  datapath: Datapath,
  source = 'the calibration',
  engine: PriceEngine = 'vmpath',
  computeS = 0,
): Prediction {
  // One representative message per entry (its mean size), repeated `messages` times.
  const messages = traffic
    .filter((t) => t.messages > 0)
    .map((t) => ({ from: t.from, to: t.to, bytes: t.bytes / t.messages }));
  const live = traffic.filter((t) => t.messages > 0);
  const { seconds, classes } = messageTimes(
    calibration,
    datapath,
    placement,
    messages,
    source,
    engine,
  );
  const perRank = new Float64Array(placement.length);
  live.forEach((t, i) => {
    const cost = (seconds[i] as number) * t.messages;
    perRank[t.from] = (perRank[t.from] as number) + cost;
    perRank[t.to] = (perRank[t.to] as number) + cost;
  });
  const stretch = cpuStretch(calibration, placement.length);
  const commS = Math.max(0, ...perRank) * stretch;
  return {
    wallS: computeS + commS,
    computeS,
    packS: 0,
    commS,
    byClass: totalsByClass(classes, live),
    cpuStretch: stretch,
    bound: 'dependencies',
  };
}
