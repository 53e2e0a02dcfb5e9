/**
 * An Open MPI job's folder (vmpath run mpi): the hostfile and the two agents
 * (runtime/openmpi-job.ts), the clock library the ranks preload (built once per source into
 * vmpath's state folder), and the processes the agents recorded there, which are ended by PID
 * when mpirun leaves any, and when a vmpath was killed before it could (reapStaleJobs).
 */

import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DAEMON_PIDS,
  forkAgent,
  HEAD_NAME,
  type JobPlan,
  launchAgent,
  RANK_PIDS,
  seqHostfile,
} from '../runtime/openmpi-job.js';
import { guestsProcsFile } from '../sys/cgroup.js';
import type { CommandRunner } from '../sys/runner.js';
import { staleFolders } from '../sys/stale.js';
import { processAlive, processStart, signalProcess } from '../sys/tools.js';

const CLOCK_SOURCE = fileURLToPath(new URL('../../../apps/mpi-clock/clock.c', import.meta.url));

/** One Open MPI job's folder: the files its agents and ranks read and write. */
export interface JobDir {
  readonly dir: string;
  readonly hostfile: string;
  readonly launchAgent: string;
  readonly forkAgent: string;
  readonly clockLibrary: string;
}

/** Job folders are named vmpath-mpi-<vmpath's pid>-<random>. */
const JOB_PREFIX = 'vmpath-mpi-';
/** The file where mpirun's own PID is recorded, beside the agents'. */
export const HEAD_PIDS = 'head.pids';

/** The cache of built helpers inside a vmpath state folder. */
export function mpiCacheDir(stateDir: string): string {
  return join(stateDir, '.cache');
}

/** The clock library, in the job's folder: a copy of the one built with mpicc once per source
 * and Open MPI (its wrapper's version), kept in `cacheDir` (a folder of vmpath's state, owned
 * by this user and written by no one else, since every rank preloads it); built there when
 * there is no cache. The ranks preload the job's copy, which no one else can replace. */
async function clockLibrary(
  runner: CommandRunner,
  dir: string,
  cacheDir?: string,
): Promise<string> {
  const built = join(dir, 'libvmpath-clock.so');
  let cached: string | null = null;
  if (cacheDir) {
    const version = await runner.run(
      { argv: ['mpicc', '--showme:version'], description: 'the version of mpicc' },
      { allowFailure: true },
    );
    const hash = createHash('sha256')
      .update(readFileSync(CLOCK_SOURCE))
      .update(version.stdout + version.stderr)
      .digest('hex')
      .slice(0, 16);
    cached = join(cacheDir, `libvmpath-clock-${hash}.so`);
    if (trusted(cacheDir, 'dir') && trusted(cached)) {
      copyFileSync(cached, built);
      return built;
    }
  }
  await runner.run({
    argv: ['mpicc', '-shared', '-fPIC', '-O2', '-o', built, CLOCK_SOURCE],
    description: "build vmpath's MPI clock library with mpicc",
  });
  if (!cached || !cacheDir) return built;
  try {
    mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
    if (!trusted(cacheDir, 'dir')) return built;
    const temporary = `${cached}.${process.pid}`;
    copyFileSync(built, temporary);
    renameSync(temporary, cached);
  } catch {
    // a cache that cannot be written only costs the next run a build
  }
  return built;
}

/** A file or folder this user owns that no one else may write. */
function trusted(path: string, kind: 'file' | 'dir' = 'file'): boolean {
  try {
    const st = lstatSync(path);
    const shape = kind === 'dir' ? st.isDirectory() : st.isFile();
    return shape && st.uid === process.getuid?.() && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

export async function prepare(
  runner: CommandRunner,
  plan: JobPlan,
  cacheDir?: string,
): Promise<JobDir> {
  // Readable by the ranks and daemons, writable by this user only: nothing in it can be
  // replaced or planted (a symlink where a rank writes its clock) by anyone else.
  const dir = mkdtempSync(join(tmpdir(), `${JOB_PREFIX}${process.pid}-`));
  try {
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'hostfile'), seqHostfile(plan));
    writeFileSync(join(dir, 'launch-agent'), launchAgent(plan, dir, guestsProcsFile), {
      mode: 0o755,
    });
    writeFileSync(join(dir, 'fork-agent'), forkAgent(plan, dir), { mode: 0o755 });
    return {
      dir,
      hostfile: join(dir, 'hostfile'),
      launchAgent: join(dir, 'launch-agent'),
      forkAgent: join(dir, 'fork-agent'),
      clockLibrary: await clockLibrary(runner, dir, cacheDir),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The processes recorded in the job folder's `file` (`PID START NAME` lines), and whether each
 * still runs as the one recorded (the same PID and start time). */
function recorded(dir: string, file: string): { pid: number; name: string; alive: boolean }[] {
  let text = '';
  try {
    text = readFileSync(join(dir, file), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([pid]) => Number.isInteger(Number(pid)) && Number(pid) > 0)
    .map(([pid, start, name]) => {
      const n = Number(pid);
      return {
        pid: n,
        name: name ?? '',
        alive: processAlive(n) && processStart(n) === Number(start),
      };
    });
}

/** The processes the agents recorded that are still the ones they started. */
export function recordedAlive(dir: string): { pid: number; name: string }[] {
  return [HEAD_PIDS, DAEMON_PIDS, RANK_PIDS]
    .flatMap((file) => recorded(dir, file))
    .filter((p) => p.alive)
    .map(({ pid, name }) => ({ pid, name }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ends what the agents started and mpirun left, and removes the session folder of an mpirun
 * that could not. */
export async function reap(dir: string): Promise<void> {
  await endRecorded(dir);
  removeSessionFolders(dir);
}

/** SIGTERM, then SIGKILL to what is still there a second later. When anything was left, it
 * keeps watching until the records have been quiet for 200 ms (3 s at most): a daemon ended
 * while it was starting a rank leaves a fork agent that records that rank a moment later. */
async function endRecorded(dir: string): Promise<void> {
  const signalled = new Map<number, number>();
  const began = Date.now();
  let quietSince = Date.now();
  for (;;) {
    const left = recordedAlive(dir);
    const now = Date.now();
    if (left.length === 0 && (signalled.size === 0 || now - quietSince >= 200)) return;
    if (left.length > 0) quietSince = now;
    for (const p of left) {
      const first = signalled.get(p.pid);
      if (first === undefined) signalled.set(p.pid, now);
      signalProcess(p.pid, first !== undefined && now - first >= 1000 ? 'SIGKILL' : 'SIGTERM');
    }
    if (now - began >= 3000) return;
    await sleep(20);
  }
}

/** Open MPI's session folder of each recorded mpirun that is gone (one killed outright cannot
 * remove its own): <temporary folder>/ompi.<its host name>.<uid>/pid.<its PID>, under the head's
 * name on a testbed and this machine's on a cluster. The folder above stays: another mpirun of
 * this user may be making its own in it. */
function removeSessionFolders(dir: string): void {
  const uid = process.getuid?.() ?? 0;
  for (const { pid, alive } of recorded(dir, HEAD_PIDS)) {
    if (alive) continue;
    for (const host of new Set([HEAD_NAME, hostname()]))
      rmSync(join(tmpdir(), `ompi.${host}.${uid}`, `pid.${pid}`), { recursive: true, force: true });
  }
}

/** Ends what the jobs of a vmpath killed before it could clean up left (their folders name a
 * PID that is gone), by the PIDs they recorded, and removes their folders. */
export async function reapStaleJobs(dir = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  for (const name of staleFolders(JOB_PREFIX, dir)) {
    // Only a folder vmpath made (this user's, that no one else may write): another user's
    // folder of that name could name any PID.
    if (!trusted(join(dir, name), 'dir')) continue;
    await reap(join(dir, name));
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
