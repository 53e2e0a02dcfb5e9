/**
 * Open MPI on a real cluster, launched as clusters launch it: mpirun here, one Open MPI daemon
 * per vm started by Open MPI's own remote launch: its rsh launcher through ssh with the
 * inventory's key and known hosts (an agent script that picks each node's ssh settings), or
 * inside a Slurm allocation its slurm launcher (srun starts the daemons). A sequential hostfile
 * (Open MPI's `seq` mapper: line i is rank i's node) puts each rank where the placement says;
 * nothing is bound. Open MPI's channels are held to the nodes' addresses and this machine's
 * address towards them.
 */
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { SshAccess } from '../cluster/inventory.js';
import { shellQuote, slurmName, sshOptions } from '../cluster/launcher.js';
import { stageFiles, unstageFiles } from '../cluster/stage.js';
import { mpiLauncherOf, type Target } from '../cluster/target.js';
import { VmpathError } from '../core/errors.js';
import { addressTowards, localAddresses } from '../sys/route.js';
import type { CommandRunner } from '../sys/runner.js';
import type { TestbedNode } from '../testbed/nodes.js';
import { coveringCidr } from '../topology/address.js';

export interface ClusterMpirun {
  /** mpirun's options before the program: hostfile, launcher, channels, rank count. */
  readonly args: string[];
  /** Variables for mpirun itself. */
  readonly env: Record<string, string>;
}

/** The name a node has in the hostfile: its address over ssh, its Slurm node name. Open MPI
 * knows the node it runs on by its host name (an address of its own would name a node that is
 * not in its allocation), so a node whose address is this machine's is named so. */
export function machineOf(
  launcher: 'ssh' | 'slurm',
  node: TestbedNode,
  local: ReadonlySet<string> = localAddresses(),
): string {
  if (launcher === 'slurm') return slurmName(node);
  return node.address && local.has(node.address) ? hostname() : (node.address ?? node.name);
}

/** Open MPI's ssh agent for the job: called as `AGENT HOST COMMAND...` by the rsh launcher, it
 * runs ssh with that host's settings. */
export function sshAgent(
  nodes: readonly TestbedNode[],
  access: Readonly<Record<string, SshAccess>>,
): string {
  const cases = new Map<string, string>();
  for (const node of nodes) {
    const how = access[node.host ?? node.name];
    if (!how || !node.address || cases.has(node.address)) continue;
    const ssh = ['ssh', ...sshOptions(how), '-l', how.user].map(shellQuote).join(' ');
    cases.set(node.address, `  ${node.address}) exec ${ssh} "$@" ;;`);
  }
  return [
    '#!/bin/sh',
    "# vmpath: Open MPI's ssh agent for one job, with the inventory's key and known hosts",
    'case $1 in',
    ...cases.values(),
    '  *) echo "vmpath ssh agent: $1 is not a node of this job" >&2; exit 255 ;;',
    'esac',
    '',
  ].join('\n');
}

/** Writes the job's hostfile (and ssh agent) into `dir` and returns mpirun's options. */
export function clusterMpirun(
  launcher: { kind: 'ssh'; access: Readonly<Record<string, SshAccess>> } | { kind: 'slurm' },
  nodes: readonly TestbedNode[],
  dir: string,
  networks: string,
  options: { btl?: 'tcp' | 'vader' } = {},
): ClusterMpirun {
  const hostfile = join(dir, 'hostfile');
  const local = localAddresses();
  writeFileSync(hostfile, nodes.map((n) => `${machineOf(launcher.kind, n, local)}\n`).join(''));
  const mca = (name: string, value: string) => ['--mca', name, value];
  let launch: string[];
  if (launcher.kind === 'ssh') {
    const agent = join(dir, 'ssh-agent');
    writeFileSync(agent, sshAgent(nodes, launcher.access), { mode: 0o755 });
    launch = [
      ...mca('plm', 'rsh'),
      ...mca('plm_rsh_agent', agent),
      ...mca('plm_rsh_no_tree_spawn', '1'),
    ];
  } else launch = mca('plm', 'slurm');
  const btl = options.btl ?? 'tcp';
  return {
    args: [
      '--allow-run-as-root',
      '--hostfile',
      hostfile,
      ...mca('rmaps', 'seq'),
      '--bind-to',
      'none',
      '--oversubscribe',
      ...launch,
      ...mca('oob_tcp_if_include', networks),
      ...mca('btl', btl === 'tcp' ? 'tcp,vader,self' : 'vader,self'),
      ...(btl === 'tcp' ? mca('btl_tcp_if_include', networks) : []),
      '--stdin',
      'none',
      '-np',
      String(nodes.length),
    ],
    env: { PMIX_MCA_ptl_tcp_if_include: networks },
  };
}

/** The smallest block holding the nodes' addresses and this machine's address towards them
 * (where mpirun listens). */
export async function withHead(nodes: readonly TestbedNode[]): Promise<string> {
  const addresses = nodes.map((n) => n.address).filter((a): a is string => Boolean(a));
  const head = await addressTowards(addresses[0] ?? '127.0.0.1');
  return coveringCidr([...addresses, head]);
}

/** An Open MPI job of rank i on `nodes[i]` of cluster `via`: the files vmpath made for it
 * (`copy`: a program it built, a library the ranks preload) copied to the nodes, mpirun's
 * options and variables (files written into `dir`), and what removes the copies and their
 * folders from the nodes after. */
export async function clusterJobMpirun(
  runner: CommandRunner,
  via: Target,
  nodes: readonly TestbedNode[],
  dir: string,
  copy: readonly string[],
  options: { btl?: 'tcp' | 'vader' } = {},
): Promise<ClusterMpirun & { unstage: () => Promise<void> }> {
  const launcher = mpiLauncherOf(via);
  if (!launcher) throw new VmpathError('E_APP_INPUT', `${via.label} is not a cluster`);
  await stageFiles(runner, via, nodes, copy);
  const job = clusterMpirun(launcher, nodes, dir, await withHead(nodes), options);
  const folders = [...new Set(copy.map((f) => dirname(f)))];
  return { ...job, unstage: () => unstageFiles(runner, via, nodes, folders) };
}
