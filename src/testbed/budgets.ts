/**
 * CPU as on a Xen host: a host's cores are split between its dom0 and its guests, each a cgroup
 * of the kernel's CPU controller with a quota (sys/cgroup.ts). The backend of the host's bridged
 * vms runs under the dom0 budget; every process vmpath starts in the host or in one of its vms
 * runs under the guests' budget, whatever the data path, so that a data path changes only the
 * way messages travel. A host whose dom0 has no `cpus` gets no cgroup.
 *
 * The plan is pure; applying it writes the ledger before each cgroup is made, and removing it
 * runs after the testbed's processes are gone (a cgroup with processes cannot be removed).
 */
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { invalidField, VmpathError } from '../core/errors.js';
import { budgetFiles, type CpuController, cpuController, quotaCores } from '../sys/cgroup.js';
import type { Host, Topology } from '../topology/types.js';
import type { Ledger } from './ledger.js';
import { hostNetns } from './names.js';

export interface Budget {
  /** The cgroup's directory name under the controller's root. */
  readonly name: string;
  readonly host: string;
  readonly role: 'dom0' | 'guests';
  readonly cpus: number;
}

/** The cores a host stands for: its own `cpus`, or this machine's cores shared among the hosts. */
export function hostCpus(host: Host, topology: Topology, machineCores: number): number {
  return host.cpus ?? machineCores / topology.hosts.length;
}

/** Every cgroup a testbed's hosts need, checked against this machine's cores. Pure. */
export function planBudgets(topology: Topology, id: string, machineCores: number): Budget[] {
  return topology.hosts.flatMap((host, h) => {
    const budget = host.dom0.cpus;
    if (budget === null) return [];
    const cores = hostCpus(host, topology, machineCores);
    const dom0 = 'cores' in budget ? budget.cores : budget.share * cores;
    if (dom0 >= cores) {
      throw invalidField(
        'E_SPEC_INVALID',
        `hosts[${h}].dom0.cpus`,
        dom0,
        `less than host ${host.name}'s ${round(cores)} cores (${host.cpus === null ? `this machine's ${machineCores} cores shared by ${topology.hosts.length} hosts; set hosts[${h}].cpus to say otherwise` : `hosts[${h}].cpus`}): the rest is its guests' budget`,
      );
    }
    const ns = hostNetns(id, host.name);
    return [
      { name: `${ns}-dom0`, host: host.name, role: 'dom0' as const, cpus: dom0 },
      { name: `${ns}-guests`, host: host.name, role: 'guests' as const, cpus: cores - dom0 },
    ];
  });
}

const round = (v: number) => Math.round(v * 1000) / 1000;

/** The controller budgets need, or an error saying why this machine has none. */
export function requireController(
  budgets: readonly Budget[],
  found: ReturnType<typeof cpuController> = cpuController(),
): CpuController | null {
  if (budgets.length === 0) return null;
  if ('missing' in found) {
    throw new VmpathError(
      'E_TESTBED_UNSUPPORTED',
      `dom0.cpus: CPU budgets need the kernel's CPU controller: ${found.missing}; remove dom0.cpus from the topology to build it without budgets`,
      { details: { field: 'dom0.cpus' } },
    );
  }
  return found;
}

/** Makes each cgroup (ledger first) and gives it its quota. */
export function applyBudgets(
  controller: CpuController,
  budgets: readonly Budget[],
  ledger: Ledger,
): void {
  for (const budget of budgets) {
    const dir = join(controller.root, budget.name);
    ledger.object({ kind: 'cgroup', name: budget.name });
    mkdirSync(dir);
    for (const { file, value } of budgetFiles(controller, dir, budget.cpus))
      writeFileSync(file, value);
  }
}

/** The PIDs still in a cgroup (they keep it from being removed). */
function membersOf(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Removes the named cgroups that exist; returns what could not be removed, and why. A process
 * that was just ended keeps its cgroup busy for a moment as it exits: EBUSY is retried for up
 * to `graceMs`. */
export async function removeCgroups(names: readonly string[], graceMs = 2000): Promise<string[]> {
  const found = cpuController();
  if ('missing' in found) return [];
  const failures: string[] = [];
  const deadline = Date.now() + graceMs;
  for (const name of [...names].reverse()) {
    const dir = join(found.root, name);
    for (;;) {
      try {
        rmdirSync(dir);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EBUSY' && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          continue;
        }
        if (code !== 'ENOENT') failures.push(busy(dir, code));
        break;
      }
    }
  }
  return failures;
}

function busy(dir: string, code: string | undefined): string {
  const members = membersOf(dir);
  return `remove cgroup ${dir}: ${code}${members.length ? ` (processes ${members.join(', ')} are still in it)` : ''}`;
}

/** The cgroups under the controller's root whose names start with `prefix` (crash leftovers). */
export function listCgroups(prefix: string): string[] {
  const found = cpuController();
  if ('missing' in found) return [];
  try {
    return readdirSync(found.root, { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name.startsWith(prefix))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/** The budget a cgroup has now, in cores (null when it is gone or has none). */
export function readBudget(name: string): number | null {
  const found = cpuController();
  return 'missing' in found ? null : quotaCores(found.version, join(found.root, name));
}
