/**
 * The nodes of a built testbed: the switch, each host and each vm, with the namespace each lives
 * in. A vm of a native host has no namespace of its own: it resolves to its host. Pure.
 */
import { VmpathError } from '../core/errors.js';
import type { Datapath, Topology } from '../topology/types.js';
import { hostDatapath } from './datapaths/index.js';
import { hostNetns, switchNetns, vmNetns } from './names.js';

export interface TestbedNode {
  readonly role: 'switch' | 'host' | 'vm';
  readonly name: string;
  /** The host a vm runs on (its own name for a host). */
  readonly host: string | null;
  readonly netns: string;
  readonly datapath: Datapath | null;
  /** The address traffic to this node uses; null for the switch and non-native hosts. */
  readonly address: string | null;
}

/** Every node, switch first, then each host followed by its vms. */
export function nodesOf(topology: Topology, id: string): TestbedNode[] {
  const nodes: TestbedNode[] = [];
  if (topology.switch) {
    const name = topology.switch.name;
    nodes.push({
      role: 'switch',
      name,
      host: null,
      netns: switchNetns(id, name),
      datapath: null,
      address: null,
    });
  }
  for (const host of topology.hosts) {
    const hostNs = hostNetns(id, host.name);
    const datapath = hostDatapath(host);
    nodes.push({
      role: 'host',
      name: host.name,
      host: host.name,
      netns: hostNs,
      datapath,
      address: host.address,
    });
    for (const vm of host.vms) {
      const netns = host.native ? hostNs : vmNetns(id, host.name, vm.name);
      nodes.push({
        role: 'vm',
        name: vm.name,
        host: host.name,
        netns,
        datapath,
        address: vm.address ?? host.address,
      });
    }
  }
  return nodes;
}

/** The node called `name`, or an input error listing the names there are. */
export function findNode(topology: Topology, id: string, name: string): TestbedNode {
  const nodes = nodesOf(topology, id);
  const node = nodes.find((n) => n.name === name);
  if (!node) {
    throw new VmpathError(
      'E_TESTBED_NODE',
      `NODE: got ${JSON.stringify(name)}; allowed: a host, vm or switch of testbed ${id}: ${nodes.map((n) => n.name).join(', ')}`,
      { details: { field: 'NODE', value: name } },
    );
  }
  return node;
}

/** The endpoints traffic runs between: every vm, or every host when the host is native. */
export function endpointsOf(topology: Topology, id: string): TestbedNode[] {
  return nodesOf(topology, id).filter((n) => {
    if (n.role === 'switch') return false;
    const host = topology.hosts.find((h) => h.name === n.host);
    return host?.native ? n.role === 'host' : n.role === 'vm';
  });
}
