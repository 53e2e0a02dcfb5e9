/**
 * Launchers: how a process reaches the machine it must run on (DESIGN.md 5). One interface,
 * three implementations: the emulated testbed (enter the node's namespace), ssh (a session on
 * the node, with the inventory's key and known hosts) and Slurm (a job step of the allocation
 * vmpath runs in). Bench servers and clients, runtime ranks and Open MPI programs all start
 * through one, so that every measuring command runs the same on a testbed and on a cluster.
 *
 * A launcher turns "this argv on that node, with these variables" into a local command and
 * what to write on its standard input; `startOn` and `runOn` give it to the runner. Ending the
 * local process ends the remote one: over ssh a small shell on the node watches the session's
 * input and ends its command when the session goes (ssh itself leaves it running).
 */
import { VmpathError } from '../core/errors.js';
import { DIES_WITH_VMPATH, inNetns } from '../sys/command.js';
import type {
  CommandResult,
  CommandRunner,
  RunOptions,
  Started,
  StartOptions,
} from '../sys/runner.js';
import type { TestbedNode } from '../testbed/nodes.js';
import type { SshAccess } from './inventory.js';
import { SshMasters } from './ssh-masters.js';

/** A node's local command: its argv, the variables to add to it, its first input line. */
export interface Placed {
  readonly argv: string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Written to standard input, which then stays open (over ssh: the remote side's lifeline). */
  readonly stdin?: string;
}

export interface Launcher {
  readonly kind: 'netns' | 'ssh' | 'slurm';
  /** Before many processes start on `nodes` (a job's ranks): what makes starting them cheaper
   * (ssh: a shared connection per node), and the function that ends it. */
  prepare?(runner: CommandRunner, nodes: readonly TestbedNode[]): Promise<() => Promise<void>>;
  /** How `argv` runs on `node`, with `env` added to its environment; `withInput` when the
   * command's input ends (`runOn`) and it then runs to its own end, rather than until vmpath
   * ends it or goes away. */
  place(
    node: TestbedNode,
    argv: readonly string[],
    env?: Readonly<Record<string, string>>,
    withInput?: boolean,
  ): Placed;
}

/** The emulated testbed's: `ip netns exec` into the node's namespace (under its host's CPU
 * budget, when there is one). */
export const NETNS_LAUNCHER: Launcher = {
  kind: 'netns',
  place: (node, argv, env) => ({ argv: inNetns(node.netns, argv), ...(env ? { env } : {}) }),
};

/** Starts `argv` on `node` through `launcher`. */
export function startOn(
  runner: CommandRunner,
  launcher: Launcher,
  node: TestbedNode,
  command: { argv: readonly string[]; description: string },
  options: StartOptions = {},
): Started {
  const placed = launcher.place(node, command.argv, options.env);
  return runner.start(
    {
      argv: placed.argv,
      ...(launcher.kind === 'netns' ? { netns: node.netns } : {}),
      description: command.description,
    },
    {
      ...options,
      ...(placed.env ? { env: placed.env } : {}),
      ...(placed.stdin !== undefined ? { stdinLine: placed.stdin } : {}),
    },
  );
}

/** Runs `argv` on `node` through `launcher` to its end (see CommandRunner.run). */
export function runOn(
  runner: CommandRunner,
  launcher: Launcher,
  node: TestbedNode,
  command: { argv: readonly string[]; description: string },
  options: RunOptions & { env?: Readonly<Record<string, string>> } = {},
): Promise<CommandResult> {
  // Its input ends (the runner closes it): the command reads it all and runs to its end.
  const placed = launcher.place(node, command.argv, options.env, true);
  return runner.run(
    {
      argv: placed.argv,
      ...(launcher.kind === 'netns' ? { netns: node.netns } : {}),
      description: command.description,
    },
    {
      ...options,
      ...(placed.env ? { env: placed.env } : {}),
      ...(placed.stdin !== undefined || options.input !== undefined
        ? { input: `${placed.stdin ?? ''}${options.input ?? ''}` }
        : {}),
    },
  );
}

/** A word quoted for a POSIX shell. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/** What runs on the node at the far end of an ssh session: it reads one line (the variables
 * and the folder, as shell words: nothing secret in any argv), starts the command with the
 * session's input (which stays open, as vmpath's own children's does), and ends it when that
 * input closes (vmpath, or its ssh, went away) or on a signal; it exits as the command did. */
export const REMOTE_SHELL = [
  'IFS= read -r vmpath_setup || exit 125',
  'eval "$vmpath_setup"',
  'exec 3<&0',
  // A process group of its own (setsid), so that ending it ends whatever it started too.
  'setsid -w "$@" <&3 & c=$!',
  'end() { kill -TERM -- -$c 2>/dev/null || kill -TERM $c 2>/dev/null; sleep 2; kill -KILL -- -$c 2>/dev/null; }',
  '{ while IFS= read -r _; do :; done <&3; end; } & w=$!',
  "trap 'end' TERM HUP INT",
  'wait $c; s=$?',
  'kill $w 2>/dev/null',
  'exit $s',
].join('\n');

/** The same for a command that reads an input to its end (a file copied over): it gets the
 * rest of the session's input, and no watch. */
export const REMOTE_SHELL_WITH_INPUT = [
  'IFS= read -r vmpath_setup || exit 125',
  'eval "$vmpath_setup"',
  'exec "$@"',
].join('\n');

/** ssh's options: the inventory's key and known hosts only (no ~/.ssh, no user config), never
 * a prompt. */
export function sshOptions(access: SshAccess): string[] {
  return [
    '-F',
    'none',
    '-T',
    '-p',
    String(access.port),
    '-i',
    access.identityFile,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${access.knownHosts}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=10',
    '-o',
    'ServerAliveInterval=15',
    '-o',
    'LogLevel=ERROR',
  ];
}

/** The address ssh reaches a node at: the vm's own, or its host's for a native host. */
function addressOf(node: TestbedNode): string {
  if (!node.address)
    throw new VmpathError(
      'E_CLUSTER_INVALID',
      `address: got none for node ${node.name}; allowed: an IPv4 address to reach it at`,
    );
  return node.address;
}

/** The ssh launcher over `access` (by host name), starting commands in `cwd` on the node. */
export function sshLauncher(
  access: Readonly<Record<string, SshAccess>>,
  cwd: string = process.cwd(),
): Launcher {
  const masters = new SshMasters();
  const reach = (node: TestbedNode) => {
    const how = access[node.host ?? node.name];
    if (!how)
      throw new VmpathError(
        'E_CLUSTER_INVALID',
        `hosts: got no ssh settings for host ${node.host ?? node.name}; allowed: an inventory whose hosts all have ssh settings`,
      );
    return { how, destination: `${how.user}@${addressOf(node)}` };
  };
  return {
    kind: 'ssh',
    prepare(runner, nodes) {
      const destinations = new Map<string, string[]>();
      for (const node of nodes) {
        const { how, destination } = reach(node);
        destinations.set(destination, sshOptions(how));
      }
      return masters.open(runner, destinations);
    },
    place(node, argv, env = {}, withInput = false) {
      const { how, destination } = reach(node);
      const broken = Object.entries(env).find(([, v]) => /[\n\r]/.test(v));
      if (broken)
        throw new VmpathError(
          'E_CLI_USAGE',
          `--env: ${broken[0]}'s value has a line break; allowed on a cluster: values of one line`,
          { details: { field: '--env', value: broken[0] } },
        );
      const exports = Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`);
      const setup = `${exports.length ? `export ${exports.join(' ')}; ` : ''}cd ${shellQuote(cwd)} 2>/dev/null || cd`;
      const shell = withInput ? REMOTE_SHELL_WITH_INPUT : REMOTE_SHELL;
      const remote = ['exec', 'sh', '-c', shell, 'vmpath', ...argv].map(shellQuote);
      return {
        argv: [
          'ssh',
          ...sshOptions(how),
          ...masters.optionsFor(destination),
          destination,
          remote.join(' '),
        ],
        stdin: `${setup}\n`,
      };
    },
  };
}

/** The Slurm launcher: each command is a job step of the allocation vmpath runs in, on the
 * node of that name, sharing the node with the job's other steps. */
export function slurmLauncher(
  env: NodeJS.ProcessEnv,
  hint: { partition: string | null; nodes: readonly string[] } = { partition: null, nodes: [] },
): Launcher {
  requireAllocation(env, hint);
  return {
    kind: 'slurm',
    place: (node, argv, added) => ({
      argv: [...srunStep(slurmName(node)), ...argv],
      ...(added ? { env: added } : {}),
    }),
  };
}

/** srun for one task on `node`: a step that overlaps the others (a bench server and its client
 * run at once), with Slurm's own messages held back. srun forwards its input to the task, so
 * that a task watching its input (a bench server) ends when vmpath goes away. */
export function srunStep(node: string): string[] {
  return [
    ...DIES_WITH_VMPATH,
    'srun',
    '--nodes=1',
    '--ntasks=1',
    `--nodelist=${node}`,
    '--overlap',
    '--export=ALL',
    '--quiet',
    '--kill-on-bad-exit=1',
  ];
}

/** A node's name under Slurm: a vm's own, a native host's (its "vms" are its slots). */
export function slurmName(node: TestbedNode): string {
  return node.datapath === 'native' && node.host ? node.host : node.name;
}

/** The allocation's id, or an error saying how to get one. */
export function requireAllocation(
  env: NodeJS.ProcessEnv,
  hint: { partition: string | null; nodes: readonly string[] } = { partition: null, nodes: [] },
): string {
  const job = env.SLURM_JOB_ID ?? env.SLURM_JOBID;
  if (!job) {
    const salloc = [
      'salloc',
      ...(hint.partition ? ['-p', hint.partition] : []),
      '-w',
      hint.nodes.join(',') || 'NODES',
      'vmpath ...',
    ].join(' ');
    throw new VmpathError(
      'E_CLUSTER_LAUNCHER',
      `--cluster: this inventory reaches its nodes through Slurm, and vmpath runs outside an allocation (no SLURM_JOB_ID); allowed: run vmpath inside one, e.g. \`${salloc}\` or from an sbatch script`,
      { details: { field: '--cluster' } },
    );
  }
  return job;
}
