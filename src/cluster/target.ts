/**
 * Where a measuring command runs: an emulated testbed (`--id`) or a real cluster
 * (`--cluster`), as one value: the topology everything pure reads, and the launcher every
 * process starts through. Pure.
 */
import type { TestbedRecord } from '../testbed/state.js';
import type { Topology } from '../topology/types.js';
import type { Inventory, SshAccess } from './inventory.js';
import { type Launcher, NETNS_LAUNCHER, slurmLauncher, sshLauncher } from './launcher.js';

export interface Target {
  readonly kind: 'testbed' | 'cluster';
  /** The testbed's id, or the inventory's name. */
  readonly id: string;
  readonly topology: Topology;
  readonly launcher: Launcher;
  /** For messages: `testbed ID` or `cluster NAME (FILE)`. */
  readonly label: string;
  /** The inventory of a cluster; null for a testbed. */
  readonly inventory: Inventory | null;
}

export function testbedTarget(record: Pick<TestbedRecord, 'id' | 'topology'>): Target {
  return {
    kind: 'testbed',
    id: record.id,
    topology: record.topology,
    launcher: NETNS_LAUNCHER,
    label: `testbed ${record.id}`,
    inventory: null,
  };
}

export function clusterTarget(inventory: Inventory, env: NodeJS.ProcessEnv): Target {
  const launcher =
    inventory.access.kind === 'ssh'
      ? sshLauncher(inventory.access.hosts)
      : slurmLauncher(env, {
          partition: inventory.access.partition,
          nodes: [
            ...new Set(
              inventory.topology.hosts.flatMap((h) =>
                h.native ? [h.name] : h.vms.map((v) => v.name),
              ),
            ),
          ],
        });
  return {
    kind: 'cluster',
    id: inventory.name,
    topology: inventory.topology,
    launcher,
    label: `cluster ${inventory.name} (${inventory.source})`,
    inventory,
  };
}

/** What Open MPI's own launch needs of a cluster's launcher (runtime/openmpi-cluster.ts). */
export function mpiLauncherOf(
  target: Target,
): { kind: 'ssh'; access: Readonly<Record<string, SshAccess>> } | { kind: 'slurm' } | null {
  const access = target.inventory?.access;
  if (!access) return null;
  return access.kind === 'ssh' ? { kind: 'ssh', access: access.hosts } : { kind: 'slurm' };
}
