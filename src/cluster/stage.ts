/**
 * Files a job needs on every node (a program vmpath built, a library it preloads), copied to
 * the same path there before the job starts, and the files its ranks wrote there, brought back
 * after it. Through the cluster's launcher (the bytes on the session's input and output as
 * base64), or under Slurm with its own `sbcast` to every node of the allocation. A node whose
 * address is this machine's has them already; on a testbed every node shares this machine's
 * files.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { CommandRunner } from '../sys/runner.js';
import type { TestbedNode } from '../testbed/nodes.js';
import { runOn } from './launcher.js';
import type { Target } from './target.js';

/** The nodes among `nodes` that are other machines, one per address. */
function remoteNodes(nodes: readonly TestbedNode[]): TestbedNode[] {
  const local = new Set(
    Object.values(networkInterfaces())
      .flat()
      .map((i) => i?.address),
  );
  const distinct = new Map<string, TestbedNode>();
  for (const n of nodes) if (n.address && !local.has(n.address)) distinct.set(n.address, n);
  return [...distinct.values()];
}

/** Copies `files` to the nodes of `target` that run the job (`nodes`), and makes `dirs`
 * there. */
export async function stageFiles(
  runner: CommandRunner,
  target: Target,
  nodes: readonly TestbedNode[],
  files: readonly string[],
  dirs: readonly string[] = [],
): Promise<void> {
  if (target.launcher.kind === 'netns') return;
  const remote = remoteNodes(nodes);
  if (target.launcher.kind === 'slurm') {
    for (const file of files)
      await runner.run({
        argv: ['sbcast', '--force', '--preserve', file, file],
        description: `copy ${file} to the allocation's nodes (sbcast)`,
      });
  }
  const copies = target.launcher.kind === 'ssh' ? files : [];
  await Promise.all(
    remote.flatMap((node) => [
      ...copies.map((file) =>
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
      ...(dirs.length
        ? [
            runOn(runner, target.launcher, node, {
              argv: ['mkdir', '-p', ...dirs],
              description: `make the job's folders on ${node.name}`,
            }),
          ]
        : []),
    ]),
  );
}

/** Brings the files the ranks wrote into `dir` on the other machines back into `dir` here. */
export async function collectFiles(
  runner: CommandRunner,
  target: Target,
  nodes: readonly TestbedNode[],
  dir: string,
): Promise<void> {
  if (target.launcher.kind === 'netns') return;
  const listings = await Promise.all(
    remoteNodes(nodes).map((node) =>
      runOn(runner, target.launcher, node, {
        argv: [
          'sh',
          '-c',
          'cd "$1" && for f in *; do [ -f "$f" ] && printf "%s\\t" "$f" && base64 -w0 "$f" && echo; done; true',
          'collect',
          dir,
        ],
        description: `bring back the job's files from ${node.name}`,
      }),
    ),
  );
  for (const listing of listings)
    for (const line of listing.stdout.split('\n')) {
      const tab = line.indexOf('\t');
      if (tab <= 0) continue;
      writeFileSync(
        join(dir, basename(line.slice(0, tab))),
        Buffer.from(line.slice(tab + 1), 'base64'),
      );
    }
}
