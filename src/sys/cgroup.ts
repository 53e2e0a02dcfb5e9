/**
 * CPU budgets with the kernel's CPU controller: cgroup v1's `cpu` hierarchy
 * (`cpu.cfs_quota_us` over `cpu.cfs_period_us`) or cgroup v2's `cpu.max`, whichever this
 * machine has mounted and root can write.
 *
 * vmpath's cgroups sit directly under the controller's root and are named after the testbed
 * namespace they govern, so that `vmp-<id>-` names one testbed's cgroups as it names its
 * namespaces: `vmp-<id>-<host>-dom0` (the host's privileged domain: its backend) and
 * `vmp-<id>-<host>-guests` (every process started in the host's namespace or in one of its vms'
 * namespaces). A process joins its cgroup before it enters its namespace: under
 * `ip netns exec`, /sys is the namespace's own and the cgroup files are not there.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CpuController {
  readonly version: 1 | 2;
  /** The directory vmpath's cgroups are made in. */
  readonly root: string;
}

export const CFS_PERIOD_US = 100_000;

const V1_ROOTS = ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct'];
const V2_ROOT = '/sys/fs/cgroup';

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The CPU controller vmpath can use here, or why there is none (one line, for an error).
 * The roots are parameters for tests only. */
export function cpuController(
  v1Roots: readonly string[] = V1_ROOTS,
  v2Root = V2_ROOT,
): CpuController | { readonly missing: string } {
  for (const root of v1Roots) {
    if (existsSync(join(root, 'cpu.cfs_quota_us')) || existsSync(join(root, 'cpu.cfs_period_us')))
      return writable(root)
        ? { version: 1, root }
        : { missing: `cgroup v1 cpu controller at ${root} is not writable (run as root)` };
  }
  const controllers = join(v2Root, 'cgroup.controllers');
  if (existsSync(controllers)) {
    const has = (file: string) => readFileSync(file, 'utf8').split(/\s+/).includes('cpu');
    if (!has(controllers))
      return { missing: `cgroup v2 at ${v2Root} has no cpu controller (cgroup.controllers)` };
    if (!has(join(v2Root, 'cgroup.subtree_control')))
      return {
        missing: `cgroup v2's cpu controller is not enabled for child groups; enable it with: echo +cpu > ${v2Root}/cgroup.subtree_control`,
      };
    return writable(v2Root)
      ? { version: 2, root: v2Root }
      : { missing: `cgroup v2 at ${v2Root} is not writable (run as root)` };
  }
  return { missing: 'no cgroup CPU controller is mounted (neither v1 cpu nor v2 cpu.max)' };
}

/** The files that give cgroup `dir` a budget of `cpus` cores, and what to write in them. */
export function budgetFiles(
  controller: CpuController,
  dir: string,
  cpus: number,
): { file: string; value: string }[] {
  const quota = String(Math.max(1000, Math.round(cpus * CFS_PERIOD_US)));
  return controller.version === 1
    ? [
        { file: join(dir, 'cpu.cfs_period_us'), value: String(CFS_PERIOD_US) },
        { file: join(dir, 'cpu.cfs_quota_us'), value: quota },
      ]
    : [{ file: join(dir, 'cpu.max'), value: `${quota} ${CFS_PERIOD_US}` }];
}

/** The guests' cgroup of the host a testbed namespace belongs to (`vmp-<id>-<host>[-<vm>]`). */
export function guestsCgroupName(netns: string): string | null {
  const match = /^(vmp-[a-z0-9]+-[a-z][a-z0-9_]*)(-[a-z][a-z0-9_]*)?$/.exec(netns);
  return match ? `${match[1]}-guests` : null;
}

let cached: CpuController | null | undefined;

/** The `cgroup.procs` file a process started in `netns` joins, when that cgroup exists. */
export function guestsProcsFile(netns: string): string | null {
  const name = guestsCgroupName(netns);
  if (!name) return null;
  if (cached === undefined) {
    const found = cpuController();
    cached = 'missing' in found ? null : found;
  }
  if (!cached) return null;
  const procs = join(cached.root, name, 'cgroup.procs');
  return existsSync(procs) ? procs : null;
}

/** argv that joins the cgroup of `procs` (its PID stays the command's: sh execs it). */
export function inCgroup(procs: string, argv: readonly string[]): string[] {
  return ['sh', '-c', 'echo $$ > "$0" && exec "$@"', procs, ...argv];
}

/** The CPU quota, in cores, of the cgroup this process runs in and of its ancestors (the
 * smallest), as containers and batch systems set it; null when none is set or none can be read
 * (no controller, or under `ip netns exec`, whose /sys has no cgroup files: the testbed's
 * launcher says it then, see runtime/launcher.ts). As Go's GOMAXPROCS and Java's container
 * support do, so that a rank does not count cores it may not use. `procSelf` and `roots` are
 * parameters for tests only. */
export function ownCpuQuota(
  procSelf = '/proc/self/cgroup',
  v1Roots: readonly string[] = V1_ROOTS,
  v2Root = V2_ROOT,
): number | null {
  let lines: string[];
  try {
    lines = readFileSync(procSelf, 'utf8').split('\n');
  } catch {
    return null;
  }
  let smallest: number | null = null;
  const take = (cores: number | null) => {
    if (cores !== null && cores > 0 && (smallest === null || cores < smallest)) smallest = cores;
  };
  for (const line of lines) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (path === undefined || !path.startsWith('/')) continue;
    const v1 = controllers?.split(',').includes('cpu');
    if (!v1 && controllers !== '') continue;
    const roots = v1 ? v1Roots : [v2Root];
    for (const root of roots) {
      if (!existsSync(root)) continue;
      for (let dir = path; ; dir = dir.slice(0, dir.lastIndexOf('/')) || '/') {
        take(quotaCores(v1 ? 1 : 2, join(root, dir)));
        if (dir === '/') break;
      }
      break;
    }
  }
  return smallest;
}

/** The quota of cgroup directory `dir`, in cores: null when it has none or is gone. */
export function quotaCores(version: 1 | 2, dir: string): number | null {
  try {
    if (version === 1) {
      const quota = Number(readFileSync(join(dir, 'cpu.cfs_quota_us'), 'utf8'));
      const period = Number(readFileSync(join(dir, 'cpu.cfs_period_us'), 'utf8'));
      return quota > 0 && period > 0 ? quota / period : null;
    }
    const [quota, period] = readFileSync(join(dir, 'cpu.max'), 'utf8').trim().split(' ');
    return quota === 'max' || !(Number(period) > 0) ? null : Number(quota) / Number(period);
  } catch {
    return null;
  }
}
