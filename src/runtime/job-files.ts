/**
 * The files a runtime job leaves to clean up: the launcher's job folders (one per launch, in
 * this machine's temporary folder), the ranks' own folders on a cluster's nodes, and the
 * shared-memory pipes of ranks that were ended.
 */
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Launcher } from '../cluster/launcher.js';
import { unstageFiles } from '../cluster/stage.js';
import type { CommandRunner } from '../sys/runner.js';
import { removeStaleFolders } from '../sys/stale.js';
import type { TestbedNode } from '../testbed/nodes.js';
import { jobKey } from './identity.js';
import { pipePrefix } from './init.js';

/** The folder the ranks of a job make on their nodes (init.ts), removed from every node and
 * from this machine (the nodes' that share its file system keep theirs for it). */
export async function removeRankFolders(
  runner: CommandRunner,
  launcher: Launcher,
  nodes: readonly TestbedNode[],
  token: string,
): Promise<void> {
  const folder = join(tmpdir(), `vmpath-job-${jobKey(token)}`);
  await unstageFiles(runner, { launcher }, nodes, [folder]);
  rmSync(folder, { recursive: true, force: true });
}

/** Job folders are named vmpath-job-<launcher pid>-<random>. */
export const JOB_PREFIX = 'vmpath-job-';

/** Removes the job folders of launchers that no longer run (killed with SIGKILL before they
 * could clean up): only folders with this prefix whose launcher PID is gone. */
export function removeStaleJobs(dir = tmpdir()): string[] {
  return removeStaleFolders(JOB_PREFIX, dir);
}

/** Pipe files of this job that a killed rank left in /dev/shm (receivers unlink the others). */
export function removePipes(token: string): void {
  const prefix = pipePrefix(token);
  const name = basename(prefix);
  for (const file of readdirSync(dirname(prefix))) {
    if (file.startsWith(`${name}-`)) rmSync(join(dirname(prefix), file), { force: true });
  }
}
