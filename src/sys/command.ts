/**
 * Commands as values. A plan is a list of these; only the runner turns them into processes.
 */

/** One process to run: its argv (never a shell string), where it acts, and why. */
export interface Command {
  readonly argv: readonly string[];
  /** The namespace the command acts in (informational: argv already says so, e.g. `ip -n`). */
  readonly netns?: string;
  /** One line for logs and errors: what this command is for. */
  readonly description: string;
}

/** argv that runs `argv` inside network namespace `netns` (iproute2's `ip netns exec`). */
export function inNetns(netns: string, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', netns, ...argv];
}
