/**
 * native: no vms. The host's own address sits on its uplink; ranks run in the host namespace.
 */
import type { Host } from '../../topology/types.js';
import { UPLINK } from '../names.js';
import { addAddress, linkUp, type PlanContext, type Step } from '../plan.js';

export const native = {
  description: 'bare metal: ranks run on the host itself, its address on the uplink',
  plan(host: Host, hostNs: string, ctx: PlanContext): Step[] {
    if (!host.address) return [];
    return [
      addAddress(hostNs, UPLINK, host.address, ctx.topology.addressing.prefixLength),
      linkUp(hostNs, UPLINK),
    ];
  },
};
