/**
 * Clusters past this machine: a topology of H hosts x V vms x S slots built as data (no
 * addresses, nothing to emulate), and the calibration read as a real cluster's, where every
 * rank has a core of its own. Pure.
 */
import type { Datapath, Topology } from '../topology/types.js';
import type { Calibration } from './calibration.js';

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
