/**
 * shm: the study's recommendation, direct paths plus shared memory. On the wire it is iov (a
 * macvlan VF per vm); what differs is above the network: ranks in two shm vms of one host
 * exchange messages through shared memory (the runtime's local transport), like the inter-VM
 * channels (XenLoop, XenSocket) the study points to. The testbed wires it as iov.
 */
import type { Host } from '../../topology/types.js';
import type { PlanContext, Step } from '../plan.js';
import { iov } from './iov.js';
import { type DatapathRecord, uplinks } from './record.js';

export const shm: DatapathRecord = {
  name: 'shm',
  description:
    'iov VFs to the wire plus shared-memory channels between co-located vms (runtime local transport)',
  channels: { 'intra-vm': 'local', 'inter-vm': 'shm', 'inter-host': 'vf' },
  usesVf: true,
  // Between vms of one host, host memory: nothing the network shares.
  resources: (messageClass, ends) => (messageClass === 'inter-host' ? uplinks(ends) : []),
  colour: '#b279a2',
  plan(host: Host, hostNs: string, ctx: PlanContext, h: number): Step[] {
    return iov.plan(host, hostNs, ctx, h);
  },
};
