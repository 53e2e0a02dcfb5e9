/**
 * `vmpath launch`: starts every rank of a job on its vm (or native host) through a launcher
 * (cluster/launcher.ts): inside the vm's namespace on the testbed, over ssh, or as one srun
 * job step. It hosts the rendezvous: on the testbed on a Unix socket in a job folder
 * (reachable from every namespace, with no address in the root namespace), on a cluster on
 * TCP at this machine's address towards the nodes. It prefixes each line a rank prints with its
 * rank, and ends the job when a rank fails, time runs out or the user interrupts: the other
 * ranks are told, then ended by PID. It returns the job's communication matrix from the
 * counters each rank gives the rendezvous when it finalizes.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Launcher, NETNS_LAUNCHER, startOn } from '../cluster/launcher.js';
import { exitCodeOf, signalExitCode, TIMEOUT_EXIT_CODE, VmpathError } from '../core/errors.js';
import { lineSplitter } from '../sys/lines.js';
import { addressTowards } from '../sys/route.js';
import type { CommandRunner, Started } from '../sys/runner.js';
import { readBudget } from '../testbed/budgets.js';
import { hostNetns } from '../testbed/names.js';
import { findNode, type TestbedNode } from '../testbed/nodes.js';
import type { Topology } from '../topology/types.js';
import type { PeerCounters } from './comm.js';
import { firstFailure, OWN_EXIT_WAIT_MS } from './first-failure.js';
import { JOB_PREFIX, removePipes, removeRankFolders, removeStaleJobs } from './job-files.js';
import { RendezvousServer } from './rendezvous.js';
import { startSrunJob } from './srun-job.js';
import { describeWaits } from './waits.js';

/** Where one rank runs: the vm (or native host) by name. src/placement produces these. */
export interface RankSlot {
  readonly rank: number;
  readonly vm: string;
}

export interface LaunchOptions {
  /** The testbed or cluster the ranks run in; null runs them as processes of this machine
   * (one "vm"). */
  readonly topology: Topology | null;
  readonly id: string;
  /** How ranks reach their vms: the testbed's namespaces when not given. */
  readonly launcher?: Launcher;
  readonly placement: readonly RankSlot[];
  readonly argv: readonly string[];
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** A line a rank printed on stdout or stderr, already prefixed with `[rank] `. */
  readonly onLine: (line: string, stream: 'out' | 'err') => void;
  /** Something the launcher itself has to say (refused connections, failures). */
  readonly onNotice: (text: string) => void;
  /** Variables added to every rank's environment (VMPATH_SPIN_US, say). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface MatrixEntry {
  readonly from: number;
  readonly to: number;
  readonly messages: number;
  readonly bytes: number;
  readonly transport: PeerCounters['transport'];
}

export interface LaunchResult {
  readonly exitCode: number;
  /** Why the job failed, naming the rank; null when every rank finished. */
  readonly failure: string | null;
  readonly matrix: readonly MatrixEntry[];
}

/** Where a rank runs, and who it is there. */
function nodeOf(options: LaunchOptions, vm: string): TestbedNode {
  return options.topology
    ? findNode(options.topology, options.id, vm)
    : {
        role: 'vm',
        name: 'local',
        netns: '',
        address: '127.0.0.1',
        host: 'local',
        datapath: 'native',
      };
}

/** Starts one rank on its vm; `ended` says how its exit ends the job, if it does. */
function startRank(
  runner: CommandRunner,
  options: LaunchOptions,
  placed: RankSlot,
  job: JobSetting,
): { rank: Started; ended: Promise<ReturnType<typeof endOf>> } {
  const node = nodeOf(options, placed.vm);
  const out = prefixer(placed.rank, 'out', options.onLine);
  const err = prefixer(placed.rank, 'err', options.onLine);
  const env = { ...rankEnvironment(placed, node, job), ...options.env };
  const streams = {
    onStdout: (chunk: string) => out.push(chunk),
    onStderr: (chunk: string) => err.push(chunk),
  };
  const description = `rank ${placed.rank} on ${placed.vm}`;
  const rank = options.topology
    ? startOn(
        runner,
        options.launcher ?? NETNS_LAUNCHER,
        node,
        { argv: options.argv, description },
        { env, ...streams },
      )
    : runner.start({ argv: [...options.argv], description }, { env, ...streams });
  const ended = rank.done.then((result) => {
    out.end();
    err.end();
    return endOf(placed, result, options.launcher?.kind === 'ssh');
  });
  return { rank, ended };
}

/** What every rank of a job shares: its size, token and rendezvous, and, on the testbed, its
 * folder (on a cluster each node's ranks make their own). */
interface JobSetting {
  readonly size: number;
  readonly token: string;
  readonly rendezvous: string;
  readonly jobDir: string | null;
  /** Ranks per vm, on a cluster (on the testbed every rank shares this machine). */
  readonly perVm: ReadonlyMap<string, number> | null;
  /** On the testbed, per host whose guests have a CPU budget (testbed/budgets.ts): its cores
   * and the job's ranks under it. */
  readonly budgets: ReadonlyMap<string, { readonly cores: number; readonly ranks: number }>;
}

/** What a rank is told in its environment: who it is, where the job meets, its vm. */
function rankEnvironment(
  placed: RankSlot,
  node: Pick<TestbedNode, 'address' | 'host' | 'datapath'>,
  job: JobSetting,
): Record<string, string> {
  return {
    VMPATH_RANK: String(placed.rank),
    VMPATH_SIZE: String(job.size),
    // On the testbed every rank runs on this machine (it emulates the cluster on it).
    VMPATH_LOCAL_SIZE: String(job.perVm?.get(placed.vm) ?? job.size),
    VMPATH_TOKEN: job.token,
    VMPATH_RENDEZVOUS: job.rendezvous,
    VMPATH_ADDRESS: node.address ?? '127.0.0.1',
    VMPATH_NODE: placed.vm,
    VMPATH_HOST: node.host ?? placed.vm,
    VMPATH_DATAPATH: node.datapath ?? 'native',
    ...(job.jobDir ? { VMPATH_JOB_DIR: job.jobDir } : {}),
    // The rank cannot read its cgroup's quota inside its namespace (init.ts's spin rule).
    ...budgetEnvironment(job.budgets.get(node.host ?? '')),
  };
}

function budgetEnvironment(
  budget: { cores: number; ranks: number } | undefined,
): Record<string, string> {
  return budget
    ? { VMPATH_CPU_BUDGET: String(budget.cores), VMPATH_BUDGET_RANKS: String(budget.ranks) }
    : {};
}

/** The CPU budget of each testbed host the job runs on, and how many of its ranks share it. */
function budgetsOf(
  options: LaunchOptions,
  nodes: readonly Pick<TestbedNode, 'host'>[],
): Map<string, { cores: number; ranks: number }> {
  const budgets = new Map<string, { cores: number; ranks: number }>();
  for (const { host } of nodes) {
    if (!host) continue;
    const known = budgets.get(host);
    if (known) known.ranks++;
    else {
      const cores = readBudget(`${hostNetns(options.id, host)}-guests`);
      if (cores !== null) budgets.set(host, { cores, ranks: 1 });
    }
  }
  return budgets;
}

/** How a rank's exit ends the job, if it does: an interrupt (a Ctrl-C at the terminal reaches
 * the ranks, in vmpath's process group, as it reaches the launcher), or a failure. */
function endOf(
  placed: RankSlot,
  result: { exitCode: number | null; signal: NodeJS.Signals | null },
  overSsh = false,
): { reason: string; code: number; graceMs?: number; quiet?: boolean } | null {
  if (result.signal === 'SIGINT' || result.signal === 'SIGTERM')
    return {
      reason: `interrupted by ${result.signal} (rank ${placed.rank} on ${placed.vm}); ending every rank`,
      code: signalExitCode(result.signal),
      graceMs: INTERRUPT_GRACE_MS,
      quiet: true,
    };
  if (result.exitCode === 0) return null;
  // ssh's own failure (not reached, refused, a lost connection), not the rank's.
  if (overSsh && result.exitCode === 255)
    return {
      reason: `rank ${placed.rank} (on ${placed.vm}): its ssh session failed (exit 255; ssh's message is above)`,
      code: 1,
    };
  const how =
    result.exitCode === null
      ? `was killed by ${result.signal}`
      : `exited with code ${result.exitCode}`;
  return { reason: `rank ${placed.rank} (on ${placed.vm}) ${how}`, code: result.exitCode ?? 1 };
}

/** Grace for ranks told of a failure before they are ended by PID; shorter when the user
 * interrupted the job (they asked for it to stop, and nothing of it is awaited). */
const FAILURE_GRACE_MS = 5000;
const INTERRUPT_GRACE_MS = 1000;
/** How long a failure waits for the first lost rank's own exit when every rank is local. */
const LOCAL_EXIT_WAIT_MS = 1000;

function prefixer(rank: number, stream: 'out' | 'err', onLine: LaunchOptions['onLine']) {
  return lineSplitter((line) => onLine(`[${rank}] ${line}`, stream));
}

export { removeStaleJobs } from './job-files.js';

export async function launch(runner: CommandRunner, options: LaunchOptions): Promise<LaunchResult> {
  const size = options.placement.length;
  const token = randomBytes(16).toString('hex');
  removeStaleJobs();
  const jobDir = mkdtempSync(join(tmpdir(), `${JOB_PREFIX}${process.pid}-`));
  let failure: string | null = null;
  let exitCode = 0;
  const ranks: Started[] = [];
  let release: (() => Promise<void>) | undefined;
  const launcher = options.topology ? (options.launcher ?? NETNS_LAUNCHER) : NETNS_LAUNCHER;
  const endedRanks = new Set<number>();
  const whose = firstFailure({
    // On the testbed every exit and socket's end is this machine's: they come within moments.
    waitMs: launcher.kind === 'netns' ? LOCAL_EXIT_WAIT_MS : OWN_EXIT_WAIT_MS,
    silent: (rank) => fail(`rank ${rank} ended without finalize`, 1),
    // Under Slurm one srun carries every rank: a rank's end is only its task's word.
    running: (rank) => launcher.kind !== 'slurm' && !endedRanks.has(rank),
  });
  /** Ends the job: the ranks are told, then ended by PID after `graceMs`. When the launcher
   * itself ends it (interrupt, timeout) its notice says why, and the ranks stay quiet. */
  const fail = (reason: string, code: number, graceMs = FAILURE_GRACE_MS, quiet = false) => {
    if (failure) return false;
    failure = reason;
    exitCode = code;
    options.onNotice(reason);
    rendezvous.fail(reason, quiet);
    const timer = setTimeout(() => endAll('SIGKILL'), graceMs);
    timer.unref();
    return true;
  };
  const endAll = (signal: NodeJS.Signals) => {
    for (const rank of ranks) rank.kill(signal);
  };
  const rendezvous = new RendezvousServer(size, token, {
    onRejected: (reason) => options.onNotice(`rendezvous refused ${reason}`),
    // The rank's own exit code, if it comes soon, is the better report: wait a moment for it.
    onRankLost: (rank) => whose.lost(rank),
    onAbort: (rank, code, reason) =>
      fail(`rank ${rank} called abort(${code}): ${reason}`, code || 1),
  });
  const rendezvousAt = await listenRendezvous(rendezvous, launcher, options, jobDir);
  const stopWatching = watchEnd(options, fail, async () => {
    const states = await rendezvous.states(STATE_WAIT_MS);
    return options.placement.map((p) => {
      try {
        return describeWaits(p.rank, states.get(p.rank));
      } catch {
        return `rank ${p.rank}: answered something unreadable`;
      }
    });
  });
  try {
    const local = launcher.kind === 'netns';
    const nodes = options.topology ? options.placement.map((p) => nodeOf(options, p.vm)) : [];
    const job: JobSetting = {
      size,
      token,
      rendezvous: rendezvousAt,
      jobDir: local ? jobDir : null,
      perVm: local ? null : ranksPerVm(options.placement),
      budgets: local ? budgetsOf(options, nodes) : new Map(),
    };
    // Many ranks on few nodes: the launcher's shared connections first (ssh).
    release = await launcher.prepare?.(runner, nodes);
    const starts = startJob(runner, options, launcher, job, {
      size,
      token,
      rendezvous: rendezvousAt,
      hostfileDir: jobDir,
      onTaskFailed: (f) => whose.failed(f.rank, () => fail(f.reason, f.code)),
    });
    const done = starts.map((started, i) => {
      ranks.push(started.rank);
      // A rank that ends because another failed (the rendezvous told it) may be seen to end
      // first: over ssh its session's end can overtake the failed rank's.
      const rank = launcher.kind === 'slurm' ? null : (options.placement[i]?.rank ?? null);
      return started.ended.then(
        (ended) => {
          if (rank !== null) endedRanks.add(rank);
          if (!ended) return;
          const report = () => fail(ended.reason, ended.code, ended.graceMs, ended.quiet);
          if (ended.quiet) report();
          else if (rank !== null) whose.failed(rank, report);
          else {
            // srun's end: its tasks' words on their exits are all in.
            whose.settle();
            report();
          }
        },
        (error: Error) => {
          if (rank !== null) endedRanks.add(rank);
          fail(`${started.what} could not start: ${error.message}`, 1);
        },
      );
    });
    await Promise.all(done);
    whose.settle();
  } finally {
    stopWatching();
    endAll('SIGKILL');
    await Promise.allSettled(ranks.map((r) => r.done));
    await rendezvous.close();
    await release?.();
    removePipes(token);
    // On a cluster each node's ranks made their own folder; ranks that were ended left it.
    if (launcher.kind !== 'netns')
      await removeRankFolders(
        runner,
        launcher,
        options.placement.map((p) => nodeOf(options, p.vm)),
        token,
      );
  }
  try {
    return { exitCode, failure, matrix: matrixOf(rendezvous.counters()) };
  } finally {
    rmSync(jobDir, { recursive: true, force: true });
  }
}

/** The job's processes: one srun for every rank under Slurm, else a process per rank. */
function startJob(
  runner: CommandRunner,
  options: LaunchOptions,
  launcher: Launcher,
  job: JobSetting,
  srun: Parameters<typeof startSrunJob>[2],
): { what: string; rank: Started; ended: Promise<ReturnType<typeof endOf>> }[] {
  if (launcher.kind === 'slurm') return [startSrunJob(runner, options, srun)];
  return options.placement.map((placed) => ({
    what: `rank ${placed.rank}`,
    ...startRank(runner, options, placed, job),
  }));
}

type Fail = (reason: string, code: number, graceMs?: number, quiet?: boolean) => boolean;

/** Ends the job (`fail`) on the user's interrupt and when its time is up; returns what stops
 * watching. */
/** How long a job out of time waits for its ranks to say what they wait for. */
const STATE_WAIT_MS = 1000;

/** Ends the job on the user's interrupt, or when time runs out: then after saying what each
 * rank waits for (`waits`, a line per rank), as Open MPI's --timeout with --get-stack-traces. */
function watchEnd(
  options: LaunchOptions,
  fail: Fail,
  waits: () => Promise<readonly string[]>,
): () => void {
  const onAbort = () => {
    const reason = options.signal?.reason;
    const known = reason instanceof VmpathError;
    fail(
      `${known ? reason.message : `interrupted (${String(reason)})`}; ending every rank`,
      known ? exitCodeOf(reason) : 130,
      INTERRUPT_GRACE_MS,
      true,
    );
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const timedOut = `timed out after ${options.timeoutMs / 1000} s; ending every rank`;
  let over = false;
  const timer = setTimeout(async () => {
    const lines = await waits().catch(() => []);
    if (over) return; // the job ended meanwhile
    if (!fail(timedOut, TIMEOUT_EXIT_CODE, INTERRUPT_GRACE_MS, true)) return;
    for (const line of lines) options.onNotice(`  ${line}`);
  }, options.timeoutMs);
  return () => {
    over = true;
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  };
}

function matrixOf(counters: ReadonlyMap<number, readonly PeerCounters[]>): MatrixEntry[] {
  const entries: MatrixEntry[] = [];
  for (const [from, row] of counters) {
    row.forEach((c, to) => {
      if (c.messages > 0)
        entries.push({ from, to, messages: c.messages, bytes: c.bytes, transport: c.transport });
    });
  }
  return entries.sort((a, b) => a.from - b.from || a.to - b.to);
}

function ranksPerVm(placement: readonly RankSlot[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of placement) counts.set(p.vm, (counts.get(p.vm) ?? 0) + 1);
  return counts;
}

/** The rendezvous' address, once it listens: a Unix socket in the job folder on the testbed,
 * else TCP at this machine's address towards the first rank's node (any free port). */
async function listenRendezvous(
  rendezvous: RendezvousServer,
  launcher: Launcher,
  options: LaunchOptions,
  jobDir: string,
): Promise<string> {
  if (launcher.kind === 'netns') {
    const path = join(jobDir, 'rendezvous.sock');
    await rendezvous.listen({ path });
    return `unix:${path}`;
  }
  const first = options.placement[0];
  const address = first && nodeOf(options, first.vm).address;
  if (!address)
    throw new VmpathError('E_APP_INPUT', 'a job needs at least one rank on a node with an address');
  const host = await addressTowards(address);
  await rendezvous.listen({ host, port: 0 });
  return `${host}:${rendezvous.port()}`;
}
