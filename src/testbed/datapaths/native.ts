/**
 * native: no vms. The host's own address sits on its uplink; ranks run in the host namespace.
 */
import type { Host } from '../../topology/types.js';
import { UPLINK } from '../names.js';
import { addAddress, linkUp, type PlanContext, type Step } from '../plan.js';
import { type DatapathRecord, uplinks } from './record.js';

export const native: DatapathRecord = {
  name: 'native',
  description: 'bare metal: ranks run on the host itself, its address on the uplink',
  // A native host is one "vm": its ranks share the local transport; there is no inter-vm class.
  channels: { 'intra-vm': 'local', 'inter-vm': 'native', 'inter-host': 'native' },
  usesVf: false,
  resources: (messageClass, ends) => (messageClass === 'inter-host' ? uplinks(ends) : []),
  colour: '#4c78a8',
  plan(host: Host, hostNs: string, ctx: PlanContext): Step[] {
    if (!host.address) return [];
    return [
      addAddress(hostNs, UPLINK, host.address, ctx.topology.addressing.prefixLength),
      linkUp(hostNs, UPLINK),
    ];
  },
};
