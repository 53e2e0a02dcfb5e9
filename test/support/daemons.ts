/**
 * Long-lived daemons that test helpers start inside a testbed (sshd, slurmd, slurmctld,
 * munged), each owned by the PID the runner hands back and ended by that PID only.
 *
 * A machine daemon runs as a real machine would run it: in the machine's network namespace,
 * under the machine's host name (a UTS namespace of its own) and in a process space of its own
 * (a PID namespace, with /proc mounted for it). The runner's PID is unshare's; its one child is
 * INIT below, which starts the daemon, reaps orphans and passes SIGTERM on. Whatever the daemon
 * starts (ssh sessions and their children, slurmstepd and job tasks, even a process that
 * detaches with setsid) stays in that process space, and the kernel kills all of it when INIT
 * ends: stopping the daemon leaves nothing behind. unshare's --kill-child ends INIT when
 * unshare is killed, and setpriv's parent-death signal kills unshare when this test process
 * dies, even by SIGKILL. Nothing here looks for processes by name or pattern.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from '../../src/sys/command.js';
import type { CommandRunner, Started } from '../../src/sys/runner.js';
import { signalProcess } from '../../src/sys/tools.js';
import { endpointsOf } from '../../src/testbed/nodes.js';
import { slotsOf } from '../../src/topology/query.js';
import type { Topology } from '../../src/topology/types.js';

/** A machine of a testbed that services run on: a vm, or a native host. */
export interface Machine {
  readonly name: string;
  readonly netns: string;
  readonly address: string;
  /** vCPUs (a native host's: the sum of its vms'). */
  readonly slots: number;
}

/** The machines of testbed `id`, in topology order (testbed/nodes.ts endpointsOf). */
export function machinesOf(topology: Topology, id: string): Machine[] {
  return endpointsOf(topology, id).map((node) => {
    const host = topology.hosts.find((h) => h.name === node.host);
    const vm = host?.vms.find((v) => v.name === node.name);
    if (!host || !node.address) throw new Error(`testbed ${id}: ${node.name} has no address`);
    return {
      name: node.name,
      netns: node.netns,
      address: node.address,
      slots: vm ? vm.slots : slotsOf(host),
    };
  });
}

/** The init of a machine's process space: `$1` is the host name, `$2` a home folder to give an
 * empty tmpfs of its own (or nothing), the rest the daemon's argv. As PID 1 it reaps every
 * orphan (sh's wait collects any child) and must trap SIGTERM to receive it at all; when the
 * daemon ends, it ends with the daemon's status. One line, so that ps shows it on one. */
const INIT =
  'hostname "$1" || exit 125; ' +
  'if [ -n "$2" ]; then mount -t tmpfs -o mode=700 vmpath-home "$2" || exit 125; fi; shift 2; ' +
  '"$@" & daemon=$!; ' +
  `trap 'kill -TERM "$daemon"' TERM; ` +
  'while :; do wait "$daemon"; status=$?; kill -0 "$daemon" 2>/dev/null || exit "$status"; done';

/** argv that runs `argv` and dies with this test process, even when that is SIGKILLed: the
 * parent-death signal (prctl PR_SET_PDEATHSIG) survives exec, and the runner's child is ours. */
export function tiedToUs(argv: readonly string[]): string[] {
  return ['setpriv', '--pdeathsig', 'KILL', ...argv];
}

/** argv that runs `argv` as the daemon of a machine called `hostname` (see the top); with
 * `home`, that folder is empty in the machine (its own mount namespace), as on a fresh vm:
 * this machine's dotfiles (a shell's rc files) are not the vm's. */
export function asMachine(
  hostname: string,
  argv: readonly string[],
  home: string | null = null,
): string[] {
  return tiedToUs([
    'unshare',
    '--uts',
    '--pid',
    '--fork',
    '--mount-proc',
    '--kill-child',
    'sh',
    '-c',
    INIT,
    'vmpath-init',
    hostname,
    home ?? '',
    ...argv,
  ]);
}

/** A started daemon. */
export interface Daemon {
  /** Says what and where, for messages: `sshd on node2`. */
  readonly name: string;
  readonly pid: number;
  /** Resolves once it has ended (never rejects; see exit()). */
  readonly done: Promise<void>;
  ended(): boolean;
  /** Its exit code or signal once ended, for messages. */
  exit(): string;
  /** The last few KiB it wrote to standard error. */
  stderr(): string;
  /** SIGTERM, up to `graceMs` for it to end, then SIGKILL; resolves once it has ended. */
  stop(graceMs?: number): Promise<void>;
}

const STDERR_KEEP = 8192;
const GRACE_MS = 1000;
/** How long an ended process may take to close its pipes before stop() gives up. */
const CLOSE_MS = 10_000;

/** What this process started and has not stopped yet: the 'exit' fallback's list. */
const running = new Set<Started>();
process.on('exit', () => {
  // A test cut short: SIGKILL each PID started here (unshare's --kill-child takes the rest).
  for (const started of running) started.kill('SIGKILL');
});

/** The PIDs whose parent is `pid` now (from /proc; this kernel has no /proc/PID/children). */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4, the parent's PID, comes after the command name, which is in parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // ended while we looked
    }
  }
  return children;
}

/** Starts `command` and owns it. With `machine`, argv was built by asMachine: stop() sends
 * SIGTERM to its INIT (unshare itself ignores SIGTERM). */
export function startDaemon(
  runner: CommandRunner,
  command: Command,
  options: { machine?: boolean } = {},
): Daemon {
  let tail = '';
  let exit = '';
  const started = runner.start(command, {
    collect: false,
    onStderr: (chunk) => {
      tail = (tail + chunk).slice(-STDERR_KEEP);
    },
  });
  running.add(started);
  let ended = false;
  const done = started.done.then(
    (result) => {
      exit = result.signal ? `signal ${result.signal}` : `exit code ${result.exitCode}`;
    },
    (error: Error) => {
      exit = error.message;
    },
  );
  void done.finally(() => {
    ended = true;
    running.delete(started);
  });
  const finished = (ms: number) => Promise.race([done.then(() => true), sleep(ms, false)]);
  return {
    name: command.description,
    pid: started.pid,
    done,
    ended: () => ended,
    exit: () => exit,
    stderr: () => tail,
    async stop(graceMs = GRACE_MS) {
      if (ended) return;
      const init = options.machine ? childrenOf(started.pid)[0] : undefined;
      if (init !== undefined) signalProcess(init, 'SIGTERM');
      else started.kill('SIGTERM');
      if (await finished(graceMs)) return;
      started.kill('SIGKILL');
      if (!(await finished(CLOSE_MS)))
        throw new Error(`${command.description}: PID ${started.pid} still running after SIGKILL`);
    },
  };
}

/** Polls `check` (true when ready, else why not yet) every `intervalMs` until it passes, one
 * of `daemons` ends (an error with its standard error) or `timeoutMs` passes (an error with
 * the last reason and the daemons' standard error and `logs`). */
export async function waitUntil(
  what: string,
  check: () => Promise<true | string>,
  options: {
    timeoutMs: number;
    daemons: readonly Daemon[];
    intervalMs?: number;
    logs?: () => string;
  },
): Promise<void> {
  const deadline = performance.now() + options.timeoutMs;
  let reason = 'not checked yet';
  for (;;) {
    const dead = options.daemons.find((d) => d.ended());
    if (dead)
      throw new Error(`${dead.name} ended (${dead.exit()}) before ${what}${report([dead])}`);
    const result = await check();
    if (result === true) return;
    reason = result;
    if (performance.now() > deadline) {
      const logs = options.logs?.() ?? '';
      throw new Error(
        `${what}: not within ${options.timeoutMs} ms; last: ${reason}${report(options.daemons)}${logs}`,
      );
    }
    await sleep(options.intervalMs ?? 100);
  }
}

/** Each daemon's standard error under a heading, for an error message. */
function report(daemons: readonly Daemon[]): string {
  return daemons
    .filter((d) => d.stderr().trim())
    .map((d) => `\n--- ${d.name} (stderr):\n${d.stderr().trimEnd()}`)
    .join('');
}

/** The last `bytes` of a log file, headed by its path, or '' if it is missing. */
export function logTail(file: string, bytes = 4096): string {
  try {
    return `\n--- ${file}:\n${readFileSync(file, 'utf8').slice(-bytes).trimEnd()}`;
  } catch {
    return '';
  }
}
