/**
 * bridged: the default Xen data path. Each vm has a veth whose host end is a port of a Linux
 * bridge in the host, with the uplink as another port: vm -> veth -> bridge -> uplink.
 */
import type { Host } from '../../topology/types.js';
import { BRIDGE, UPLINK, VM_IF, vmNetns, vmPort } from '../names.js';
import { addAddress, addBridge, ip, linkUp, type PlanContext, type Step } from '../plan.js';
import { type DatapathRecord, uplinks } from './record.js';

export const bridged: DatapathRecord = {
  name: 'bridged',
  description: 'software bridge in the host (Xen Dom0 analog): vm veth -> host bridge -> uplink',
  channels: { 'intra-vm': 'local', 'inter-vm': 'bridge', 'inter-host': 'bridge' },
  usesVf: false,
  // Every frame crosses its host's bridge; between vms of one host, that bridge alone.
  resources: (messageClass, ends) =>
    messageClass === 'intra-vm'
      ? []
      : messageClass === 'inter-vm'
        ? [`bridge:${ends.from}`]
        : [...uplinks(ends), `bridge:${ends.from}`, `bridge:${ends.to}`],
  colour: '#e45756',
  plan(host: Host, hostNs: string, ctx: PlanContext, h: number): Step[] {
    const steps: Step[] = [
      ...addBridge(hostNs, BRIDGE, `host bridge of ${host.name}`),
      ip(
        hostNs,
        ['link', 'set', 'dev', UPLINK, 'master', BRIDGE],
        `uplink of ${host.name} joins its bridge`,
      ),
      linkUp(hostNs, UPLINK),
    ];
    host.vms.forEach((vm, v) => {
      const vmNs = vmNetns(ctx.id, host.name, vm.name);
      const port = vmPort(vm.name, `hosts[${h}].vms[${v}].name`);
      steps.push(
        ip(
          hostNs,
          ['link', 'add', 'name', port, 'type', 'veth', 'peer', 'name', VM_IF, 'netns', vmNs],
          `veth of vm ${vm.name} (${port} in the host, ${VM_IF} in the vm)`,
          { kind: 'link', netns: hostNs, name: port },
        ),
        ip(
          hostNs,
          ['link', 'set', 'dev', port, 'master', BRIDGE],
          `${port} joins the bridge of ${host.name}`,
        ),
        linkUp(hostNs, port),
      );
      if (vm.address)
        steps.push(addAddress(vmNs, VM_IF, vm.address, ctx.topology.addressing.prefixLength));
      steps.push(linkUp(vmNs, VM_IF));
    });
    return steps;
  },
};
