/**
 * iov: the SR-IOV analog. Each vm owns a macvlan on the host's uplink (a "virtual function")
 * created directly inside the vm's namespace; no bridge, no host stack on the way.
 * macvlan mode `bridge` switches vm-to-vm frames inside the "NIC" (veb); mode `vepa` sends
 * them out to the switch, which reflects them back (hairpin).
 */
import type { Host } from '../../topology/types.js';
import { UPLINK, VM_IF, vmNetns } from '../names.js';
import { addAddress, ip, linkUp, type PlanContext, type Step } from '../plan.js';
import { type DatapathRecord, uplinks } from './record.js';

/** macvlan mode for each embedded-switch mode. */
export const MACVLAN_MODE = { veb: 'bridge', vepa: 'vepa' } as const;

export const iov: DatapathRecord = {
  name: 'iov',
  description:
    'direct path (SR-IOV analog): a macvlan VF per vm on the uplink, veb or vepa switching',
  channels: { 'intra-vm': 'local', 'inter-vm': 'vf', 'inter-host': 'vf' },
  usesVf: true,
  // Between vms of one host, frames cross the NIC's embedded switch.
  resources: (messageClass, ends) =>
    messageClass === 'intra-vm'
      ? []
      : messageClass === 'inter-vm'
        ? [`nic:${ends.from}`]
        : uplinks(ends),
  colour: '#54a24b',
  plan(host: Host, hostNs: string, ctx: PlanContext): Step[] {
    const steps: Step[] = [linkUp(hostNs, UPLINK)];
    for (const vm of host.vms) {
      const vmNs = vmNetns(ctx.id, host.name, vm.name);
      steps.push(
        ip(
          hostNs,
          [
            'link',
            'add',
            'link',
            UPLINK,
            'name',
            VM_IF,
            'netns',
            vmNs,
            'type',
            'macvlan',
            'mode',
            MACVLAN_MODE[host.iov.mode],
          ],
          `virtual function of vm ${vm.name} on ${host.name}'s uplink (macvlan ${MACVLAN_MODE[host.iov.mode]})`,
          { kind: 'link', netns: vmNs, name: VM_IF },
        ),
      );
      if (vm.address)
        steps.push(addAddress(vmNs, VM_IF, vm.address, ctx.topology.addressing.prefixLength));
      steps.push(linkUp(vmNs, VM_IF));
    }
    return steps;
  },
};
