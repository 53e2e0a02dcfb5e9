/**
 * Inventories: a real cluster described as data, the twin of a topology spec. Hosts with their
 * vms (address, slots, the data path the user declares their NIC to be: vmpath measures it, it
 * does not build it) and how they are reached: ssh (user, port, key and known-hosts file) or
 * Slurm (a partition). It resolves to a `Topology`, so that everything pure (placement, message
 * classes, the model) is the same on a cluster as on the emulated testbed, plus the launcher's
 * settings. Validated with zod like topologies, with the same names and rules. Pure: the
 * caller reads the file and passes the environment's defaults.
 */
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { invalidField, VmpathError } from '../core/errors.js';
import { parseIpv4 } from '../topology/address.js';
import { deepFreeze, describeIssue, formatPath } from '../topology/resolve.js';
import { NAME_MAX, NAME_PATTERN } from '../topology/schema.js';
import {
  ATTACHMENT,
  DATAPATHS,
  type Datapath,
  type Host,
  type Topology,
  type Vm,
} from '../topology/types.js';

const nameRule = `a name of 1 to ${NAME_MAX} characters: a lower-case letter, then lower-case letters, digits or '_'`;
const name = z
  .string({ error: nameRule })
  .max(NAME_MAX, { error: nameRule })
  .regex(NAME_PATTERN, { error: nameRule });
const ipv4 = z
  .string({ error: 'an IPv4 address a.b.c.d' })
  .refine((text) => parseIpv4(text) !== null, { error: 'an IPv4 address a.b.c.d' });
const path = z.string({ error: 'a file path' }).min(1, { error: 'a file path' });
const port = z
  .number({ error: 'a TCP port from 1 to 65535' })
  .int({ error: 'a TCP port from 1 to 65535' })
  .min(1, { error: 'a TCP port from 1 to 65535' })
  .max(65535, { error: 'a TCP port from 1 to 65535' });

const ssh = z.strictObject({
  user: z
    .string({ error: 'a user name' })
    .regex(/^[a-z_][a-z0-9_.-]{0,31}$/, { error: 'a user name' })
    .optional(),
  port: port.optional(),
  identityFile: path.optional(),
  knownHosts: path.optional(),
});
const slurm = z.strictObject({
  partition: name.optional(),
});

const vm = z.strictObject({
  name,
  address: ipv4.optional(),
  slots: z
    .number({ error: 'vCPUs: an integer from 1 to 1024' })
    .int({ error: 'vCPUs: an integer from 1 to 1024' })
    .min(1, { error: 'vCPUs: an integer from 1 to 1024' })
    .max(1024, { error: 'vCPUs: an integer from 1 to 1024' }),
  datapath: z.enum(DATAPATHS as [string, ...string[]], {
    error: `one of ${DATAPATHS.join(', ')}: what the vm's NIC is`,
  }),
});

const rate = 'a rate in Mbit/s greater than 0 and at most 400000';
const host = z.strictObject({
  name,
  address: ipv4.optional(),
  ssh: ssh.optional(),
  slurm: slurm.optional(),
  uplink: z
    .strictObject({
      rateMbit: z.number({ error: rate }).gt(0, { error: rate }).max(400_000, { error: rate }),
    })
    .optional(),
  vms: z
    .array(vm, { error: 'a list of vms' })
    .min(1, { error: 'at least one vm per host' })
    .max(256, { error: 'at most 256 vms per host' }),
});

export const inventorySchema = z.strictObject({
  name: name.optional(),
  description: z.string({ error: 'text' }).max(500, { error: 'at most 500 characters' }).optional(),
  ssh: ssh.optional(),
  slurm: slurm.optional(),
  hosts: z
    .array(host, { error: 'a list of hosts' })
    .min(1, { error: 'at least one host' })
    .max(64, { error: 'at most 64 hosts' }),
});

export type InventoryInput = z.infer<typeof inventorySchema>;

/** How ssh reaches the nodes of one host. The user's own ~/.ssh is never read or written: the
 * key and the known hosts are named here. */
export interface SshAccess {
  readonly user: string;
  readonly port: number;
  readonly identityFile: string;
  readonly knownHosts: string;
}

export type Access =
  | { readonly kind: 'ssh'; readonly hosts: Readonly<Record<string, SshAccess>> }
  | { readonly kind: 'slurm'; readonly partition: string | null };

export interface Inventory {
  readonly name: string;
  /** The file it came from, for messages. */
  readonly source: string;
  readonly topology: Topology;
  readonly access: Access;
}

/** What the environment supplies where the file is silent. */
export interface InventoryDefaults {
  /** The folder relative paths are read from (the inventory file's). */
  readonly baseDir: string;
  readonly user: string;
  /** VMPATH_SSH_IDENTITY and VMPATH_SSH_KNOWN_HOSTS. */
  readonly identityFile?: string;
  readonly knownHosts?: string;
}

function parseInput(raw: unknown, source: string): InventoryInput {
  const result = inventorySchema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => describeIssue(issue, 'File formats'));
  const first = result.error.issues[0];
  throw new VmpathError(
    'E_CLUSTER_INVALID',
    `${source}: invalid inventory\n  ${lines.slice(0, 6).join('\n  ')}${lines.length > 6 ? `\n  (${lines.length - 6} more)` : ''}`,
    { details: { field: first ? formatPath(first.path) : undefined, problems: lines } },
  );
}

/** Validates and resolves an inventory. */
export function resolveInventory(
  raw: unknown,
  source: string,
  defaults: InventoryDefaults,
): Inventory {
  const input = parseInput(raw, source);
  checkNames(input);
  const hosts = input.hosts.map((h, i) => resolveHost(h, i));
  checkAddresses(hosts);
  const topology: Topology = {
    name: input.name ?? 'cluster',
    description: input.description ?? '',
    // Not built: the addresses are the cluster's own. The testbed's subnet field stays unused.
    addressing: { subnet: '0.0.0.0/0', prefixLength: 0 },
    switch: null,
    hosts,
  };
  return deepFreeze({
    name: topology.name,
    source,
    topology,
    access: accessOf(input, defaults),
  });
}

function resolveHost(h: InventoryInput['hosts'][number], i: number): Host {
  const kinds = new Set(h.vms.map((v) => ATTACHMENT[v.datapath as Datapath]));
  if (kinds.has('host') && kinds.size > 1)
    throw invalidField(
      'E_CLUSTER_INVALID',
      `hosts[${i}].vms[].datapath`,
      h.vms.map((v) => v.datapath).join('+'),
      'native on every vm of a host or on none (native: the ranks run on the host itself)',
    );
  const native = kinds.has('host');
  if (native && !h.address)
    throw invalidField(
      'E_CLUSTER_INVALID',
      `hosts[${i}].address`,
      undefined,
      `the host's IPv4 address: host ${h.name} is native, its ranks run on it`,
    );
  const vms = h.vms.map((v, j): Vm => {
    if (native && v.address)
      throw invalidField(
        'E_CLUSTER_INVALID',
        `hosts[${i}].vms[${j}].address`,
        v.address,
        `none: host ${h.name} is native, its ranks run at the host's address (hosts[${i}].address)`,
      );
    if (!native && !v.address)
      throw invalidField(
        'E_CLUSTER_INVALID',
        `hosts[${i}].vms[${j}].address`,
        undefined,
        `the vm's IPv4 address (the one its traffic leaves from)`,
      );
    return {
      name: v.name,
      slots: v.slots,
      datapath: v.datapath as Datapath,
      address: native ? null : (v.address as string),
    };
  });
  return {
    name: h.name,
    cpus: null,
    dom0: { backend: 'kernel', cpus: null },
    uplink: { rateMbit: h.uplink?.rateMbit ?? null, burstBytes: null, delayMs: 0 },
    iov: { mode: 'veb', maxVfs: 4096 },
    vms,
    native,
    address: native ? (h.address as string) : null,
  };
}

function checkNames(input: InventoryInput): void {
  const seen = new Map<string, string>();
  input.hosts.forEach((h, i) => {
    for (const [n, field] of [
      [h.name, `hosts[${i}].name`],
      ...h.vms.map((v, j) => [v.name, `hosts[${i}].vms[${j}].name`]),
    ] as [string, string][]) {
      const earlier = seen.get(n);
      if (earlier)
        throw invalidField('E_CLUSTER_INVALID', field, n, `a name not used elsewhere (${earlier})`);
      seen.set(n, field);
    }
  });
}

function checkAddresses(hosts: readonly Host[]): void {
  const seen = new Map<string, string>();
  hosts.forEach((h, i) => {
    const own: [string | null, string][] = [
      [h.address, `hosts[${i}].address`],
      ...h.vms.map((v, j): [string | null, string] => [v.address, `hosts[${i}].vms[${j}].address`]),
    ];
    for (const [address, field] of own) {
      if (!address) continue;
      const earlier = seen.get(address);
      if (earlier)
        throw invalidField(
          'E_CLUSTER_INVALID',
          field,
          address,
          `an address no other node has (${earlier} has it)`,
        );
      seen.set(address, field);
    }
  });
}

function accessOf(input: InventoryInput, defaults: InventoryDefaults): Access {
  const bySsh = input.ssh !== undefined || input.hosts.some((h) => h.ssh);
  const bySlurm = input.slurm !== undefined || input.hosts.some((h) => h.slurm);
  if (bySsh && bySlurm)
    throw invalidField(
      'E_CLUSTER_INVALID',
      'slurm',
      'ssh and slurm',
      'one way to reach the nodes for the whole inventory: ssh or slurm',
    );
  if (bySlurm) {
    const partitions = new Set(
      [input.slurm?.partition, ...input.hosts.map((h) => h.slurm?.partition)].filter(Boolean),
    );
    if (partitions.size > 1)
      throw invalidField(
        'E_CLUSTER_INVALID',
        'hosts[].slurm.partition',
        [...partitions].join(', '),
        'one partition for the whole inventory (a job step runs in one)',
      );
    return { kind: 'slurm', partition: ([...partitions][0] as string | undefined) ?? null };
  }
  const hosts: Record<string, SshAccess> = {};
  input.hosts.forEach((h, i) => {
    const given = { ...input.ssh, ...h.ssh };
    const identityFile = given.identityFile ?? defaults.identityFile;
    const knownHosts = given.knownHosts ?? defaults.knownHosts;
    const field = h.ssh ? `hosts[${i}].ssh` : 'ssh';
    if (!identityFile)
      throw invalidField(
        'E_CLUSTER_INVALID',
        `${field}.identityFile`,
        undefined,
        'the private key vmpath logs in with (or VMPATH_SSH_IDENTITY); vmpath never reads your ~/.ssh',
      );
    if (!knownHosts)
      throw invalidField(
        'E_CLUSTER_INVALID',
        `${field}.knownHosts`,
        undefined,
        "a known-hosts file with every node's host key (or VMPATH_SSH_KNOWN_HOSTS); vmpath never reads your ~/.ssh",
      );
    hosts[h.name] = {
      user: given.user ?? defaults.user,
      port: given.port ?? 22,
      identityFile: absolute(identityFile, defaults.baseDir),
      knownHosts: absolute(knownHosts, defaults.baseDir),
    };
  });
  return { kind: 'ssh', hosts };
}

const absolute = (file: string, base: string) => (isAbsolute(file) ? file : resolve(base, file));
