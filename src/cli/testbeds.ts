/**
 * What several commands share: finding a testbed's record from --id, or reading the
 * inventory of --cluster, as the target a measuring command runs on.
 */
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { type Inventory, resolveInventory } from '../cluster/inventory.js';
import { clusterTarget, type Target, testbedTarget } from '../cluster/target.js';
import { invalidField, VmpathError } from '../core/errors.js';
import { checkId } from '../core/ids.js';
import { listIds, type TestbedRecord, TestbedState } from '../testbed/state.js';
import type { Datapath } from '../topology/types.js';
import type { CliContext } from './context.js';
import { readSpecFile } from './load.js';

/** The record of `--id`, or of the only testbed there is when no id is given. */
export function recordOf(ctx: CliContext, id: string | undefined): TestbedRecord {
  const ids = listIds(ctx.stateDir);
  if (id === undefined) {
    if (ids.length !== 1) {
      throw new VmpathError(
        'E_CLI_USAGE',
        `--id: needed when there is not exactly one testbed (there are ${ids.length}${ids.length ? `: ${ids.join(', ')}` : ''})`,
        {
          details: { field: '--id' },
        },
      );
    }
    id = ids[0] as string;
  }
  const record = new TestbedState(ctx.stateDir, checkId(id)).read();
  if (!record) {
    throw new VmpathError(
      'E_TESTBED_UNKNOWN',
      `--id: got ${JSON.stringify(id)}; allowed: an existing testbed (${ids.join(', ') || 'none is up'})`,
      {
        details: { field: '--id', value: id },
      },
    );
  }
  return record;
}

/** The inventory in `file` (--cluster), with the environment's defaults. */
export function readInventory(ctx: CliContext, file: string): Inventory {
  return resolveInventory(readSpecFile(file, 'inventory'), file, {
    baseDir: dirname(file),
    user: ctx.env.USER || userInfo().username,
    ...(ctx.env.VMPATH_SSH_IDENTITY ? { identityFile: ctx.env.VMPATH_SSH_IDENTITY } : {}),
    ...(ctx.env.VMPATH_SSH_KNOWN_HOSTS ? { knownHosts: ctx.env.VMPATH_SSH_KNOWN_HOSTS } : {}),
  });
}

/** Where a measuring command runs: the cluster of --cluster, or the testbed of --id (or the
 * only one there is). */
export function targetOf(ctx: CliContext, flags: { id?: string; cluster?: string }): Target {
  if (flags.cluster !== undefined && flags.id !== undefined)
    throw new VmpathError(
      'E_CLI_USAGE',
      '--cluster: given with --id; allowed: one of them (a testbed, or a cluster)',
      { details: { field: '--cluster' } },
    );
  if (flags.cluster !== undefined) return clusterTarget(readInventory(ctx, flags.cluster), ctx.env);
  return testbedTarget(recordOf(ctx, flags.id));
}

/** Inventories of one data path each (--cluster, repeated), by data path: a cluster's nodes are
 * what they are, so each data path the study compares is its own set of vms or addresses (a
 * vm's virtio and VF interfaces, say). */
export function clustersOf(ctx: CliContext, files: readonly string[]): Map<Datapath, Target> {
  const clusters = new Map<Datapath, Target>();
  for (const file of files) {
    const inventory = readInventory(ctx, file);
    const datapaths = [
      ...new Set(inventory.topology.hosts.flatMap((h) => h.vms.map((v) => v.datapath))),
    ];
    const [datapath] = datapaths;
    if (datapaths.length !== 1 || !datapath)
      throw invalidField(
        'E_CLI_USAGE',
        '--cluster',
        file,
        `an inventory whose vms all declare one data path; ${file} has ${datapaths.join(', ')}`,
      );
    const earlier = clusters.get(datapath);
    if (earlier)
      throw invalidField(
        'E_CLI_USAGE',
        '--cluster',
        file,
        `one inventory per data path (${earlier.label} is ${datapath} too)`,
      );
    clusters.set(datapath, clusterTarget(inventory, ctx.env));
  }
  return clusters;
}

/** commander's collector for a repeated option. */
export const repeated = (value: string, earlier: string[]): string[] => [...earlier, value];
