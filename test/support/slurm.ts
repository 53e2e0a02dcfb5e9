/**
 * A real Slurm 22.05 cluster over the machines of a built testbed, for the slurm launcher's
 * tests: one slurmd per machine (node name = machine name, NodeAddr = its testbed address,
 * CPUs = its slots), slurmctld on the first machine, munged for their credentials.
 *
 * Everything lives in one fresh temporary folder (slurm.conf, munge key and socket, state,
 * spool folders, logs); nothing reads or writes /etc/slurm, /etc/munge or /run/munge. Each
 * slurm daemon runs in its machine's network namespace under the machine's name and in a
 * process space of its own (daemons.ts), so its slurmstepd and tasks see what they would see on
 * a real vm and die with it. They enter the namespace with nsenter, which keeps this machine's
 * /sys: under `ip netns exec` slurmd fails with "No filesystem mounted on /sys/fs/cgroup".
 * munged needs no network: it serves a Unix socket in the folder, from this process's namespace.
 *
 * Client commands (sinfo, salloc, srun) must run in the first machine's namespace, where the
 * controller's address is, with SLURM_CONF set: `command` and `inAllocation` build them.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, inNetns, inNetnsKeepingSys } from '../../src/sys/command.js';
import type { CommandRunner } from '../../src/sys/runner.js';
import type { Topology } from '../../src/topology/types.js';
import {
  asMachine,
  type Daemon,
  logTail,
  type Machine,
  machinesOf,
  startDaemon,
  tiedToUs,
  waitUntil,
} from './daemons.js';
import { tempDir } from './temp.js';

/** The one partition, holding every node; the default for jobs. */
export const PARTITION = 'vmp';

export interface SlurmOptions {
  /** How long the cluster has to show every node idle; default 60 s. */
  readonly readyTimeoutMs?: number;
}

export interface SlurmService {
  readonly dir: string;
  /** slurm.conf's path. */
  readonly conf: string;
  /** What a Slurm client needs in its environment. */
  readonly env: Readonly<{ SLURM_CONF: string }>;
  /** The first machine's namespace, where slurmctld runs and clients must run. */
  readonly netns: string;
  readonly machines: readonly Machine[];
  /** The PIDs it started and owns: munged's, then unshare's for slurmctld and each slurmd. */
  readonly pids: readonly number[];
  /** A Slurm client command (`argv` starts with sinfo, srun, salloc, scontrol...), to run in
   * the first machine's namespace with SLURM_CONF set. */
  command(argv: readonly string[], description?: string): Command;
  /** `salloc -N <count> -w <nodes> -n <tasks> argv...`: a new allocation on exactly `nodes`,
   * in which `argv` runs locally (in the first machine's namespace) with SLURM_JOB_ID and the
   * rest set, so that an srun in it starts tasks on those nodes; the allocation ends with it. */
  inAllocation(nodes: readonly string[], tasks: number, argv: readonly string[]): Command;
  /** Ends every slurmd (their steps and tasks with them), slurmctld and munged, then removes
   * the folder. */
  stop(): Promise<void>;
}

/** slurm.conf for `machines`, controller on the first, everything under `dir`. */
export function slurmConf(dir: string, machines: readonly Machine[]): string {
  const [head] = machines;
  if (!head) throw new Error('a Slurm cluster needs a machine');
  return [
    'ClusterName=vmpath',
    // slurmctld checks its host name against this name (it runs under the first machine's).
    `SlurmctldHost=${head.name}(${head.address})`,
    'AuthType=auth/munge',
    'CredType=cred/munge',
    // Both plugins talk to our munged through this socket, not /run/munge's.
    `AuthInfo=socket=${join(dir, 'munge', 'munge.sock')}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    // Fixed ports: every daemon binds in its own machine's namespace.
    'SlurmctldPort=6817',
    'SlurmdPort=6818',
    `StateSaveLocation=${join(dir, 'state')}`,
    `SlurmdSpoolDir=${join(dir, 'spool-%n')}`,
    `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
    `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
    `SlurmdPidFile=${join(dir, 'slurmd-%n.pid')}`,
    `SlurmdLogFile=${join(dir, 'slurmd-%n.log')}`,
    'SlurmctldDebug=info',
    'SlurmdDebug=info',
    // No cgroups: tasks are tracked through /proc, which each machine's process space has.
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none',
    'JobCompType=jobcomp/none',
    'SwitchType=switch/none',
    'MpiDefault=none',
    // CPUs are consumable one by one: tasks of a job share a node up to its slots.
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_CPU',
    // A node's CPUs are its slots, whatever this machine's cores are.
    'SlurmdParameters=config_overrides',
    'ReturnToService=2',
    'InactiveLimit=0',
    'KillWait=1',
    'MailProg=/bin/true',
    ...machines.map(
      (m) => `NodeName=${m.name} NodeAddr=${m.address} CPUs=${m.slots} State=UNKNOWN`,
    ),
    `PartitionName=${PARTITION} Nodes=ALL Default=YES MaxTime=INFINITE State=UP`,
    '',
  ].join('\n');
}

/** Starts munged, slurmctld and every slurmd for testbed `id` (built by `up`) and waits until
 * sinfo shows every node idle. On any failure, stops what it started. */
export async function startSlurm(
  env: { readonly runner: CommandRunner },
  topology: Topology,
  id: string,
  options: SlurmOptions = {},
): Promise<SlurmService> {
  const machines = machinesOf(topology, id);
  const head = machines[0];
  if (!head) throw new Error(`testbed ${id} has no machine to run Slurm on`);
  const dir = tempDir('vmpath-slurm-');
  // munged wants every folder above its socket searchable by all and none writable by others.
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'munge'), { mode: 0o755 });
  mkdirSync(join(dir, 'state'));
  for (const m of machines) mkdirSync(join(dir, `spool-${m.name}`));
  const conf = join(dir, 'slurm.conf');
  writeFileSync(conf, slurmConf(dir, machines));
  const key = join(dir, 'munge', 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const socket = join(dir, 'munge', 'munge.sock');

  const client = (argv: readonly string[], description = argv.join(' ')): Command => ({
    argv: inNetns(head.netns, ['env', `SLURM_CONF=${conf}`, ...argv]),
    netns: head.netns,
    description,
  });
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  const munged: Daemon[] = [];
  const controller: Daemon[] = [];
  const slurmds: Daemon[] = [];
  const stop = async () => {
    await Promise.all(slurmds.map((d) => d.stop()));
    await Promise.all(controller.map((d) => d.stop()));
    await Promise.all(munged.map((d) => d.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  const logs = () =>
    logTail(join(dir, 'slurmctld.log')) +
    machines.map((m) => logTail(join(dir, `slurmd-${m.name}.log`), 1024)).join('');
  try {
    munged.push(startMunged(env.runner, dir, key, socket));
    await waitUntil('munged answering', () => mungeOnce(env.runner, socket), {
      timeoutMs,
      daemons: munged,
    });
    controller.push(startOnMachine(env.runner, head, 'slurmctld', ['slurmctld', '-D', '-f', conf]));
    await waitUntil('slurmctld answering', () => ping(env.runner, client), {
      timeoutMs,
      daemons: [...munged, ...controller],
      logs,
    });
    for (const m of machines)
      slurmds.push(
        startOnMachine(env.runner, m, 'slurmd', ['slurmd', '-D', '-N', m.name, '-f', conf]),
      );
    await waitUntil('every node idle', () => allIdle(env.runner, client, machines), {
      timeoutMs,
      daemons: [...munged, ...controller, ...slurmds],
      intervalMs: 250,
      logs,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  const inAllocation = (nodes: readonly string[], tasks: number, argv: readonly string[]) =>
    client(
      ['salloc', '-N', String(nodes.length), '-w', nodes.join(','), '-n', String(tasks), ...argv],
      `${argv.join(' ')} in an allocation of ${tasks} tasks on ${nodes.join(',')}`,
    );
  return {
    dir,
    conf,
    env: { SLURM_CONF: conf },
    netns: head.netns,
    machines,
    pids: [...munged, ...controller, ...slurmds].map((d) => d.pid),
    command: client,
    inAllocation,
    stop,
  };
}

/** munged in the foreground (its PID stays the one we started), every path in the folder. */
function startMunged(runner: CommandRunner, dir: string, key: string, socket: string): Daemon {
  const argv = [
    'munged',
    '--foreground',
    `--socket=${socket}`,
    `--key-file=${key}`,
    `--pid-file=${join(dir, 'munge', 'munged.pid')}`,
    `--log-file=${join(dir, 'munge', 'munged.log')}`,
    `--seed-file=${join(dir, 'munge', 'munged.seed')}`,
  ];
  return startDaemon(runner, { argv: tiedToUs(argv), description: 'munged' });
}

/** A slurm daemon on machine `m`, entered with nsenter (see the top). */
function startOnMachine(
  runner: CommandRunner,
  m: Machine,
  what: string,
  argv: readonly string[],
): Daemon {
  const command = {
    argv: inNetnsKeepingSys(m.netns, asMachine(m.name, argv)),
    netns: m.netns,
    description: `${what} on ${m.name}`,
  };
  return startDaemon(runner, command, { machine: true });
}

async function mungeOnce(runner: CommandRunner, socket: string): Promise<true | string> {
  const result = await runner.run(
    { argv: ['munge', '--no-input', `--socket=${socket}`], description: 'munge probe' },
    { allowFailure: true, timeoutMs: 10_000 },
  );
  return result.exitCode === 0 || `munge: ${result.stderr.trim()}`;
}

type Client = (argv: readonly string[], description?: string) => Command;

async function ping(runner: CommandRunner, client: Client): Promise<true | string> {
  const result = await runner.run(client(['scontrol', 'ping']), {
    allowFailure: true,
    timeoutMs: 20_000,
  });
  return (result.exitCode === 0 && /\bUP\b/.test(result.stdout)) || result.stdout + result.stderr;
}

/** True once sinfo lists every machine as idle; else what it shows. */
async function allIdle(
  runner: CommandRunner,
  client: Client,
  machines: readonly Machine[],
): Promise<true | string> {
  const result = await runner.run(client(['sinfo', '--noheader', '--Node', '--format=%N %t']), {
    allowFailure: true,
    timeoutMs: 20_000,
  });
  const idle = new Set(
    result.stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([, state]) => state === 'idle')
      .map(([name]) => name),
  );
  return machines.every((m) => idle.has(m.name)) || `sinfo: ${result.stdout}${result.stderr}`;
}
