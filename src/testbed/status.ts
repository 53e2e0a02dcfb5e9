/**
 * `testbed status`: what a testbed's record says, checked against what the kernel has now.
 */
import type { CommandRunner } from '../sys/runner.js';
import type { Datapath } from '../topology/types.js';
import { type InterfaceStatus, inspectNetns, type QdiscStatus } from './inspect.js';
import { nodesOf, type TestbedNode } from './nodes.js';
import { listNetns, type TestbedRecord } from './state.js';

export interface NodeStatus extends TestbedNode {
  readonly exists: boolean;
  readonly interfaces: readonly InterfaceStatus[];
  readonly qdiscs: readonly QdiscStatus[];
}

export interface TestbedStatus {
  readonly id: string;
  readonly state: TestbedRecord['state'];
  readonly topology: string;
  readonly createdAt: string;
  readonly datapaths: readonly Datapath[];
  readonly nodes: readonly NodeStatus[];
  /** Namespaces the record names that are missing now (a damaged testbed). */
  readonly missing: readonly string[];
}

/** Reads the live state of every namespace of a testbed. */
export async function testbedStatus(
  runner: CommandRunner,
  record: TestbedRecord,
): Promise<TestbedStatus> {
  const nodes = nodesOf(record.topology, record.id);
  const existing = new Set(listNetns());
  const inspected = new Map<string, Awaited<ReturnType<typeof inspectNetns>>>();
  for (const netns of new Set(nodes.map((n) => n.netns))) {
    if (existing.has(netns)) inspected.set(netns, await inspectNetns(runner, netns));
  }
  const statuses: NodeStatus[] = nodes.map((node) => {
    const seen = inspected.get(node.netns);
    const own = !(
      node.role === 'vm' && node.netns === nodes.find((n) => n.name === node.host)?.netns
    );
    return {
      ...node,
      exists: seen !== undefined,
      interfaces: own ? (seen?.interfaces ?? []) : [],
      qdiscs: own ? (seen?.qdiscs ?? []) : [],
    };
  });
  return {
    id: record.id,
    state: record.state,
    topology: record.topology.name,
    createdAt: record.createdAt,
    datapaths: [...new Set(nodes.flatMap((n) => (n.datapath ? [n.datapath] : [])))],
    nodes: statuses,
    missing: [...new Set(nodes.map((n) => n.netns))].filter((ns) => !existing.has(ns)),
  };
}
