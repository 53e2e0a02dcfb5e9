/**
 * The advisor: every data path with a calibration, every named placement plus the optimized
 * one, each predicted; ranked by predicted time, the winner explained in a sentence. Pure.
 */
import { MESSAGE_CLASSES, type MessageClass, type Traffic } from '../placement/classes.js';
import { placeFor } from '../placement/mapping.js';
import type { Placed } from '../placement/patterns.js';
import { DATAPATH_RECORDS } from '../testbed/datapaths/index.js';
import type { Datapath, Topology } from '../topology/types.js';
import type { Calibration, PriceEngine } from './calibration.js';
import { type Calibrations, poolCalibrations } from './pool.js';
import { type AdvectApp, type Prediction, predictAdvect, predictMatrix } from './predict.js';

export const NAMED_PLACEMENTS = ['intra-node', 'inter-node', 'hybrid'] as const;

export type Workload =
  | { readonly kind: 'advect'; readonly app: AdvectApp; readonly traffic: readonly Traffic[] }
  | {
      readonly kind: 'matrix';
      readonly traffic: readonly Traffic[];
      /** Whose messages these are: priced in that engine's measured classes. */
      readonly engine: PriceEngine;
      /** The program's computation, measured (anchoredComputation); 0: communication only. */
      readonly computeS?: number;
    };

/** The engine a workload's figures are for: the advection app runs on vmpath. */
export function engineOf(workload: Workload): PriceEngine {
  return workload.kind === 'advect' ? 'vmpath' : workload.engine;
}

/** A program's computation from one measured run of a candidate (its program time): what the
 * run took beyond the communication the model predicts for that deployment. The study found
 * computation independent of data path and placement (its Figure 3), so the other candidates
 * need only their communication predicted on top of it. */
export function anchoredComputation(reference: Candidate, measuredS: number): number {
  return Math.max(0, measuredS - reference.prediction.commS);
}

export interface Candidate {
  readonly datapath: Datapath;
  readonly placement: string;
  readonly placed: readonly Placed[];
  readonly prediction: Prediction;
  /** The deployment it stands for (deploymentOf): candidates with the same key run the same
   * ranks in the same vms over the same channels, whatever their names. */
  readonly deployment: string;
}

/** What a (data path, placement) pair deploys: each rank's vm and the channel of each class its
 * messages use. Two pairs with the same key are one deployment under two names: iov and shm
 * when no message goes between vms of one host (hybrid, inter-node), or the optimized
 * placement when it lands on a named one. */
export function deploymentOf(
  datapath: Datapath,
  placed: readonly Placed[],
  byClass: Readonly<Record<MessageClass, { readonly messages: number }>>,
): string {
  const channels = MESSAGE_CLASSES.filter((c) => byClass[c].messages > 0).map(
    (c) => `${c}:${DATAPATH_RECORDS[datapath].channels[c]}`,
  );
  return `${placed.map((p) => p.vm).join(',')} ${channels.join(',')}`;
}

export interface Advice {
  readonly ranked: readonly Candidate[];
  readonly explanation: string;
  /** The parts of the calibrations priced by their mean (poolCalibrations), for people. */
  readonly pooled: readonly string[];
  /** How far apart the calibrations, each alone, priced one deployment that two data paths
   * name (relative to the lesser; absent: no such deployment): a measure of their noise. */
  readonly disagreement?: number;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

export function predictWorkload(
  calibration: Calibration,
  workload: Workload,
  placed: readonly Placed[],
  datapath: Datapath,
  source: string,
): Prediction {
  return workload.kind === 'advect'
    ? predictAdvect(calibration, workload.app, placed, datapath, source)
    : predictMatrix(
        calibration,
        workload.traffic,
        placed,
        datapath,
        source,
        workload.engine,
        workload.computeS ?? 0,
      );
}

export function advise(
  topology: Topology,
  calibrations: Calibrations,
  workload: Workload,
  ranks: number,
  placements: readonly string[] = [...NAMED_PLACEMENTS, 'optimized'],
): Advice {
  // Candidates on two data paths compare two calibrations: what they measured in common is
  // priced alike, so that only their differences rank them.
  const pooled = poolCalibrations(calibrations);
  const placedBy = new Map<string, Placed[]>();
  for (const name of placements)
    placedBy.set(name, placeFor(topology, name, ranks, workload.traffic));
  const candidates: Candidate[] = [];
  for (const [datapath, { calibration, source }] of pooled.calibrations)
    for (const [placement, placed] of placedBy) {
      const prediction = predictWorkload(calibration, workload, placed, datapath, source);
      const deployment = deploymentOf(datapath, placed, prediction.byClass);
      candidates.push({ datapath, placement, placed, prediction, deployment });
    }
  const disagreement = disagreementOf(calibrations, workload, candidates);
  const ranked = candidates.sort((a, b) => a.prediction.wallS - b.prediction.wallS);
  return {
    ranked,
    explanation: explain(ranked, disagreement),
    pooled: pooled.notes,
    ...(disagreement === undefined ? {} : { disagreement }),
  };
}

/** How far apart the calibrations, each alone, price the deployments that two data paths name
 * (the largest relative gap; undefined: no such deployment). Only those are predicted again. */
function disagreementOf(
  calibrations: Calibrations,
  workload: Workload,
  candidates: readonly Candidate[],
): number | undefined {
  const byDeployment = new Map<string, Map<Datapath, Candidate>>();
  for (const c of candidates) {
    const byPath = byDeployment.get(c.deployment) ?? new Map<Datapath, Candidate>();
    byPath.set(c.datapath, c);
    byDeployment.set(c.deployment, byPath);
  }
  const spreads: number[] = [];
  for (const byPath of byDeployment.values()) {
    if (byPath.size < 2) continue;
    const times = [...byPath.values()].map((c) => {
      const { calibration, source } = calibrations.get(c.datapath) as {
        calibration: Calibration;
        source: string;
      };
      return predictWorkload(calibration, workload, c.placed, c.datapath, source).wallS;
    });
    spreads.push(Math.max(...times) / Math.min(...times) - 1);
  }
  return spreads.length > 0 ? Math.max(...spreads) : undefined;
}

/** The winner in a sentence; with `disagreement` (Advice), how many other deployments the
 * calibrations cannot tell from it. */
export function explain(ranked: readonly Candidate[], disagreement?: number): string {
  const best = ranked[0];
  if (!best) return 'no candidate';
  const by = best.prediction.byClass;
  const bytes = MESSAGE_CLASSES.reduce((s, c) => s + by[c].bytes, 0);
  const share = (c: (typeof MESSAGE_CLASSES)[number]) => (bytes ? by[c].bytes / bytes : 0);
  const parts = [
    `${pct(share('intra-vm'))} of bytes stay inside vms, ${pct(share('inter-vm'))} cross between vms of a host, ${pct(share('inter-host'))} cross hosts`,
  ];
  const same = ranked.filter((c) => c !== best && c.deployment === best.deployment);
  if (same.length > 0)
    parts.push(
      `the same deployment as ${same.map((c) => `${c.datapath} ${c.placement}`).join(', ')}`,
    );
  const rival = ranked.find(
    (c) => c.datapath !== best.datapath && c.deployment !== best.deployment,
  );
  if (rival)
    parts.push(
      `${best.datapath} wins by ${(rival.prediction.wallS / best.prediction.wallS).toFixed(2)}x over the best ${rival.datapath} (${rival.placement})`,
    );
  const samePath = ranked.find(
    (c) =>
      c.datapath === best.datapath &&
      c.placement !== best.placement &&
      c.deployment !== best.deployment,
  );
  if (samePath)
    parts.push(
      `${best.placement} beats ${samePath.placement} by ${(samePath.prediction.wallS / best.prediction.wallS).toFixed(2)}x on ${best.datapath}`,
    );
  const p = best.prediction;
  if (disagreement !== undefined) {
    const close = new Set(
      ranked
        .filter((c) => c.prediction.wallS <= p.wallS * (1 + disagreement))
        .map((c) => c.deployment),
    );
    close.delete(best.deployment);
    if (close.size > 0)
      parts.push(
        `${close.size} other deployment${close.size > 1 ? 's are' : ' is'} predicted within ${pct(disagreement)} of it, the most by which two calibrations priced one deployment apart: measure them (advise --validate)`,
      );
  }
  parts.push(
    `predicted ${p.wallS.toFixed(3)} s, ${pct(p.commS / Math.max(p.wallS, 1e-12))} of it communication`,
  );
  return `${best.datapath} with ${best.placement}: ${parts.join('; ')}.`;
}
