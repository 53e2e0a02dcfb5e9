/**
 * Clusters past this machine: a topology of H hosts x V vms x S slots built as data (no
 * addresses, nothing to emulate), and the calibration read as a real cluster's, where every
 * rank has a core of its own; the app's prediction on each placement of one. Pure.
 */
import { advectTraffic } from '../apps/advect/pattern.js';
import { placeFor } from '../placement/mapping.js';
import type { Datapath, Topology } from '../topology/types.js';
import type { Calibration } from './calibration.js';
import { type AdvectApp, type Prediction, predictAdvect } from './predict.js';

export const SIMULATION_LIMITS = { hosts: 16384, ranks: 262144 } as const;

export function clusterTopology(
  hosts: number,
  vmsPerHost: number,
  slots: number,
  datapath: Datapath,
  rateMbit: number | null,
): Topology {
  return {
    name: `cluster-${hosts}x${vmsPerHost}x${slots}`,
    description: `${hosts} hosts x ${vmsPerHost} vms x ${slots} slots (simulated)`,
    addressing: { subnet: '198.18.0.0/15', prefixLength: 15 },
    switch: hosts > 2 ? { name: 'switch' } : null,
    hosts: Array.from({ length: hosts }, (_, h) => ({
      name: `host${h}`,
      cpus: null,
      dom0: { backend: 'kernel' as const, cpus: null },
      uplink: { rateMbit, burstBytes: null, delayMs: 0 },
      iov: { mode: 'veb' as const, maxVfs: Math.max(vmsPerHost, 1) },
      native: datapath === 'native',
      address: null,
      vms: Array.from({ length: vmsPerHost }, (_, v) => ({
        name: `h${h}vm${v}`,
        slots,
        datapath,
        address: null,
      })),
    })),
  };
}

/** The calibration as a real cluster's: one core per rank. */
export function asRealCluster(calibration: Calibration): Calibration {
  return { ...calibration, machine: { ...calibration.machine, emulated: false } };
}

export interface Cluster {
  readonly hosts: number;
  readonly vmsPerHost: number;
  readonly slots: number;
  /** The uplinks' rate, Mbit/s (null: as calibrated). */
  readonly rateMbit: number | null;
}

/** The advection app's predicted time under each placement on a cluster of the calibration's
 * data path, every rank on a core of its own. */
export function simulateCluster(
  { calibration, source }: { calibration: Calibration; source: string },
  cluster: Cluster,
  app: AdvectApp,
  placements: readonly string[],
): { placement: string; prediction: Prediction }[] {
  const { hosts, vmsPerHost, slots, rateMbit } = cluster;
  const topology = clusterTopology(hosts, vmsPerHost, slots, calibration.datapath, rateMbit);
  const n = hosts * vmsPerHost * slots;
  const real = asRealCluster(calibration);
  const traffic = advectTraffic(app.grid, app.decomp, 1);
  return placements.map((name) => ({
    placement: name,
    prediction: predictAdvect(
      real,
      app,
      placeFor(topology, name, n, traffic, '--placements'),
      calibration.datapath,
      source,
    ),
  }));
}
