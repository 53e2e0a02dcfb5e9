/**
 * Which node talks to which. The study's pattern: the i-th vm of host 0 towards the i-th vm of
 * host 1, all at once (node1->node5, node2->node6, ...). With native hosts the same streams
 * run at once host 0 -> host 1 (the vms' ranks are the host's own there): the concurrency is
 * the workload's, and only the data path differs between the rows of the study's tables.
 * Pure.
 */
import { VmpathError } from '../core/errors.js';
import { endpointsOf, findNode, type TestbedNode } from '../testbed/nodes.js';
import type { Topology } from '../topology/types.js';

export interface Pair {
  readonly from: TestbedNode;
  readonly to: TestbedNode;
}

/** The study's concurrent pairs between the first two hosts. */
export function studyPairs(topology: Topology, id: string): Pair[] {
  const [h0, h1] = topology.hosts;
  if (!h0 || !h1) {
    throw new VmpathError(
      'E_BENCH_INPUT',
      `--id: testbed ${id} has ${topology.hosts.length} host; pairs need at least two hosts`,
      {
        details: { field: '--id', value: id },
      },
    );
  }
  const endpoints = endpointsOf(topology, id);
  const on = (host: string) => endpoints.filter((n) => n.host === host);
  const senders = on(h0.name);
  const receivers = on(h1.name);
  const count = Math.min(h0.vms.length, h1.vms.length);
  // A native host is one endpoint for all its vms: its streams all start and end there.
  return Array.from({ length: count }, (_, i) => ({
    from: senders[h0.native ? 0 : i] as TestbedNode,
    to: receivers[h1.native ? 0 : i] as TestbedNode,
  }));
}

/** One explicit pair; both nodes must be endpoints that carry an address, and differ. */
export function explicitPair(topology: Topology, id: string, from: string, to: string): Pair {
  const pair = {
    from: endpoint(topology, id, from, '--from'),
    to: endpoint(topology, id, to, '--to'),
  };
  if (pair.from.netns === pair.to.netns) {
    throw new VmpathError(
      'E_BENCH_INPUT',
      `--to: got ${JSON.stringify(to)}; allowed: a node other than --from (${from}) in another namespace`,
      {
        details: { field: '--to', value: to },
      },
    );
  }
  return pair;
}

function endpoint(topology: Topology, id: string, name: string, field: string): TestbedNode {
  let node: TestbedNode;
  try {
    node = findNode(topology, id, name);
  } catch (error) {
    throw new VmpathError(
      'E_BENCH_INPUT',
      `${field}: ${(error as Error).message.replace(/^NODE: /, '')}`,
      { details: { field, value: name } },
    );
  }
  if (!node.address) {
    const addressed = endpointsOf(topology, id).map((n) => n.name);
    throw new VmpathError(
      'E_BENCH_INPUT',
      `${field}: got ${JSON.stringify(name)}; allowed: a node with an address: ${addressed.join(', ')}`,
      {
        details: { field, value: name },
      },
    );
  }
  return node;
}
