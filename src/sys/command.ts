/**
 * Commands as values. A plan is a list of these; only the runner turns them into processes.
 */
import { guestsProcsFile, inCgroup } from './cgroup.js';

/** One process to run: its argv (never a shell string), where it acts, and why. */
export interface Command {
  readonly argv: readonly string[];
  /** The namespace the command acts in (informational: argv already says so, e.g. `ip -n`). */
  readonly netns?: string;
  /** One line for logs and errors: what this command is for. */
  readonly description: string;
}

/** argv that runs `argv` inside network namespace `netns` (iproute2's `ip netns exec`). When
 * the namespace's host has a guests' CPU budget (sys/cgroup.ts), the process joins it first, so
 * that whatever vmpath starts in a vm runs under its host's budget. */
export function inNetns(netns: string, argv: readonly string[]): string[] {
  const procs = guestsProcsFile(netns);
  const enter = ['ip', 'netns', 'exec', netns, ...argv];
  return procs ? inCgroup(procs, enter) : enter;
}

/** Where iproute2 keeps the named network namespaces. */
const NETNS_DIR = '/run/netns';

/** Like `inNetns`, but with `nsenter --net`, which keeps this machine's /sys (where the
 * cgroups are): for a process that starts others in further namespaces through `inNetns`, as
 * mpirun does, so that each of them can still join its own host's budget. */
export function inNetnsKeepingSys(netns: string, argv: readonly string[]): string[] {
  const procs = guestsProcsFile(netns);
  const enter = ['nsenter', `--net=${NETNS_DIR}/${netns}`, '--', ...argv];
  return procs ? inCgroup(procs, enter) : enter;
}

/** Prefix of a local command that the kernel ends (SIGTERM) if vmpath is killed, however: the
 * parent-death signal (util-linux's setpriv) survives exec. srun, so told, ends its step's
 * tasks; an ssh master, its node's sessions. */
export const DIES_WITH_VMPATH: readonly string[] = ['setpriv', '--pdeathsig', 'TERM'];
