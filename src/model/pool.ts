/**
 * Calibrations of one machine and topology, compared side by side: the parts they measured in
 * common, pooled. The kernel, the packing, the local transport (every data path's intra-vm
 * channel), a channel two data paths share (vf across hosts on iov and shm) and the cores' busy
 * share are one thing measured two or three times: the advisor prices each with the mean of
 * its measurements, so candidates differ only where their data paths differ. Where they differ,
 * in the runtime's CPU on a class's channels (bridge, vf, shm), one curve is measured by every
 * calibration and each channel is priced as that curve times a factor drawn from all its runs
 * (channelFactors), not from its one run at the size and rank count asked. Why: docs/model.md.
 * Pure.
 */
import { MESSAGE_CLASSES, type MessageClass } from '../placement/classes.js';
import { DATAPATH_RECORDS } from '../testbed/datapaths/index.js';
import type { Datapath } from '../topology/types.js';
import type {
  Calibration,
  ClassCosts,
  ClassModel,
  RuntimeLevel,
  TransportCost,
} from './calibration.js';
import { evaluate, meanFit, type PiecewiseFit, scaleFit } from './fit.js';

export type Calibrations = ReadonlyMap<Datapath, { calibration: Calibration; source: string }>;

export interface Pooled {
  readonly calibrations: Calibrations;
  /** What was pooled over which data paths, for people (empty: nothing in common). */
  readonly notes: readonly string[];
}

const machineOf = (c: Calibration) =>
  `${c.topology.fingerprint} ${c.machine.cores} ${c.machine.emulated}`;
const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Each calibration with its common parts replaced by their means over the calibrations of the
 * same machine and topology: a class's fits and runtime costs over the data paths that give it
 * the same channel (at the same rank count and block depth), the kernel, packing and the busy
 * share over all. */
export function poolCalibrations(calibrations: Calibrations): Pooled {
  const all = [...calibrations.values()].map((c) => c.calibration);
  const groups = new Map<string, { peers: Calibration[]; factors: Factors }>();
  for (const c of all) {
    const group = groups.get(machineOf(c));
    if (group) group.peers.push(c);
    else groups.set(machineOf(c), { peers: [c], factors: new Map() });
  }
  for (const group of groups.values()) group.factors = channelFactors(group.peers);
  const out = new Map<Datapath, { calibration: Calibration; source: string }>();
  for (const [datapath, { calibration, source }] of calibrations) {
    const { peers, factors } = groups.get(machineOf(calibration)) as {
      peers: Calibration[];
      factors: Factors;
    };
    out.set(datapath, { calibration: pooledOne(calibration, peers, factors), source });
  }
  return { calibrations: out, notes: [...groups.values()].flatMap(notesOf) };
}

/** Face sizes at which channels' runtime costs are compared: 2 KiB to 1 MiB, the span of the
 * calibrated faces. */
const COMPARED_BYTES = Array.from({ length: 10 }, (_, i) => 2048 * 2 ** i);

/** A channel's runtime CPU against its class's curve (the mean of the class's channels' means):
 * the geometric mean of the ratios, over every face size compared, rank count and block depth
 * the calibrations measured in common. */
interface ChannelFactor {
  readonly factor: number;
  readonly comparisons: number;
}

/** Per class with two channels or more, each channel's factor. */
type Factors = Map<MessageClass, Map<string, ChannelFactor>>;

/** A level's runs on thin blocks or on thick ones, with the depth behind their faces. */
function part(
  level: RuntimeLevel | undefined,
  thick: boolean,
): { depth: number; classes: ClassCosts } | undefined {
  if (!level) return undefined;
  return thick ? level.thick : { depth: level.depth, classes: level.classes };
}

/** The runtime's CPU of each class's channels, relative to each other, where calibrations give
 * the class two channels or more: a channel's cost is the class's curve, which every
 * calibration measured, times the channel's factor, which rests on all the sizes, rank counts
 * and depths the calibrations share (a point of one calibration is one run). */
function channelFactors(peers: readonly Calibration[]): Factors {
  const factors: Factors = new Map();
  if (peers.length < 2) return factors;
  for (const c of MESSAGE_CLASSES) {
    const logs = new Map<string, number[]>();
    for (const { ranks } of peers[0]?.runtime ?? [])
      for (const thick of [false, true]) {
        const runs = peers.flatMap((p) => {
          const runs = part(
            p.runtime.find((l) => l.ranks === ranks),
            thick,
          );
          const cost = runs?.classes[c];
          return runs && cost
            ? [
                {
                  channel: DATAPATH_RECORDS[p.datapath].channels[c],
                  depth: runs.depth,
                  fit: cost.cpu,
                },
              ]
            : [];
        });
        if (runs.length !== peers.length || new Set(runs.map((r) => r.depth)).size !== 1) continue;
        const { means, base } = channelMeans(runs);
        if (means.size < 2) continue;
        for (const bytes of COMPARED_BYTES) {
          const common = evaluate(base, bytes);
          for (const [channel, fit] of means) {
            const own = evaluate(fit, bytes);
            if (own > 0 && common > 0)
              logs.set(channel, [...(logs.get(channel) ?? []), Math.log(own / common)]);
          }
        }
      }
    if (logs.size > 0)
      factors.set(
        c,
        new Map(
          [...logs].map(([channel, xs]) => [
            channel,
            { factor: Math.exp(mean(xs)), comparisons: xs.length },
          ]),
        ),
      );
  }
  return factors;
}

/** Each channel's mean fit among `runs`, and the class's base: the mean of those means (each
 * channel weighs alike, however many calibrations measured it). */
function channelMeans(runs: readonly { channel: string; fit: PiecewiseFit }[]): {
  means: Map<string, PiecewiseFit>;
  base: PiecewiseFit;
} {
  const fits = new Map<string, PiecewiseFit[]>();
  for (const r of runs) fits.set(r.channel, [...(fits.get(r.channel) ?? []), r.fit]);
  const means = new Map([...fits].map(([channel, f]) => [channel, meanFit(f)] as const));
  return { means, base: meanFit([...means.values()]) };
}

function pooledOne(
  self: Calibration,
  peers: readonly Calibration[],
  factors: Factors,
): Calibration {
  if (peers.length < 2) return self;
  const same = (c: MessageClass) =>
    peers.filter(
      (p) =>
        DATAPATH_RECORDS[p.datapath].channels[c] === DATAPATH_RECORDS[self.datapath].channels[c],
    );
  const classes: Partial<Record<MessageClass, ClassModel>> = {};
  for (const c of MESSAGE_CLASSES) {
    if (!self.classes[c]) continue;
    const models = same(c).flatMap((p) => p.classes[c] ?? []);
    classes[c] = {
      latency: meanFit(models.map((m) => m.latency)),
      stream: meanFit(models.map((m) => m.stream)),
    };
  }
  const flows = same('inter-host');
  const shared = self.kernel.shared.map((level) => ({
    ranks: level.ranks,
    step: meanFit(
      peers.flatMap((p) => p.kernel.shared.find((l) => l.ranks === level.ranks)?.step ?? []),
    ),
  }));
  return {
    ...self,
    classes,
    sharing: {
      ...self.sharing,
      singleFlowBytesPerS: mean(flows.map((p) => p.sharing.singleFlowBytesPerS)),
      aggregateBytesPerS: mean(flows.map((p) => p.sharing.aggregateBytesPerS)),
    },
    kernel: {
      step: meanFit(peers.map((p) => p.kernel.step)),
      packSecondsPerByte: mean(peers.map((p) => p.kernel.packSecondsPerByte)),
      shared,
    },
    runtime: self.runtime.map((level) => pooledLevel(self, level, peers, factors)),
  };
}

/** A runtime level's costs, each class's over the peers' levels of the same rank count on
 * blocks of the same depth: the CPU, the mean over every channel of the class times this
 * channel's factor (channelFactors; the mean of the same channel's where there is none), the
 * transient, the mean of the same channel's. */
function pooledLevel(
  self: Calibration,
  level: RuntimeLevel,
  peers: readonly Calibration[],
  factors: Factors,
): RuntimeLevel {
  const levels = peers.flatMap((p) =>
    p.runtime.filter((l) => l.ranks === level.ranks).map((l) => ({ datapath: p.datapath, l })),
  );
  const pool = (classes: ClassCosts, thick: boolean): ClassCosts => {
    const depth = part(level, thick)?.depth;
    const out: Partial<Record<MessageClass, TransportCost>> = {};
    for (const c of MESSAGE_CLASSES) {
      if (!classes[c]) continue;
      const channel = DATAPATH_RECORDS[self.datapath].channels[c];
      const all = levels.flatMap(({ datapath, l }) => {
        const runs = part(l, thick);
        const cost = runs?.classes[c];
        return runs?.depth === depth && cost
          ? [{ channel: DATAPATH_RECORDS[datapath].channels[c], cost }]
          : [];
      });
      const same = all.filter((r) => r.channel === channel).map((r) => r.cost);
      const { means, base } = channelMeans(
        all.map((r) => ({ channel: r.channel, fit: r.cost.cpu })),
      );
      // Scaled from the base only where every channel the factors compare is here to make it.
      const compared = factors.get(c);
      const factor = compared?.get(channel);
      const complete =
        compared?.size === means.size && [...means.keys()].every((k) => compared.has(k));
      const cpu =
        factor && complete ? scaleFit(base, factor.factor) : meanFit(same.map((t) => t.cpu));
      out[c] = { cpu, transient: meanFit(same.map((t) => t.transient)) };
    }
    return out;
  };
  return {
    ...level,
    classes: pool(level.classes, false),
    thick: { ...level.thick, classes: pool(level.thick.classes, true) },
    utilization: mean(levels.map(({ l }) => l.utilization)),
  };
}

/** One line per pooled part of a machine's calibrations: which data paths' measurements it
 * averages, and each channel's factor. */
function notesOf({ peers, factors }: { peers: Calibration[]; factors: Factors }): string[] {
  if (peers.length < 2) return [];
  const notes = [
    `the kernel, packing and the cores' busy share: mean of ${peers.map((c) => c.datapath).join(', ')}`,
  ];
  for (const c of MESSAGE_CLASSES) {
    const byChannel = new Map<string, Datapath[]>();
    for (const p of peers)
      if (p.classes[c]) {
        const channel = DATAPATH_RECORDS[p.datapath].channels[c];
        byChannel.set(channel, [...(byChannel.get(channel) ?? []), p.datapath]);
      }
    for (const [channel, datapaths] of byChannel)
      if (datapaths.length > 1) notes.push(`${c} (${channel}): mean of ${datapaths.join(', ')}`);
    const priced = [...byChannel.keys()].flatMap((channel) => {
      const f = factors.get(c)?.get(channel);
      return f ? [{ channel, ...f }] : [];
    });
    if (priced.length > 0)
      notes.push(
        `${c} runtime CPU: one curve for ${priced.map((f) => f.channel).join(', ')} (the mean of their means), times each one's factor over ${priced[0]?.comparisons} comparisons: ${priced.map((f) => `${f.channel} ${f.factor.toFixed(2)}`).join(', ')}`,
      );
  }
  return notes;
}
