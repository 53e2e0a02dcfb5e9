/**
 * Joining a job. A rank learns who it is from the environment: vmpath's launcher sets VMPATH_*;
 * under Open MPI's mpirun it is OMPI_COMM_WORLD_RANK/SIZE, under Slurm's srun SLURM_PROCID/
 * NTASKS, with VMPATH_RENDEZVOUS and VMPATH_TOKEN given by the user. It listens (tcp on its vm's
 * address, local on a Unix socket in the job folder), registers at the rendezvous, connects to
 * every lower rank (local when they share a vm, tcp otherwise) and waits for the higher ones.
 * This module and world.ts are the runtime's door to the process (environment, exit);
 * identity.ts reads who the rank is.
 */

import { rmdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { VmpathError } from '../core/errors.js';
import { decimal } from '../core/units.js';
import { classOf } from '../placement/classes.js';
import { ownCpuQuota } from '../sys/cgroup.js';
import { DATAPATH_RECORDS, transportOf } from '../testbed/datapaths/index.js';
import { SHM_DIR, sharedMemory } from '../transport/pipe.js';
import { type PipeOptions, StreamEndpoint, type TransportHandlers } from '../transport/stream.js';
import { algorithmsFrom, type Choice } from './collectives.js';
import { Comm, type Route } from './comm.js';
import { datapathOf, identityOf, jobKey, withNodeTable } from './identity.js';
import { threadMeter } from './meter.js';
import {
  parseRendezvous,
  type RankInfo,
  RendezvousClient,
  RendezvousServer,
} from './rendezvous.js';
import { SpinPolicy } from './spin.js';
import { World } from './world.js';

export interface InitOptions {
  /** The environment to read (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for every rank to join (default 60 s). */
  timeoutMs?: number;
  /** Whether an error of the runtime the application leaves unhandled ends the process with
   * one line (see errorsAreFatal); default: when `env` is not given, i.e. in a rank's own
   * process rather than in a test holding several ranks. */
  errorsAreFatal?: boolean;
}

let fatalInstalled = false;

/** An error of the runtime or its transports (E_RUNTIME_*, E_TRANSPORT_*), which the runtime
 * reports itself when the application leaves it unhandled. */
export function isRuntimeError(error: unknown): error is VmpathError {
  return error instanceof VmpathError && /^E_(RUNTIME|TRANSPORT)_/.test(error.code);
}

/** MPI's default error handler (MPI_ERRORS_ARE_FATAL) for a rank's process: an error of the
 * runtime that the application does not handle (a peer gone, the job failed elsewhere, a bad
 * tag) ends the process with one line on stderr naming the rank and why, not a stack trace;
 * any other uncaught error is reported with its stack, as Node does. Either way, exit code 1. */
function errorsAreFatal(): void {
  if (fatalInstalled) return;
  fatalInstalled = true;
  process.on('uncaughtException', die);
}

/** Ends this rank's process for `error` (see errorsAreFatal); silently for a failure whose
 * reason the launcher reports itself (details.quiet). */
function die(error: unknown): never {
  const ours = isRuntimeError(error);
  if (ours && error.details.quiet === true) process.exit(1);
  const text =
    ours || !(error instanceof Error) ? String((error as Error).message ?? error) : error.stack;
  process.stderr.write(`${text}\n`);
  process.exit(1);
}

/** The prefix of the job's pipe files under /dev/shm (the launcher removes leftovers). */
export function pipePrefix(token: string): string {
  return join(SHM_DIR, `vmpath-${jobKey(token)}`);
}

/** Default busy-polling time in microseconds since the last arrival (see spinMicros). */
export const DEFAULT_SPIN_US = 5000;
/** Attempts of rank 0 to listen at a rendezvous port in use (50 ms apart), under an external
 * launcher. */
const LISTEN_TRIES = 40;

/** How long a rank busy-polls for messages (comm.ts, spin.ts): VMPATH_SPIN_US if set; else
 * DEFAULT_SPIN_US while the ranks of this machine are no more than its cores, and 0 otherwise,
 * as MPI libraries poll a rank per core and Open MPI yields when oversubscribed. On the
 * emulated testbed (VMPATH_LOCAL_SIZE: vmpath's launcher puts every rank on this machine) the
 * network is software on the same cores (veths, bridges, the kernel's packet processing); it
 * runs in the sender's system calls, and a polling rank gives a core up to it whenever the
 * policy sees the core taken (spin.ts). On a 2-core VM, 2 ranks polling over tcp between two
 * testbed hosts made an 8-byte round trip 25 us on average, against 127 us sleeping (where an
 * idle core must be woken through the hypervisor); beside a CPU-bound process, 30-38 us
 * against 28-33. `cores` counts only what the rank may use: its CPU affinity and its cgroup's
 * quota (spinCores). On the testbed the ranks of a host whose guests have a CPU budget (a
 * quota the ranks cannot read inside their namespaces: VMPATH_CPU_BUDGET cores among
 * VMPATH_BUDGET_RANKS ranks, from the launcher) poll on through the quota's throttling, which
 * the policy tells from contention by their share of it (quotaShare, spin.ts). A share below
 * MIN_POLL_SHARE does not poll: 2 ranks of one vm under paper's budget, polling within 0.4375
 * cores each, made 8-byte latency no faster on a quiet machine (43.4 against 41.8 us) and
 * slower beside a busy loop (11.2 against 8.7), while one rank a host, within 0.875, took 55.6
 * against 144. */
export function spinMicros(env: NodeJS.ProcessEnv, cores = availableParallelism()): number {
  const explicit = env.VMPATH_SPIN_US;
  if (explicit !== undefined && explicit !== '') {
    const value = decimal(explicit);
    if (!Number.isFinite(value) || value < 0)
      throw new VmpathError(
        'E_RUNTIME_ENV',
        `VMPATH_SPIN_US: got ${JSON.stringify(explicit)}; allowed: microseconds >= 0`,
      );
    return value;
  }
  if (quotaShare(env) < MIN_POLL_SHARE) return 0;
  const local = Number(env.VMPATH_LOCAL_SIZE || env.OMPI_COMM_WORLD_LOCAL_SIZE || 0);
  return local > cores ? 0 : DEFAULT_SPIN_US;
}

/** The least share of a CPU budget (cores, on average) that lets a rank poll (spinMicros). */
export const MIN_POLL_SHARE = 0.5;

/** The cores of a testbed host's CPU budget that one of its ranks may use on average (its guests'
 * VMPATH_CPU_BUDGET over the VMPATH_BUDGET_RANKS ranks there), or Infinity without a budget. */
export function quotaShare(env: NodeJS.ProcessEnv): number {
  const budget = Number(env.VMPATH_CPU_BUDGET);
  const ranks = Number(env.VMPATH_BUDGET_RANKS);
  return budget > 0 && ranks > 0 ? budget / ranks : Number.POSITIVE_INFINITY;
}

/** Whether the ranks of this machine outnumber the cores they may use (collectives.ts picks
 * the algorithms that send fewest messages then): under vmpath's launcher VMPATH_LOCAL_SIZE
 * ranks, and on a testbed host with a CPU budget its VMPATH_BUDGET_RANKS ranks against
 * VMPATH_CPU_BUDGET cores (one rank is never crowded); under mpirun, Open MPI's local size. */
export function crowded(env: NodeJS.ProcessEnv, cores: number): boolean {
  const budget = Number(env.VMPATH_CPU_BUDGET);
  const underBudget = Number(env.VMPATH_BUDGET_RANKS);
  if (budget > 0 && underBudget > Math.max(1, budget)) return true;
  const local = Number(env.VMPATH_LOCAL_SIZE || env.OMPI_COMM_WORLD_LOCAL_SIZE || 0);
  return local > Math.max(1, cores);
}

/** The cores this process may use: its CPU affinity (availableParallelism), and no more than
 * its cgroup's quota when one is set (a fraction stays one: 1.5 cores let 1 rank poll, not 2). */
export function spinCores(affinity = availableParallelism(), quota = ownCpuQuota()): number {
  return quota === null ? affinity : Math.min(affinity, quota);
}

/** Which transport two ranks use: the local one where both ends' data paths give their class
 * of messages a memory channel (inside one vm; between co-located shm vms), tcp otherwise. */
export function transportBetween(
  a: Pick<RankInfo, 'vm' | 'host' | 'datapath'>,
  b: Pick<RankInfo, 'vm' | 'host' | 'datapath'>,
): 'local' | 'tcp' {
  const messageClass = classOf(a, b);
  const ends = [a, b].map((end) =>
    transportOf(DATAPATH_RECORDS[end.datapath].channels[messageClass]),
  );
  return ends.every((t) => t === 'local') ? 'local' : 'tcp';
}

/** Rank 0's rendezvous under an external launcher (mpirun, srun: no vmpath process hosts it),
 * at VMPATH_RENDEZVOUS, which must then be one of its own addresses. */
async function hostRendezvous(size: number, token: string, rendezvous: string) {
  const log = (text: string) => process.stderr.write(`rank 0 (rendezvous): ${text}\n`);
  const hosted = new RendezvousServer(size, token, {
    onRejected: (reason) => log(`refused ${reason}`),
    onRankLost: (lost) => log(`rank ${lost} ended without finalize`),
    onAbort: (from, code, reason) => log(`rank ${from} called abort(${code}): ${reason}`),
  });
  // The other ranks may already be retrying their connections; one of them can, for a
  // moment, hold the port itself (a connection to itself: RendezvousClient drops it).
  const where = parseRendezvous(rendezvous);
  for (let tries = 1; ; tries++) {
    try {
      await hosted.listen(where);
      return hosted;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || tries >= LISTEN_TRIES)
        throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

interface Endpoints {
  readonly tcp: StreamEndpoint;
  readonly local: StreamEndpoint;
}

/** Each peer's endpoint, by the transport between this rank and it. */
function routesOf(info: RankInfo, table: readonly RankInfo[], { tcp, local }: Endpoints) {
  const routes = new Map<number, Route>();
  for (const peer of table) {
    if (peer.rank === info.rank) continue;
    routes.set(
      peer.rank,
      transportBetween(info, peer) === 'local'
        ? { endpoint: local, transport: 'local' }
        : { endpoint: tcp, transport: 'tcp' },
    );
  }
  return routes;
}

/** Connects to every lower rank and waits for every higher one. */
async function connectPeers(
  rank: number,
  table: readonly RankInfo[],
  routes: ReadonlyMap<number, Route>,
  { tcp, local }: Endpoints,
  address: string,
  timeoutMs: number,
): Promise<void> {
  for (const peer of table) {
    if (peer.rank >= rank) continue;
    const route = routes.get(peer.rank) as Route;
    if (route.transport === 'local')
      await local.connect(peer.rank, { kind: 'local', path: peer.local.path });
    else
      await tcp.connect(
        peer.rank,
        { kind: 'tcp', host: peer.tcp.host, port: peer.tcp.port },
        address,
      );
  }
  const higher = table.filter((p) => p.rank > rank);
  await Promise.all([
    local.waitFor(
      higher.filter((p) => routes.get(p.rank)?.transport === 'local').map((p) => p.rank),
      timeoutMs,
    ),
    tcp.waitFor(
      higher.filter((p) => routes.get(p.rank)?.transport === 'tcp').map((p) => p.rank),
      timeoutMs,
    ),
  ]);
}

/** The rank's two endpoints: TCP, and local (with shared-memory pipes when the addon loads). */
function endpointsOf(
  rank: number,
  size: number,
  token: string,
  handlers: TransportHandlers,
): Endpoints {
  const tcp = new StreamEndpoint(rank, size, token, handlers);
  const addon = sharedMemory();
  const pipes: PipeOptions | null =
    typeof addon === 'string' ? null : { addon, prefix: pipePrefix(token) };
  if (!pipes && rank === 0) process.stderr.write(`rank 0: ${addon}\n`);
  return { tcp, local: new StreamEndpoint(rank, size, token, handlers, pipes) };
}

/** Removes the rank's socket file and, when the ranks made the job folder (`ownDir`), the
 * folder once the last one is out (a launcher removes its own). */
function leaveJobDir(localPath: string, ownDir: string | null): void {
  rmSync(localPath, { force: true });
  if (!ownDir) return;
  try {
    rmdirSync(ownDir);
  } catch {
    // other ranks' sockets are still there
  }
}

/** Joins the job this process is a rank of. */
export async function init(options: InitOptions = {}): Promise<World> {
  const env = withNodeTable(options.env ?? process.env);
  const fatal = options.errorsAreFatal ?? options.env === undefined;
  if (fatal) errorsAreFatal();
  const { rank, size, token, rendezvous, address, vm, host, jobDir } = await identityOf(env);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const forced = algorithmsFrom(env);

  let comm: Comm | null = null;
  // A peer may connect and send before this rank has the table and its communicator: the
  // rendezvous writes the table to one rank after another, and a launcher pre-empted between
  // two writes lets the first rank connect, greet and send its first message (a barrier's)
  // before the last one reads its own. What comes meanwhile is kept, in order, for the
  // communicator (lost, such a message hung the job at its first barrier).
  const early: ((comm: Comm) => void)[] = [];
  const handlers: TransportHandlers = {
    onHeader: (header) => {
      if (comm) return comm.onHeader(header);
      early.push((c) => c.onHeader(header));
      return null;
    },
    onPayload: (source, bytes, offset, last, inPlace) => {
      if (comm) return comm.onPayload(source, bytes, offset, last, inPlace);
      const copy = Buffer.from(bytes); // a view of the transport's scratch buffer
      early.push((c) => c.onPayload(source, copy, offset, last, false));
    },
    onPeerLost: (peer, reason) => {
      const lost = (c: Comm) =>
        c.peerLost(
          peer,
          new VmpathError('E_RUNTIME_PEER_LOST', `rank ${rank}: rank ${peer} is gone (${reason})`),
        );
      if (comm) lost(comm);
      else early.push(lost);
    },
    onRejected: (reason) => process.stderr.write(`rank ${rank}: refused a connection: ${reason}\n`),
  };
  const { tcp, local } = endpointsOf(rank, size, token, handlers);
  let hosted: RendezvousServer | null = null;
  let client: RendezvousClient | null = null;
  try {
    const tcpAddress = await tcp.listen({ host: address });
    const localPath = join(jobDir, `rank-${rank}.sock`);
    rmSync(localPath, { force: true }); // a socket file left by an earlier job with this token
    await local.listen({ path: localPath });
    const info: RankInfo = {
      rank,
      vm,
      host,
      datapath: datapathOf(env),
      tcp:
        tcpAddress.kind === 'tcp'
          ? { host: tcpAddress.host, port: tcpAddress.port }
          : { host: address, port: 0 },
      local: { path: localPath },
      crowded: crowded(env, spinCores()),
      algorithms: forced,
    };
    // Under an external launcher (mpirun, srun) no vmpath process hosts the rendezvous: rank 0
    // does, at VMPATH_RENDEZVOUS, which must then be one of its own addresses; unless vmpath
    // started the launcher itself and hosts it (VMPATH_RENDEZVOUS_HOSTED).
    if (env.VMPATH_RANK === undefined && env.VMPATH_RENDEZVOUS_HOSTED !== '1' && rank === 0)
      hosted = await hostRendezvous(size, token, rendezvous);
    const joined = await RendezvousClient.connect(rendezvous, token, info, timeoutMs);
    client = joined.client;
    const table = joined.table;

    // One choice for the whole job: rank 0's forced algorithms, and crowded if any rank is (the
    // ranks of one job may see different cores, budgets and environments).
    const algorithms: Choice = {
      ...(table.find((p) => p.rank === 0)?.algorithms ?? forced),
      crowded: table.some((p) => p.crowded === true),
    };
    const routes = routesOf(info, table, { tcp, local });
    comm = new Comm(rank, size, routes, {
      microseconds: spinMicros(env, spinCores()),
      policy: new SpinPolicy(threadMeter(), quotaShare(env)),
      progress: local,
    });
    const world = comm;
    for (const replay of early.splice(0)) replay(world);
    let connected = false;
    joined.client.onState(() => ({ ...world.waits, connecting: !connected }));
    joined.client.onFailed((reason, quiet) => {
      const error = new VmpathError(
        'E_RUNTIME_JOB_FAILED',
        `rank ${rank}: the job failed: ${reason}`,
        { details: { quiet } },
      );
      world.fail(error);
      // Errors are fatal: a rank that is not waiting on the runtime (computing, or awaiting
      // something else) ends too, once the operations failed above have been reported.
      if (fatal) setImmediate(() => die(error));
    });
    await connectPeers(rank, table, routes, { tcp, local }, address, timeoutMs);
    connected = true;
    return new World(
      comm,
      joined.client,
      [tcp, local],
      hosted,
      () => leaveJobDir(localPath, env.VMPATH_JOB_DIR ? null : jobDir),
      algorithms,
    );
  } catch (error) {
    // Leave nothing listening: a rank that cannot join must be able to exit.
    client?.close();
    await Promise.allSettled([tcp.close(), local.close(), hosted?.close()]);
    throw error;
  }
}
