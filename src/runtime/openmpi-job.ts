/**
 * An Open MPI job on a testbed, planned the way a cluster runs one: mpirun (the head node
 * process, HNP) starts one Open MPI daemon (orted) per machine through its own remote-launch
 * mechanism, the rsh/ssh agent (`plm_rsh_agent`), here a script that enters the machine's
 * namespace instead of opening an ssh session; the daemons start the ranks. The placement
 * becomes a sequential hostfile (Open MPI's `seq` mapper: line i is rank i's machine), so each
 * rank runs where the placement puts it; nothing is bound to a core (a vm's slots are not this
 * machine's cores).
 *
 * What a machine is follows the data path's record: where ranks of two vms of one host meet
 * over the network (bridged, iov), each vm is a machine with its own daemon, and only ranks of
 * one vm share memory (vader). Where they meet in host memory (shm), each host is a machine:
 * one daemon per host, so that Open MPI uses shared memory between its vms, and the fork agent
 * (`orte_fork_agent`) puts each rank into its own vm's namespace, so that its TCP traffic to
 * other hosts still leaves from its vm's interface. A native host is its own machine.
 *
 * Both agents write the PID (and start time) of what they start to the job's folder, so that
 * the caller can end exactly those processes if mpirun leaves any. Pure.
 */

import { VmpathError } from '../core/errors.js';
import { inNetnsKeepingSys } from '../sys/command.js';
import { datapathRecord, hostDatapath } from '../testbed/datapaths/index.js';
import { hostNetns, vmNetns } from '../testbed/names.js';
import { BENCHMARK_RANGE } from '../topology/address.js';
import type { Topology } from '../topology/types.js';

/** Where a rank runs: its host and vm (the placement's), the machine Open MPI sees and the
 * namespace the rank lives in. */
export interface JobRank {
  readonly rank: number;
  readonly host: string;
  readonly vm: string;
  readonly machine: string;
  readonly netns: string;
}

/** A machine of the job: one Open MPI daemon, in `netns`, called `name`. */
export interface JobMachine {
  readonly name: string;
  readonly host: string;
  readonly netns: string;
  /** Ranks it holds. */
  readonly ranks: number;
}

export interface JobPlan {
  readonly machines: readonly JobMachine[];
  readonly ranks: readonly JobRank[];
  /** Whether a machine is a host whose ranks enter their vms (the shm mapping). */
  readonly perHost: boolean;
  /** The namespace mpirun runs in (the first rank's machine), under its own host name. */
  readonly headNetns: string;
}

/** The name mpirun runs under: not a machine of the job, so it holds no ranks. */
export const HEAD_NAME = 'vmpath-head';
/** The files the agents write in the job's folder: `PID START NAME` per line. */
export const DAEMON_PIDS = 'daemons.pids';
export const RANK_PIDS = 'ranks.pids';

/** The job of `placement` on testbed `id`. */
export function planJob(
  topology: Topology,
  id: string,
  placement: readonly { rank: number; host: string; vm: string }[],
): JobPlan {
  let perHost = false;
  const ranks = placement.map((p): JobRank => {
    const host = topology.hosts.find((h) => h.name === p.host);
    if (!host)
      throw new VmpathError('E_APP_INPUT', `rank ${p.rank}: host ${p.host} is not in the testbed`);
    const base = { rank: p.rank, host: p.host, vm: p.vm };
    if (host.native) return { ...base, machine: host.name, netns: hostNetns(id, host.name) };
    const shared = datapathRecord(hostDatapath(host)).channels['inter-vm'] === 'shm';
    perHost ||= shared;
    return {
      ...base,
      machine: shared ? host.name : p.vm,
      netns: vmNetns(id, host.name, p.vm),
    };
  });
  const first = ranks[0];
  if (!first) throw new VmpathError('E_APP_INPUT', 'an Open MPI job needs at least one rank');
  const machines = new Map<string, JobMachine>();
  for (const r of ranks) {
    const known = machines.get(r.machine);
    // A host's daemon lives in the namespace of its first rank's vm.
    machines.set(
      r.machine,
      known
        ? { ...known, ranks: known.ranks + 1 }
        : { name: r.machine, host: r.host, netns: r.netns, ranks: 1 },
    );
  }
  const headNetns = (machines.get(first.machine) as JobMachine).netns;
  return { machines: [...machines.values()], ranks, perHost, headNetns };
}

/** The sequential hostfile: rank i's machine on line i. */
export function seqHostfile(plan: JobPlan): string {
  return plan.ranks.map((r) => `${r.machine}\n`).join('');
}

/** A POSIX shell line that appends `PID START NAME` for this shell (which then execs). */
function recordPid(file: string, name: string): string {
  return `read -r _pid _comm _state _ppid _pgrp _sess _tty _tpgid _flags _minflt _cminflt _majflt _cmajflt _utime _stime _cutime _cstime _prio _nice _threads _itreal _start _rest < /proc/$$/stat; echo "$$ $_start ${name}" >> '${file}'`;
}

/** The launch agent (plm_rsh_agent): called as `AGENT MACHINE COMMAND...` like ssh, it runs
 * the daemon's command line with a shell in the machine's namespace, under the machine's name
 * (its own UTS namespace). */
export function launchAgent(
  plan: JobPlan,
  dir: string,
  procsOf: (netns: string) => string | null = () => null,
): string {
  // A daemon joins its host's guests' CPU budget, when there is one (sys/cgroup.ts), before it
  // enters the machine's namespace (where /sys is the namespace's own).
  const cases = plan.machines.map(
    (m) => `  ${m.name}) ns=${m.netns} cg=${procsOf(m.netns) ?? ''} ;;`,
  );
  return [
    '#!/bin/sh',
    "# vmpath: Open MPI's launch agent for one job; enters a machine's namespace instead of ssh",
    'machine=$1',
    'shift',
    'case $machine in',
    ...cases,
    '  *) echo "vmpath launch agent: $machine is not a machine of this job" >&2; exit 255 ;;',
    'esac',
    recordPid(`${dir}/${DAEMON_PIDS}`, '$machine'),
    '[ -z "$cg" ] || echo $$ > "$cg" || exit 255',
    'exec ip netns exec "$ns" unshare --uts sh -c "hostname $machine && exec $*"',
    '',
  ].join('\n');
}

/** The fork agent (orte_fork_agent): the daemon starts each rank through it; it records the
 * rank and, when machines are hosts, puts the rank into its vm's namespace. */
export function forkAgent(plan: JobPlan, dir: string): string {
  const enter = plan.perHost
    ? [
        'case $OMPI_COMM_WORLD_RANK in',
        ...plan.ranks.map((r) => `  ${r.rank}) exec ip netns exec ${r.netns} "$@" ;;`),
        'esac',
        'echo "vmpath fork agent: rank $OMPI_COMM_WORLD_RANK is not in this job" >&2',
        'exit 255',
      ]
    : ['exec "$@"'];
  return [
    '#!/bin/sh',
    "# vmpath: Open MPI's fork agent for one job; records each rank's PID",
    recordPid(`${dir}/${RANK_PIDS}`, 'rank$OMPI_COMM_WORLD_RANK'),
    ...enter,
    '',
  ].join('\n');
}

export interface JobFiles {
  readonly hostfile: string;
  readonly launchAgent: string;
  readonly forkAgent: string;
}

/** Open MPI's settings for the job: the agents, the sequential mapping, no binding, and the
 * out-of-band channel, PMIx and the TCP BTL held to the testbed's addresses. With
 * `yieldWhenIdle` a waiting rank yields its core (mpi_yield_when_idle), as Open MPI does when it
 * knows a node is oversubscribed: every vm of the testbed shares this machine's cores, which
 * Open MPI, counting per node, cannot see. */
export function jobMpirunArgs(
  files: JobFiles,
  np: number,
  oversubscribe: boolean,
  yieldWhenIdle = false,
): string[] {
  const mca = (name: string, value: string) => ['--mca', name, value];
  return [
    '--allow-run-as-root',
    ...(yieldWhenIdle ? mca('mpi_yield_when_idle', '1') : []),
    '--hostfile',
    files.hostfile,
    ...mca('rmaps', 'seq'),
    '--bind-to',
    'none',
    ...(oversubscribe ? ['--oversubscribe'] : []),
    ...mca('plm', 'rsh'),
    ...mca('plm_rsh_agent', files.launchAgent),
    ...mca('plm_rsh_no_tree_spawn', '1'),
    // Not daemonized: a daemonized orted forks away from the PID its launch agent recorded (a
    // new session under init), and one left by a killed mpirun could not be ended by PID.
    ...mca('orte_leave_session_attached', '1'),
    ...mca('orte_fork_agent', files.forkAgent),
    ...mca('oob_tcp_if_include', BENCHMARK_RANGE),
    ...mca('btl', 'tcp,vader,self'),
    ...mca('btl_tcp_if_include', BENCHMARK_RANGE),
    '--tag-output',
    // The program's standard input is not vmpath's (mpirun would forward it to rank 0).
    '--stdin',
    'none',
    '-np',
    String(np),
  ];
}

/** What the head's process is started as: mpirun in the head namespace, under HEAD_NAME. */
export function headArgv(plan: JobPlan, mpirun: readonly string[]): string[] {
  // Keeping this machine's /sys: the launch agent mpirun calls puts each daemon under its
  // host's budget there.
  return inNetnsKeepingSys(plan.headNetns, [
    'unshare',
    '--uts',
    'sh',
    '-c',
    `hostname ${HEAD_NAME} && exec "$@"`,
    'vmpath-head',
    'env',
    `PMIX_MCA_ptl_tcp_if_include=${BENCHMARK_RANGE}`,
    ...mpirun,
  ]);
}
