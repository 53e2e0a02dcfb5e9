/**
 * Calibrations of one machine and topology, compared side by side: the parts they measured in
 * common, pooled. Calibrated one after the other, two calibrations of the same channels
 * predicted one deployment at 219 and 296 ms (this machine's speed drifts by about 15% over tens
 * of minutes); calibrated in turns (calibrateInTurns), they still do so 3-17% apart, as runs of
 * one configuration spread by about 10%. The kernel, the packing, the local transport (every data path's
 * intra-vm channel), a channel two data paths share (vf across hosts on iov and shm) and the
 * cores' busy share are one thing measured two or three times: the advisor prices each with the
 * mean of its measurements, so candidates differ only where their data paths differ. Pure.
 */
import { MESSAGE_CLASSES, type MessageClass } from '../placement/classes.js';
import type { Datapath } from '../topology/types.js';
import {
  type Calibration,
  type ClassCosts,
  type ClassModel,
  type RuntimeLevel,
  THIN_DEPTH,
  type TransportCost,
} from './calibration.js';
import { meanFit } from './fit.js';

/** The channel a data path gives a class of messages: `shm` is iov across hosts plus shared
 * memory between co-located vms; ranks of one vm always talk over the local transport. */
export const CHANNELS: Readonly<Record<Datapath, Readonly<Record<MessageClass, string>>>> = {
  native: { 'intra-vm': 'local', 'inter-vm': 'native', 'inter-host': 'native' },
  bridged: { 'intra-vm': 'local', 'inter-vm': 'bridge', 'inter-host': 'bridge' },
  iov: { 'intra-vm': 'local', 'inter-vm': 'vf', 'inter-host': 'vf' },
  shm: { 'intra-vm': 'local', 'inter-vm': 'shm', 'inter-host': 'vf' },
};

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
  const out = new Map<Datapath, { calibration: Calibration; source: string }>();
  for (const [datapath, { calibration, source }] of calibrations) {
    const peers = all.filter((c) => machineOf(c) === machineOf(calibration));
    out.set(datapath, { calibration: pooledOne(calibration, peers), source });
  }
  return { calibrations: out, notes: notesOf(all) };
}

function pooledOne(self: Calibration, peers: readonly Calibration[]): Calibration {
  if (peers.length < 2) return self;
  const same = (c: MessageClass) =>
    peers.filter((p) => CHANNELS[p.datapath][c] === CHANNELS[self.datapath][c]);
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
  const shared = self.kernel.shared?.map((level) => ({
    ranks: level.ranks,
    step: meanFit(
      peers.flatMap((p) => p.kernel.shared?.find((l) => l.ranks === level.ranks)?.step ?? []),
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
      ...(shared ? { shared } : {}),
    },
    runtime: self.runtime.map((level) => pooledLevel(self, level, peers)),
  };
}

/** A runtime level's costs, each class's over the peers' levels of the same rank count whose
 * runs gave it the same channel on blocks of the same depth. */
function pooledLevel(
  self: Calibration,
  level: RuntimeLevel,
  peers: readonly Calibration[],
): RuntimeLevel {
  const levels = peers.flatMap((p) =>
    p.runtime.filter((l) => l.ranks === level.ranks).map((l) => ({ datapath: p.datapath, l })),
  );
  const pool = (
    classes: ClassCosts,
    depth: number,
    of: (l: RuntimeLevel) => { depth: number; classes: ClassCosts } | undefined,
  ): ClassCosts => {
    const out: Partial<Record<MessageClass, TransportCost>> = {};
    for (const c of MESSAGE_CLASSES) {
      if (!classes[c]) continue;
      const costs = levels.flatMap(({ datapath, l }) => {
        const runs = of(l);
        const cost = runs?.classes[c];
        return runs?.depth === depth && cost && CHANNELS[datapath][c] === CHANNELS[self.datapath][c]
          ? [cost]
          : [];
      });
      out[c] = {
        cpu: meanFit(costs.map((t) => t.cpu)),
        transient: meanFit(costs.map((t) => t.transient)),
      };
    }
    return out;
  };
  const depth = level.depth ?? THIN_DEPTH;
  const thick = level.thick;
  return {
    ...level,
    classes: pool(level.classes, depth, (l) => ({
      depth: l.depth ?? THIN_DEPTH,
      classes: l.classes,
    })),
    ...(thick
      ? { thick: { ...thick, classes: pool(thick.classes, thick.depth, (l) => l.thick) } }
      : {}),
    utilization: mean(levels.map(({ l }) => l.utilization)),
  };
}

/** One line per pooled part: which data paths' measurements it averages. */
function notesOf(all: readonly Calibration[]): string[] {
  const groups = new Map<string, Calibration[]>();
  for (const c of all) groups.set(machineOf(c), [...(groups.get(machineOf(c)) ?? []), c]);
  const notes: string[] = [];
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    notes.push(
      `the kernel, packing and the cores' busy share: mean of ${group.map((c) => c.datapath).join(', ')}`,
    );
    for (const c of MESSAGE_CLASSES) {
      const byChannel = new Map<string, Datapath[]>();
      for (const p of group)
        if (p.classes[c]) {
          const channel = CHANNELS[p.datapath][c];
          byChannel.set(channel, [...(byChannel.get(channel) ?? []), p.datapath]);
        }
      for (const [channel, datapaths] of byChannel)
        if (datapaths.length > 1) notes.push(`${c} (${channel}): mean of ${datapaths.join(', ')}`);
    }
  }
  return notes;
}
