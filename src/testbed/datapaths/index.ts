/**
 * The data-path registry: name -> { description, plan }. A host's data path is the one its
 * vms share (the spec forbids mixing per host); `plan` returns the steps that wire the host's
 * vms (or the host itself, for native) to its uplink.
 */
import type { Datapath, Host } from '../../topology/types.js';
import type { PlanContext, Step } from '../plan.js';
import { bridged } from './bridged.js';
import { iov } from './iov.js';
import { native } from './native.js';
import { shm } from './shm.js';

export interface DatapathPlanner {
  readonly description: string;
  plan(host: Host, hostNs: string, ctx: PlanContext, hostIndex: number): Step[];
}

export const DATAPATH_PLANNERS: Readonly<Record<Datapath, DatapathPlanner>> = {
  native,
  bridged,
  iov,
  shm,
};

/** The data path a host's vms share. */
export function hostDatapath(host: Host): Datapath {
  return host.vms[0]?.datapath ?? 'native';
}
