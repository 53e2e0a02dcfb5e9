/**
 * bridged: the default Xen data path. Each vm has a veth (eth0 in the vm, v-<vm> in the host)
 * and the host has a Linux bridge with the uplink as a port.
 *  - backend: user (the split-driver model): v-<vm> is on no bridge; the host's dom0 backend
 *    (testbed/dom0.ts) moves every frame between it and the vm's tap t-<vm>, a bridge port:
 *    vm -> veth -> dom0 backend (user space) -> tap -> bridge -> uplink.
 *  - backend: kernel (the vhost-net analog): v-<vm> is the bridge port itself.
 */
import type { Host } from '../../topology/types.js';
import { BRIDGE, UPLINK, VM_IF, vmNetns, vmPort, vmTap } from '../names.js';
import { addAddress, addBridge, ip, linkUp, type PlanContext, type Step } from '../plan.js';
import { type DatapathRecord, uplinks } from './record.js';

export const bridged: DatapathRecord = {
  name: 'bridged',
  description:
    "through the host's dom0 and software bridge: vm veth -> dom0 backend (user space, or the kernel) -> host bridge -> uplink",
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
      const owner = `hosts[${h}].vms[${v}].name`;
      const port = vmPort(vm.name, owner);
      // The bridge port: the veth itself, or the tap the dom0 backend writes the vm's frames to.
      const bridgePort = host.dom0.backend === 'user' ? vmTap(vm.name, owner) : port;
      steps.push(
        ip(
          hostNs,
          ['link', 'add', 'name', port, 'type', 'veth', 'peer', 'name', VM_IF, 'netns', vmNs],
          `veth of vm ${vm.name} (${port} in the host, ${VM_IF} in the vm)`,
          { kind: 'link', netns: hostNs, name: port },
        ),
      );
      if (bridgePort !== port)
        steps.push(
          linkUp(hostNs, port),
          ip(
            hostNs,
            ['tuntap', 'add', 'dev', bridgePort, 'mode', 'tap'],
            `tap of vm ${vm.name} on the bridge of ${host.name}, behind its dom0 backend`,
            { kind: 'link', netns: hostNs, name: bridgePort },
          ),
        );
      steps.push(
        ip(
          hostNs,
          ['link', 'set', 'dev', bridgePort, 'master', BRIDGE],
          `${bridgePort} joins the bridge of ${host.name}`,
        ),
        linkUp(hostNs, bridgePort),
      );
      if (vm.address)
        steps.push(addAddress(vmNs, VM_IF, vm.address, ctx.topology.addressing.prefixLength));
      steps.push(linkUp(vmNs, VM_IF));
    });
    return steps;
  },
};
