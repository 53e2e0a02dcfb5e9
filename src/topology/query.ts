/**
 * Small read-only questions about a resolved topology. Pure.
 */
import type { Host, Topology, Vm } from './types.js';

/** Every vm with its host, in topology order. */
export function vmsOf(topology: Topology): { host: Host; vm: Vm }[] {
  return topology.hosts.flatMap((host) => host.vms.map((vm) => ({ host, vm })));
}

/** Slots of a host: the sum of its vms' vCPUs (also what a native host offers). */
export function slotsOf(host: Host): number {
  return host.vms.reduce((sum, vm) => sum + vm.slots, 0);
}
