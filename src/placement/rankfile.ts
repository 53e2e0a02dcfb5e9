/**
 * Open MPI rankfiles: `rank N=HOST slot=S`, one rank per line, `#` comments. vmpath's HOST is
 * a vm (or a native host: the machines an MPI job sees), S a slot inside it. Open MPI's
 * `slot=SOCKET:CORE` form is read as the core. Pure: text in, placement out, and back.
 */
import { invalidField } from '../core/errors.js';
import { slotsOf } from '../topology/query.js';
import type { Topology } from '../topology/types.js';
import type { Placed } from './patterns.js';

const LINE = /^rank\s+(\d+)\s*=\s*(\S+)\s+slot\s*=\s*(?:(\d+):)?(\d+)\s*$/;

/** The machines of a topology as an MPI job sees them: each vm, or each native host. */
function machines(topology: Topology): Map<string, { host: string; slots: number }> {
  const out = new Map<string, { host: string; slots: number }>();
  for (const host of topology.hosts) {
    if (host.native) out.set(host.name, { host: host.name, slots: slotsOf(host) });
    else for (const vm of host.vms) out.set(vm.name, { host: host.name, slots: vm.slots });
  }
  return out;
}

/** Calls `each` with every line of an Open MPI file that is not blank or a comment, matched
 * by `pattern`; a line that does not match is an input error naming it. */
function eachLine(
  text: string,
  where: string,
  pattern: RegExp,
  form: string,
  each: (match: RegExpExecArray, field: string) => void,
): void {
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const field = `${where} line ${index + 1}`;
    const match = pattern.exec(line);
    if (!match) throw invalidField('E_CLI_USAGE', field, line, form);
    each(match, field);
  });
}

/** The machine a line names; an input error listing the topology's machines if unknown. */
function machineOf(
  known: Map<string, { host: string; slots: number }>,
  name: string,
  field: string,
  topology: Topology,
): { host: string; slots: number } {
  const machine = known.get(name);
  if (!machine)
    throw invalidField(
      'E_CLI_USAGE',
      `${field} host`,
      name,
      `a vm (or native host) of topology ${topology.name}: ${[...known.keys()].join(', ')}`,
    );
  return machine;
}

/** Reads a rankfile against a topology: every rank from 0 up exactly once, known machines,
 * slots that exist and are not shared. `where` names the file in errors. */
export function parseRankfile(text: string, topology: Topology, where = '--rankfile'): Placed[] {
  const known = machines(topology);
  const byRank = new Map<number, Placed>();
  const taken = new Map<string, number>();
  eachLine(text, where, LINE, 'rank N=HOST slot=S', (match, field) => {
    const [, rankText, name, , slotText] = match;
    const rank = Number(rankText);
    const machine = machineOf(known, name as string, field, topology);
    const slot = Number(slotText);
    if (slot >= machine.slots)
      throw invalidField(
        'E_CLI_USAGE',
        `${field} slot`,
        slot,
        `0 to ${machine.slots - 1} on ${name}`,
      );
    if (byRank.has(rank))
      throw invalidField('E_CLI_USAGE', `${field} rank`, rank, 'each rank once');
    const key = `${name}/${slot}`;
    const holder = taken.get(key);
    if (holder !== undefined)
      throw invalidField(
        'E_CLI_USAGE',
        `${field} slot`,
        slot,
        `a free slot (rank ${holder} has ${key})`,
      );
    taken.set(key, rank);
    byRank.set(rank, { rank, host: machine.host, vm: name as string, slot });
  });
  if (byRank.size === 0) throw invalidField('E_CLI_USAGE', where, '', 'at least one rank line');
  const placed: Placed[] = [];
  for (let rank = 0; rank < byRank.size; rank++) {
    const p = byRank.get(rank);
    if (!p)
      throw invalidField(
        'E_CLI_USAGE',
        where,
        `ranks ${[...byRank.keys()].sort((a, b) => a - b).join(',')}`,
        `ranks 0 to ${byRank.size - 1} with none missing (rank ${rank} is)`,
      );
    placed.push(p);
  }
  return placed;
}

/** Writes a placement as an Open MPI rankfile. */
export function formatRankfile(placement: readonly Placed[]): string {
  return placement.map((p) => `rank ${p.rank}=${p.vm} slot=${p.slot}\n`).join('');
}

/** Writes the machines of a topology as an Open MPI hostfile: `VM slots=S` per line. */
export function formatHostfile(topology: Topology): string {
  return [...machines(topology).entries()]
    .map(([name, m]) => `${name} slots=${m.slots}\n`)
    .join('');
}

const HOST_LINE = /^(\S+)(?:\s+slots\s*=\s*(\d+))?(?:\s+max_slots\s*=\s*\d+)?\s*$/;

/** Reads an Open MPI hostfile (`VM [slots=S]` per line, `#` comments) against a topology and
 * places `n` ranks the way mpirun does by default: by slot, filling each listed machine in turn.
 * A machine without `slots=` offers all of its slots. */
export function parseHostfile(
  text: string,
  topology: Topology,
  n: number,
  where = '--hostfile',
): Placed[] {
  const known = machines(topology);
  const order: Omit<Placed, 'rank'>[] = [];
  const seen = new Set<string>();
  eachLine(text, where, HOST_LINE, 'HOST [slots=S]', (match, field) => {
    const [, name, slotsText] = match;
    const machine = machineOf(known, name as string, field, topology);
    if (seen.has(name as string))
      throw invalidField('E_CLI_USAGE', `${field} host`, name, 'each machine once');
    seen.add(name as string);
    const slots = slotsText === undefined ? machine.slots : Number(slotsText);
    if (slots < 1 || slots > machine.slots)
      throw invalidField(
        'E_CLI_USAGE',
        `${field} slots`,
        slots,
        `1 to ${machine.slots} on ${name}`,
      );
    for (let slot = 0; slot < slots; slot++)
      order.push({ host: machine.host, vm: name as string, slot });
  });
  if (!Number.isInteger(n) || n < 1 || n > order.length)
    throw invalidField('E_CLI_USAGE', '-n', n, `1 to ${order.length} (the slots ${where} lists)`);
  return order.slice(0, n).map((slot, rank) => ({ rank, ...slot }));
}
