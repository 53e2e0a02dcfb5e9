/**
 * Files a job needs on every node (a program vmpath built, a library it preloads), copied to
 * the same path there before the job starts, and the files its ranks wrote there, brought back
 * after it. Through the cluster's launcher (the bytes on the session's input and output as
 * base64), or under Slurm with its own `sbcast` to every node of the allocation. A node whose
 * address is this machine's has them already; on a testbed every node shares this machine's
 * files.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { localAddresses } from '../sys/route.js';
import type { CommandRunner } from '../sys/runner.js';
import type { TestbedNode } from '../testbed/nodes.js';
import { runOn } from './launcher.js';
import type { Target } from './target.js';

/** The nodes among `nodes` that are other machines, one per address. */
function remoteNodes(nodes: readonly TestbedNode[]): TestbedNode[] {
  const local = localAddresses();
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
  const on = (node: TestbedNode, argv: string[], what: string, input?: string) =>
    runOn(
      runner,
      target.launcher,
      node,
      { argv, description: `${what} on ${node.name}` },
      {
        ...(input !== undefined ? { input } : {}),
      },
    );
  // The folders first: sbcast makes none.
  const folders = [...new Set([...dirs, ...files.map((f) => dirname(f))])];
  if (folders.length)
    await Promise.all(
      remote.map((n) => on(n, ['mkdir', '-p', ...folders], "make the job's folders")),
    );
  if (target.launcher.kind === 'slurm') {
    for (const file of files)
      await runner.run({
        argv: ['sbcast', '--force', '--preserve', file, file],
        description: `copy ${file} to the allocation's nodes (sbcast)`,
      });
    return;
  }
  // Each copy under a name of its own, then renamed: nodes that share a file system (or this
  // machine's) never see a half-written file.
  await Promise.all(
    remote.flatMap((node) =>
      files.map((file) =>
        on(
          node,
          [
            'sh',
            '-c',
            'part="$1.vmpath-$2" && base64 -d > "$part" && chmod 755 "$part" && mv -f "$part" "$1"',
            'stage',
            file,
            randomBytes(6).toString('hex'),
          ],
          `copy ${file}`,
          readFileSync(file).toString('base64'),
        ),
      ),
    ),
  );
}

/** Removes what stageFiles put on the other machines (files or folders), once the job is done
 * with them; failures are ignored (a node that went away has nothing to keep). A node that
 * shares this machine's file system sees a mark left here beside each path and keeps it:
 * those are this machine's own, which it removes itself. */
export async function unstageFiles(
  runner: CommandRunner,
  target: Pick<Target, 'launcher'>,
  nodes: readonly TestbedNode[],
  paths: readonly string[],
): Promise<void> {
  if (target.launcher.kind === 'netns' || paths.length === 0) return;
  const mark = `.vmpath-here-${randomBytes(6).toString('hex')}`;
  const marks = paths.map((p) => `${p}${mark}`);
  for (const m of marks) writeFileSync(m, '');
  try {
    await Promise.allSettled(
      remoteNodes(nodes).map((node) =>
        runOn(
          runner,
          target.launcher,
          node,
          {
            argv: [
              'sh',
              '-c',
              'm=$1; shift; for p; do [ -e "$p$m" ] || rm -rf -- "$p"; done',
              'unstage',
              mark,
              ...paths,
            ],
            description: `remove the job's files on ${node.name}`,
          },
          { allowFailure: true },
        ),
      ),
    );
  } finally {
    for (const m of marks) rmSync(m, { force: true });
  }
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
