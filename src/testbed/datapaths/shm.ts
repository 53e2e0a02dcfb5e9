/**
 * shm: the study's recommendation, direct paths plus shared memory. On the wire it is iov (a
 * macvlan VF per vm); what differs is above the network: ranks in two shm vms of one host
 * exchange messages through shared memory (the runtime's local transport), like the inter-VM
 * channels (XenLoop, XenSocket) the study points to. The testbed wires it as iov.
 */
import type { Host } from '../../topology/types.js';
import type { PlanContext, Step } from '../plan.js';
import { iov } from './iov.js';

export const shm = {
  description:
    'iov VFs to the wire plus shared-memory channels between co-located vms (runtime local transport)',
  plan(host: Host, hostNs: string, ctx: PlanContext): Step[] {
    return iov.plan(host, hostNs, ctx);
  },
};
