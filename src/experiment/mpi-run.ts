/**
 * Running any MPI program on a testbed with Open MPI (vmpath run mpi): the job planned by
 * runtime/openmpi-job.ts is started `repeats` times; each time gives mpirun's wall time, the
 * program's own time (apps/mpi-clock: from MPI_Init's return to MPI_Finalize), the exit code and
 * the tail of each rank's output, and with `profile` the pml-monitoring matrix of that very run.
 *
 * Ending: a rank that fails ends the job (Open MPI aborts it), and the error names the rank, its
 * vm and how it ended; a timeout or an interrupt ends mpirun (SIGTERM, then SIGKILL), and then
 * every daemon and rank the agents recorded that is still there, by PID.
 */
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { interrupted, VmpathError } from '../core/errors.js';
import { type MatrixFile, parseMonitoring } from '../model/matrix.js';
import { type Classified, classify } from '../placement/classes.js';
import type { Placed } from '../placement/patterns.js';
import { monitoredMpirun, monitoringFiles } from '../runtime/openmpi.js';
import {
  DAEMON_PIDS,
  forkAgent,
  headArgv,
  type JobPlan,
  jobMpirunArgs,
  launchAgent,
  planJob,
  RANK_PIDS,
  seqHostfile,
} from '../runtime/openmpi-job.js';
import {
  mpirunMessage,
  programSeconds,
  rankFailure,
  Tails,
  untag,
} from '../runtime/openmpi-output.js';
import type { CommandRunner } from '../sys/runner.js';
import { processAlive, processStart, signalProcess } from '../sys/tools.js';
import type { Topology } from '../topology/types.js';

const CLOCK_SOURCE = fileURLToPath(new URL('../../../apps/mpi-clock/clock.c', import.meta.url));
/** Lines of each rank's output a result keeps. */
export const TAIL_LINES = 10;
/** How long mpirun has to end its job after SIGTERM before it is killed. */
const GRACE_MS = 3000;
/** ORTE's rsh launcher sets each agent's process group from both sides; when the agent has
 * already exec'd, the parent's call is refused, harmlessly (the child set its own), and ORTE
 * says so. Not passed on. */
const BENIGN = /plm:rsh: Warning: setpgid\(\d+,\d+\) failed in parent with errno=Permission denied/;

export interface MpiJob {
  readonly topology: Topology;
  readonly id: string;
  readonly placement: readonly Placed[];
  readonly program: string;
  readonly args: readonly string[];
  readonly repeats: number;
  readonly timeoutMs: number;
  readonly profile: boolean;
  readonly env: Readonly<Record<string, string>>;
  readonly oversubscribe: boolean;
}

export interface MpiRunOptions {
  readonly runner: CommandRunner;
  readonly signal?: AbortSignal;
  /** Where the clock library is kept between runs (vmpath's state folder); none: built for
   * each job. */
  readonly cacheDir?: string;
  /** Each line the ranks print, prefixed `[rank] `, and mpirun's own. */
  readonly onLine?: (line: string) => void;
}

export interface MpiRepeat {
  /** mpirun's wall time: start-up, the program, tear-down. */
  readonly wallS: number;
  /** The program's own time (MPI_Init's return to the last MPI_Finalize); null when a rank
   * did not go through the clock library (a program that never called MPI_Init, or a static
   * one). */
  readonly programS: number | null;
  /** This run's matrix (with `profile`), and its message classes under the placement. */
  readonly matrix: MatrixFile | null;
  readonly classes: Classified | null;
}

export interface MpiOutcome {
  readonly plan: JobPlan;
  readonly repeats: readonly MpiRepeat[];
  /** The last lines of each rank's output in the last run. */
  readonly tails: readonly { rank: number; lines: string[] }[];
}

/** One Open MPI job's folder: the files its agents and ranks read and write. */
interface JobDir {
  readonly dir: string;
  readonly hostfile: string;
  readonly launchAgent: string;
  readonly forkAgent: string;
  readonly clockLibrary: string;
}

/** Job folders are named vmpath-mpi-<vmpath's pid>-<random>. */
const JOB_PREFIX = 'vmpath-mpi-';
/** The file where mpirun's own PID is recorded, beside the agents'. */
const HEAD_PIDS = 'head.pids';

/** The cache of built helpers inside a vmpath state folder. */
export function mpiCacheDir(stateDir: string): string {
  return join(stateDir, '.cache');
}

/** The clock library: built with mpicc once per source, kept in `cacheDir` (a folder of
 * vmpath's state, owned by this user and written by no one else, since every rank preloads
 * it), or built into the job's folder when there is none. */
async function clockLibrary(
  runner: CommandRunner,
  dir: string,
  cacheDir?: string,
): Promise<string> {
  const hash = createHash('sha256').update(readFileSync(CLOCK_SOURCE)).digest('hex').slice(0, 16);
  const cached = cacheDir ? join(cacheDir, `libvmpath-clock-${hash}.so`) : null;
  if (cached && trusted(cached)) return cached;
  const built = join(dir, 'libvmpath-clock.so');
  await runner.run({
    argv: ['mpicc', '-shared', '-fPIC', '-O2', '-o', built, CLOCK_SOURCE],
    description: "build vmpath's MPI clock library with mpicc",
  });
  if (!cached || !cacheDir) return built;
  try {
    mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
    if (!trusted(cacheDir)) return built;
    const temporary = `${cached}.${process.pid}`;
    copyFileSync(built, temporary);
    renameSync(temporary, cached);
    return cached;
  } catch {
    return built; // a cache that cannot be written only costs the next run a build
  }
}

/** A file or folder this user owns that no one else may write. */
function trusted(path: string): boolean {
  try {
    const st = statSync(path);
    return st.uid === process.getuid?.() && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

async function prepare(runner: CommandRunner, plan: JobPlan, cacheDir?: string): Promise<JobDir> {
  const dir = mkdtempSync(join(tmpdir(), `${JOB_PREFIX}${process.pid}-`));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'hostfile'), seqHostfile(plan));
  writeFileSync(join(dir, 'launch-agent'), launchAgent(plan, dir), { mode: 0o755 });
  writeFileSync(join(dir, 'fork-agent'), forkAgent(plan, dir), { mode: 0o755 });
  return {
    dir,
    hostfile: join(dir, 'hostfile'),
    launchAgent: join(dir, 'launch-agent'),
    forkAgent: join(dir, 'fork-agent'),
    clockLibrary: await clockLibrary(runner, dir, cacheDir),
  };
}

/** The processes the agents recorded that are still the ones they started. */
export function recordedAlive(dir: string): { pid: number; name: string }[] {
  const alive: { pid: number; name: string }[] = [];
  for (const file of [HEAD_PIDS, DAEMON_PIDS, RANK_PIDS]) {
    let text = '';
    try {
      text = readFileSync(join(dir, file), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const [pid, start, name] = line.trim().split(/\s+/);
      const n = Number(pid);
      if (!line.trim() || !processAlive(n) || processStart(n) !== Number(start)) continue;
      alive.push({ pid: n, name: name ?? '' });
    }
  }
  return alive;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ends what the agents started and mpirun left: SIGTERM, then SIGKILL a second later. */
async function reap(dir: string): Promise<void> {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    const left = recordedAlive(dir);
    if (left.length === 0) return;
    for (const p of left) signalProcess(p.pid, signal);
    await sleep(signal === 'SIGTERM' ? 1000 : 100);
  }
}

/** Ends what the jobs of a vmpath killed before it could clean up left (their folders name a
 * PID that is gone), by the PIDs they recorded, and removes their folders. */
export async function reapStaleJobs(dir = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const match = new RegExp(`^${JOB_PREFIX}(\\d+)-`).exec(name);
    if (!match || processAlive(Number(match[1]))) continue;
    await reap(join(dir, name));
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** The argv of one run. */
function argvOf(job: MpiJob, plan: JobPlan, files: JobDir, run: string): string[] {
  const preload = [files.clockLibrary, job.env.LD_PRELOAD].filter(Boolean).join(':');
  const exports = Object.entries({
    ...job.env,
    LD_PRELOAD: preload,
    VMPATH_MPI_CLOCK_DIR: run,
  }).flatMap(([k, v]) => ['-x', `${k}=${v}`]);
  // Ranks beyond this machine's cores share them: a waiting rank that spins takes a core from
  // one that has work (measured on paper, 16 ranks of wavefront: 2.6 s spinning, 0.3 s yielding).
  const crowded =
    job.placement.length > cpus().length && !('OMPI_MCA_mpi_yield_when_idle' in job.env);
  const args = [
    ...jobMpirunArgs(files, job.placement.length, job.oversubscribe, crowded),
    ...exports,
    job.program,
    ...job.args,
  ];
  return headArgv(plan, job.profile ? monitoredMpirun('mpirun', args, run) : ['mpirun', ...args]);
}

/** Splits chunks into lines, calling `each` with every whole one. */
function lineSplitter(each: (line: string) => void): { push(chunk: string): void; end(): void } {
  let rest = '';
  return {
    push(chunk) {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) each(l);
    },
    end() {
      if (rest) each(rest);
      rest = '';
    },
  };
}

interface Ended {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly wallS: number;
  readonly mpirunText: string;
  readonly tails: Tails;
  readonly why: 'done' | 'timeout' | 'interrupt';
}

/** One mpirun, to its end (or to the timeout or interrupt that ends it). */
async function runOnce(
  job: MpiJob,
  argv: string[],
  options: MpiRunOptions,
  files: JobDir,
): Promise<Ended> {
  const tails = new Tails(TAIL_LINES);
  let mpirunText = '';
  const splitters = (['out', 'err'] as const).map((stream) =>
    lineSplitter((line) => {
      const t = untag(line, stream);
      if (t.rank === null) {
        if (BENIGN.test(line)) return;
        if (stream === 'err') mpirunText += `${line}\n`;
        options.onLine?.(line);
      } else {
        tails.add(t.rank, t.text);
        options.onLine?.(`[${t.rank}] ${t.text}`);
      }
    }),
  ) as [ReturnType<typeof lineSplitter>, ReturnType<typeof lineSplitter>];
  const began = process.hrtime.bigint();
  const started = options.runner.start(
    { argv, description: `the MPI program ${job.program} under mpirun` },
    { onStdout: (c) => splitters[0].push(c), onStderr: (c) => splitters[1].push(c) },
  );
  if (started.pid > 0)
    appendFileSync(
      join(files.dir, HEAD_PIDS),
      `${started.pid} ${processStart(started.pid)} mpirun\n`,
    );
  let why: Ended['why'] = 'done';
  let killer: NodeJS.Timeout | undefined;
  const stop = (reason: Ended['why']) => {
    if (why !== 'done') return;
    why = reason;
    started.kill('SIGTERM');
    killer = setTimeout(() => started.kill('SIGKILL'), GRACE_MS);
  };
  const onAbort = () => stop('interrupt');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const timer = setTimeout(() => stop('timeout'), job.timeoutMs);
  try {
    const done = await started.done;
    for (const s of splitters) s.end();
    const wallS = Number(process.hrtime.bigint() - began) / 1e9;
    return { exitCode: done.exitCode, signal: done.signal, wallS, mpirunText, tails, why };
  } finally {
    clearTimeout(timer);
    clearTimeout(killer);
    options.signal?.removeEventListener('abort', onAbort);
    await reap(files.dir);
  }
}

/** The error of a run that did not end well. */
function failureOf(job: MpiJob, plan: JobPlan, ended: Ended, signal?: AbortSignal): VmpathError {
  if (ended.why === 'interrupt')
    return signal?.reason instanceof VmpathError ? signal.reason : interrupted('SIGINT');
  if (ended.why === 'timeout')
    return new VmpathError(
      'E_APP_TIMEOUT',
      `the MPI job timed out after ${job.timeoutMs / 1000} s (--timeout); it was ended`,
    );
  const failed = rankFailure(ended.mpirunText);
  if (!failed)
    return new VmpathError(
      'E_APP_FAILED',
      `mpirun exited ${ended.exitCode ?? ended.signal}: ${mpirunMessage(ended.mpirunText) || 'no message'}`,
      { details: { exitCode: ended.exitCode } },
    );
  const where = plan.ranks[failed.rank];
  const how = failed.aborted
    ? `called MPI_Abort with error code ${failed.exitCode}`
    : failed.signal !== null
      ? `was killed by signal ${failed.signal}${failed.signalName ? ` (${failed.signalName})` : ''}`
      : `exited with code ${failed.exitCode}`;
  const last = ended.tails.of(failed.rank).slice(-3);
  return new VmpathError(
    'E_APP_FAILED',
    `rank ${failed.rank} on vm ${where?.vm ?? '?'} (host ${where?.host ?? '?'}) ${how}; Open MPI ended the job${last.length ? `; its last lines: ${last.join(' | ')}` : ''}`,
    {
      details: {
        rank: failed.rank,
        vm: where?.vm,
        exitCode: failed.exitCode,
        signal: failed.signal,
      },
    },
  );
}

function readMatrix(run: string): MatrixFile | null {
  const files = monitoringFiles(readdirSync(run)).map(({ rank, name }) => ({
    rank,
    text: readFileSync(join(run, name), 'utf8'),
  }));
  return files.length ? parseMonitoring(files) : null;
}

function readClock(run: string, ranks: number): number | null {
  const files = readdirSync(run)
    .filter((n) => /^clock\.\d+$/.test(n))
    .map((n) => readFileSync(join(run, n), 'utf8'));
  return programSeconds(files, ranks);
}

/** Runs the job `repeats` times; the first failure ends it. */
export async function runMpi(job: MpiJob, options: MpiRunOptions): Promise<MpiOutcome> {
  const plan = planJob(job.topology, job.id, job.placement);
  await reapStaleJobs();
  const files = await prepare(options.runner, plan, options.cacheDir);
  try {
    const repeats: MpiRepeat[] = [];
    let tails: Tails = new Tails(TAIL_LINES);
    for (let r = 0; r < job.repeats; r++) {
      const run = join(files.dir, `run${r}`);
      mkdirSync(run, { mode: 0o777 });
      chmodSync(run, 0o777);
      const ended = await runOnce(job, argvOf(job, plan, files, run), options, files);
      if (ended.why !== 'done' || ended.exitCode !== 0)
        throw failureOf(job, plan, ended, options.signal);
      const matrix = job.profile ? readMatrix(run) : null;
      repeats.push({
        wallS: ended.wallS,
        programS: readClock(run, plan.ranks.length),
        matrix,
        classes: matrix ? classify(job.placement, matrix.matrix) : null,
      });
      tails = ended.tails;
    }
    return {
      plan,
      repeats,
      tails: plan.ranks.map((r) => ({ rank: r.rank, lines: tails.of(r.rank) })),
    };
  } finally {
    await reap(files.dir);
    rmSync(files.dir, { recursive: true, force: true });
  }
}
