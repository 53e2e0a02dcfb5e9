/**
 * Placement patterns: which slot of which vm each rank runs in. Pure. For any topology and rank
 * count (the study's three over 8 dual-core vms on 2 hosts in brackets):
 *   block:       fill the slots of each vm in turn, vm by vm, host by host
 *   intra-node:  the same: fill host 0's vms, then host 1's (b: 1 of 15 pipeline messages cross)
 *   cyclic:      deal ranks round-robin over the hosts, each host's slots in block order
 *   inter-node:  the same: consecutive ranks always on different hosts (a: 15 of 15 cross)
 *   hybrid[:k]:  k consecutive ranks per vm (default 2), vms taken alternating hosts
 *                (c: 7 of 15 cross, 8 stay inside a vm)
 * A native host offers its slots (the sum of its vms') on the host itself.
 */
import { VmpathError } from '../core/errors.js';
import { decimal } from '../core/units.js';
import { slotsOf } from '../topology/query.js';
import type { Topology } from '../topology/types.js';

export const PATTERNS = {
  block: 'fill the slots of each vm in turn',
  'intra-node': "fill host 0's vms, then host 1's (as block)",
  cyclic: 'deal ranks round-robin over the hosts',
  'inter-node': 'consecutive ranks on different hosts (as cyclic)',
  hybrid: 'k consecutive ranks per vm (hybrid:k, default 2), vms alternating hosts',
} as const;
export type PatternName = keyof typeof PATTERNS;

export interface Placed {
  readonly rank: number;
  readonly host: string;
  /** The vm the rank runs in; the host's name when the host is native. */
  readonly vm: string;
  /** Slot index inside that vm (or native host). */
  readonly slot: number;
}

type Slot = Omit<Placed, 'rank'>;

/** The vms of each host (a native host is one "vm" with all its slots), each as its slots. */
function vmsByHost(topology: Topology): Slot[][][] {
  return topology.hosts.map((host) =>
    host.native
      ? [
          Array.from({ length: slotsOf(host) }, (_, slot) => ({
            host: host.name,
            vm: host.name,
            slot,
          })),
        ]
      : host.vms.map((vm) =>
          Array.from({ length: vm.slots }, (_, slot) => ({ host: host.name, vm: vm.name, slot })),
        ),
  );
}

/** Takes one item from each list in turn until all are used. */
function deal<T>(lists: readonly (readonly T[])[]): T[] {
  const out: T[] = [];
  const longest = Math.max(0, ...lists.map((l) => l.length));
  for (let i = 0; i < longest; i++)
    for (const list of lists) {
      const item = list[i];
      if (item !== undefined) out.push(item);
    }
  return out;
}

function unknownPattern(pattern: string, field: string): VmpathError {
  return new VmpathError(
    'E_CLI_USAGE',
    `${field}: got ${JSON.stringify(pattern)}; allowed: ${Object.keys(PATTERNS).join(', ')} (hybrid:K for K ranks per vm)`,
    { details: { field, value: pattern } },
  );
}

/** Slots in the order a pattern fills them. */
function order(topology: Topology, pattern: string, field: string): Slot[] {
  const hosts = vmsByHost(topology);
  const [name, arg] = pattern.split(':');
  if (arg !== undefined && name !== 'hybrid') throw unknownPattern(pattern, field);
  switch (name) {
    case 'block':
    case 'intra-node':
      return hosts.flat(2);
    case 'cyclic':
    case 'inter-node':
      return deal(hosts.map((vms) => vms.flat()));
    case 'hybrid': {
      const k = arg === undefined ? 2 : decimal(arg);
      if (!Number.isInteger(k) || k < 1) throw unknownPattern(pattern, field);
      // vms alternating hosts; each round gives every vm its next k slots
      const vms = deal(hosts);
      const rounds = Math.ceil(Math.max(0, ...vms.map((v) => v.length)) / k);
      const out: Slot[] = [];
      for (let round = 0; round < rounds; round++)
        for (const vm of vms) out.push(...vm.slice(round * k, round * k + k));
      return out;
    }
    default:
      throw unknownPattern(pattern, field);
  }
}

/** Places `n` ranks with `pattern`; an input error (naming `field`) for an unknown pattern, and
 * when there are not enough slots. */
export function place(
  topology: Topology,
  pattern: string,
  n: number,
  field = '--placement',
): Placed[] {
  const slots = order(topology, pattern, field);
  if (!Number.isInteger(n) || n < 1 || n > slots.length) {
    throw new VmpathError(
      'E_CLI_USAGE',
      `-n: got ${n}; allowed: 1 to ${slots.length} (the slots of topology ${topology.name})`,
      { details: { field: '-n', value: n } },
    );
  }
  return slots.slice(0, n).map((slot, rank) => ({ rank, ...slot }));
}
