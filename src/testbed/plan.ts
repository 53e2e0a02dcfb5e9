/**
 * Plan steps: commands that may create a kernel object. A step that creates one names it in
 * `creates`, and the applier writes that to the ledger before running the step. Pure.
 */
import type { Command } from '../sys/command.js';
import type { Topology } from '../topology/types.js';

/** A kernel object the testbed owns. Interfaces and qdiscs live inside owned namespaces;
 * cgroups are named after them. */
export type LedgerObject =
  | { readonly kind: 'netns'; readonly name: string }
  | { readonly kind: 'link'; readonly netns: string; readonly name: string }
  | { readonly kind: 'qdisc'; readonly netns: string; readonly dev: string }
  /** A cgroup of the CPU controller (testbed/budgets.ts), by its directory name. */
  | { readonly kind: 'cgroup'; readonly name: string };

export interface Step extends Command {
  readonly creates?: LedgerObject;
}

/** What every planner needs to know. */
export interface PlanContext {
  readonly id: string;
  readonly topology: Topology;
}

/** `ip -n <netns> <args>`: an iproute2 command acting inside a namespace. */
export function ip(
  netns: string,
  args: readonly string[],
  description: string,
  creates?: LedgerObject,
): Step {
  return {
    argv: ['ip', '-n', netns, ...args],
    netns,
    description,
    ...(creates ? { creates } : {}),
  };
}

/** `tc -n <netns> <args>`. */
export function tc(
  netns: string,
  args: readonly string[],
  description: string,
  creates?: LedgerObject,
): Step {
  return {
    argv: ['tc', '-n', netns, ...args],
    netns,
    description,
    ...(creates ? { creates } : {}),
  };
}

/** Brings `dev` up inside `netns`. */
export function linkUp(netns: string, dev: string): Step {
  return ip(netns, ['link', 'set', 'dev', dev, 'up'], `bring ${dev} up in ${netns}`);
}

/** Puts `address/prefix` on `dev` inside `netns`. */
export function addAddress(
  netns: string,
  dev: string,
  address: string,
  prefixLength: number,
): Step {
  return ip(
    netns,
    ['addr', 'add', `${address}/${prefixLength}`, 'dev', dev],
    `address ${address} on ${dev} in ${netns}`,
  );
}

/** Creates a Linux bridge `name` (STP off, no forwarding delay) inside `netns`. */
export function addBridge(netns: string, name: string, why: string): Step[] {
  return [
    ip(
      netns,
      ['link', 'add', 'name', name, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0'],
      why,
      { kind: 'link', netns, name },
    ),
    linkUp(netns, name),
  ];
}
