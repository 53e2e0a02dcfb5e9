/**
 * Runs the built vmpath CLI as a child process, the way a user does.
 */
import { spawnSync } from 'node:child_process';
import { CLI } from './paths.js';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `vmpath ...args` (in `cwd`, default ours) and returns its exit code and output. */
export function vmpath(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 120_000,
  cwd?: string,
): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: timeoutMs,
    ...(cwd ? { cwd } : {}),
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs `vmpath ...args` inside network namespace `netns` (a machine of a testbed, standing for
 * the cluster node a user works on). */
export function vmpathIn(
  netns: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 120_000,
): CliResult {
  const result = spawnSync('ip', ['netns', 'exec', netns, process.execPath, CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: timeoutMs,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
