/**
 * Files a job needs on every node (a program vmpath built, a library it preloads), copied to
 * the same path there before the job starts: over ssh through the launcher (the bytes on the
 * session's input), under Slurm with its own `sbcast` to every node of the allocation. A node
 * whose address is this machine's has the file already.
 */
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { dirname } from 'node:path';
import type { CommandRunner } from '../sys/runner.js';
import type { TestbedNode } from '../testbed/nodes.js';
import { runOn } from './launcher.js';
import type { Target } from './target.js';

/** Copies `files` to the nodes of `target` that run the job (`nodes`); nothing on a testbed. */
export async function stageFiles(
  runner: CommandRunner,
  target: Target,
  nodes: readonly TestbedNode[],
  files: readonly string[],
): Promise<void> {
  if (target.launcher.kind === 'netns' || files.length === 0) return;
  if (target.launcher.kind === 'slurm') {
    for (const file of files)
      await runner.run({
        argv: ['sbcast', '--force', '--preserve', file, file],
        description: `copy ${file} to the allocation's nodes (sbcast)`,
      });
    return;
  }
  const local = new Set(
    Object.values(networkInterfaces())
      .flat()
      .map((i) => i?.address),
  );
  const distinct = new Map<string, TestbedNode>();
  for (const n of nodes) if (n.address && !local.has(n.address)) distinct.set(n.address, n);
  await Promise.all(
    [...distinct.values()].flatMap((node) =>
      files.map((file) =>
        runOn(
          runner,
          target.launcher,
          node,
          {
            argv: [
              'sh',
              '-c',
              'mkdir -p "$1" && base64 -d > "$2.part" && chmod 755 "$2.part" && mv -f "$2.part" "$2"',
              'stage',
              dirname(file),
              file,
            ],
            description: `copy ${file} to ${node.name}`,
          },
          { input: readFileSync(file).toString('base64') },
        ),
      ),
    ),
  );
}
