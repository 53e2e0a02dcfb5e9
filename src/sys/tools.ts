/**
 * Finding external programs and the rights to use them, before anything is created.
 */
import { accessSync, constants, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

/** The absolute path of `name` on `searchPath` (a PATH value), or null; a name with a slash is
 * a path of its own, as a shell takes it. */
export function findExecutable(name: string, searchPath: string | undefined): string | null {
  if (name.includes('/')) {
    try {
      accessSync(name, constants.X_OK);
      return statSync(name).isFile() ? resolve(name) : null;
    } catch {
      return null;
    }
  }
  for (const dir of (searchPath ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return null;
}

/** True when this process runs as root (needed for namespaces). */
export function isRoot(): boolean {
  return typeof process.geteuid === 'function' && process.geteuid() === 0;
}

/** True if a process with this PID exists now. Only positive PIDs name one process (kill(2)
 * reads 0 and negative numbers as process groups), so anything else is never alive. */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a running process (Linux /proc), or null if it is gone. */
export function processCmdline(pid: number): string[] | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((part) => part.length > 0);
  } catch {
    return null;
  }
}

/** When a running process started, in clock ticks since boot (/proc/PID/stat field 22), or
 * null if it is gone (a zombie is: it has ended and only waits for its parent to reap it): with
 * its PID, it names one process even after the PID is reused. */
export function processStart(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return null;
    const start = Number(fields[19]);
    return Number.isFinite(start) ? start : null;
  } catch {
    return null;
  }
}

/** Sends `signal` to the one process `pid` (never a group: pid must be positive). */
export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  if (!Number.isInteger(pid) || pid <= 0) throw new RangeError(`not a single process: ${pid}`);
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Processes running inside each of the named network namespaces (files under `runDir`, as
 * iproute2 keeps them): a process is inside when /proc/PID/ns/net is that namespace's inode. */
export function processesInNetns(
  names: readonly string[],
  runDir = '/run/netns',
): { netns: string; pid: number; command: string }[] {
  const byInode = new Map<number, string>();
  for (const name of names) {
    try {
      byInode.set(statSync(`${runDir}/${name}`).ino, name);
    } catch {
      // already gone
    }
  }
  if (byInode.size === 0) return [];
  const found: { netns: string; pid: number; command: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const inode = Number(/net:\[(\d+)\]/.exec(readlinkSync(`/proc/${entry}/ns/net`))?.[1]);
      const netns = byInode.get(inode);
      if (netns)
        found.push({
          netns,
          pid: Number(entry),
          command: (processCmdline(Number(entry)) ?? []).join(' '),
        });
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}
