/**
 * Placement patterns: which slot of which vm each rank runs in. Pure. (The placement issue adds
 * inter-node, intra-node, hybrid, rankfiles and optimization; these two are what launch needs.)
 *   block:  fill the slots of each vm in turn (vm by vm, host by host)
 *   cyclic: deal ranks round-robin over the hosts, each host's slots in block order
 * A native host offers its slots (the sum of its vms') on the host itself.
 */
import { VmpathError } from '../core/errors.js';
import { slotsOf } from '../topology/query.js';
import type { Topology } from '../topology/types.js';

export const PATTERNS = {
  block: 'fill the slots of each vm in turn',
  cyclic: 'deal ranks round-robin over the hosts',
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

/** Every slot of each host, in block order. */
function slotsByHost(topology: Topology): Omit<Placed, 'rank'>[][] {
  return topology.hosts.map((host) =>
    host.native
      ? Array.from({ length: slotsOf(host) }, (_, slot) => ({
          host: host.name,
          vm: host.name,
          slot,
        }))
      : host.vms.flatMap((vm) =>
          Array.from({ length: vm.slots }, (_, slot) => ({ host: host.name, vm: vm.name, slot })),
        ),
  );
}

/** Places `n` ranks with `pattern`; an input error when there are not enough slots. */
export function place(topology: Topology, pattern: string, n: number): Placed[] {
  if (!(pattern in PATTERNS)) {
    throw new VmpathError(
      'E_CLI_USAGE',
      `--placement: got ${JSON.stringify(pattern)}; allowed: ${Object.keys(PATTERNS).join(', ')}`,
      { details: { field: '--placement', value: pattern } },
    );
  }
  const hosts = slotsByHost(topology);
  const total = hosts.reduce((sum, slots) => sum + slots.length, 0);
  if (!Number.isInteger(n) || n < 1 || n > total) {
    throw new VmpathError(
      'E_CLI_USAGE',
      `-n: got ${n}; allowed: 1 to ${total} (the slots of topology ${topology.name})`,
      { details: { field: '-n', value: n } },
    );
  }
  const order = pattern === 'block' ? hosts.flat() : dealt(hosts);
  return order.slice(0, n).map((slot, rank) => ({ rank, ...slot }));
}

function dealt(hosts: Omit<Placed, 'rank'>[][]): Omit<Placed, 'rank'>[] {
  const out: Omit<Placed, 'rank'>[] = [];
  const longest = Math.max(...hosts.map((h) => h.length));
  for (let i = 0; i < longest; i++) {
    for (const host of hosts) {
      const slot = host[i];
      if (slot) out.push(slot);
    }
  }
  return out;
}
