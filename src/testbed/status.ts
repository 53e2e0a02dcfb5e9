/**
 * `testbed status`: what a testbed's record says, checked against what the kernel has now.
 */
import type { CommandRunner } from '../sys/runner.js';
import type { Datapath, Dom0Backend } from '../topology/types.js';
import { readBudget } from './budgets.js';
import { recordedBackends } from './dom0.js';
import { type InterfaceStatus, inspectNetns, type QdiscStatus } from './inspect.js';
import type { LedgerLine } from './ledger.js';
import { hostNetns } from './names.js';
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
  /** Each host's dom0: its backend for bridged vms, the CPU budgets in force (cores), and the
   * backend process when it has one. */
  readonly dom0: readonly Dom0Status[];
  /** Namespaces the record names that are missing now (a damaged testbed). */
  readonly missing: readonly string[];
}

export interface Dom0Status {
  readonly host: string;
  readonly backend: Dom0Backend;
  readonly cpus: number | null;
  readonly guestsCpus: number | null;
  readonly pid: number | null;
  readonly running: boolean | null;
}

/** Each host's dom0 as the ledger and the kernel have it now. */
export function dom0Status(record: TestbedRecord, ledger: readonly LedgerLine[]): Dom0Status[] {
  const backends = recordedBackends(ledger);
  return record.topology.hosts.map((host) => {
    const ns = hostNetns(record.id, host.name);
    const process = backends.find((b) => b.host === host.name);
    return {
      host: host.name,
      backend: host.dom0.backend,
      cpus: readBudget(`${ns}-dom0`),
      guestsCpus: readBudget(`${ns}-guests`),
      pid: process?.pid ?? null,
      running: process ? process.running : null,
    };
  });
}

/** Reads the live state of every namespace of a testbed. */
export async function testbedStatus(
  runner: CommandRunner,
  record: TestbedRecord,
  ledger: readonly LedgerLine[] = [],
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
    dom0: dom0Status(record, ledger),
    missing: [...new Set(nodes.map((n) => n.netns))].filter((ns) => !existing.has(ns)),
  };
}
