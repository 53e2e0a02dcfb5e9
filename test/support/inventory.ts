/**
 * Inventories of a built testbed, for the cluster launchers' tests: the testbed's vms (or native
 * hosts) with their addresses, slots and data paths, reached over a test sshd (sshd.ts) or the
 * test Slurm (slurm.ts), written to a file as a user would write one.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Topology } from '../../src/topology/types.js';

export interface InventoryAccess {
  readonly ssh?: { identityFile: string; knownHosts: string; user: string; port: number };
  readonly slurm?: { partition: string };
}

/** The inventory document of `topology`'s testbed. */
export function inventoryOf(topology: Topology, access: InventoryAccess, name = 'testcluster') {
  return {
    name,
    ...access,
    hosts: topology.hosts.map((h) => ({
      name: h.name,
      ...(h.address ? { address: h.address } : {}),
      vms: h.vms.map((v) => ({
        name: v.name,
        ...(v.address ? { address: v.address } : {}),
        slots: v.slots,
        datapath: v.datapath,
      })),
    })),
  };
}

/** Writes `doc` as JSON (a subset of YAML) into `dir`, returning the file's path. */
export function writeInventory(dir: string, doc: unknown, file = 'inventory.yaml'): string {
  const path = join(dir, file);
  writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`);
  return path;
}
