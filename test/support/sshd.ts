/**
 * A real OpenSSH server in every machine of a built testbed, for the ssh launcher's tests.
 *
 * Everything lives in one fresh temporary folder: one client key, one host key (shared by all
 * machines), authorized_keys, a known_hosts that lists that host key for every machine's
 * address, and one sshd config per machine. Each sshd listens on its machine's testbed address
 * only, port 22, inside the machine's network namespace, under the machine's name and in a
 * process space of its own with an empty home folder (daemons.ts), so that a command reached
 * over ssh sees what it would see on a real vm: its own host name, address and processes, and
 * no dotfiles of this machine (a heavy ~/.bashrc here would run in every session). Nothing is read from or written
 * to /etc/ssh or ~/.ssh: the client options in `sshArgs` bypass both.
 *
 * One thing lives outside the folder: sshd insists on its privilege-separation directory
 * /run/sshd (compiled in; the preauth child chroots there). It is created, empty and root's,
 * when missing, as Debian's own ssh service does, and left in place.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { inNetns } from '../../src/sys/command.js';
import type { CommandRunner } from '../../src/sys/runner.js';
import type { Topology } from '../../src/topology/types.js';
import {
  asMachine,
  type Daemon,
  type Machine,
  machinesOf,
  startDaemon,
  waitUntil,
} from './daemons.js';
import { tempDir } from './temp.js';

export const SSHD = '/usr/sbin/sshd';
const PRIVSEP_DIR = '/run/sshd';

export interface SshdOptions {
  /** Variables every session gets (sshd's SetEnv), e.g. a PATH that holds node. */
  readonly sessionEnv?: Readonly<Record<string, string>>;
  /** How long every sshd has to accept a first ssh connection; default 30 s. */
  readonly readyTimeoutMs?: number;
}

/** The running servers and what a client needs to reach them. */
export interface SshService {
  readonly dir: string;
  /** The client's private key. */
  readonly identityFile: string;
  readonly knownHosts: string;
  readonly user: 'root';
  readonly port: 22;
  /** ssh's options: this key only, this known_hosts only, strict, never a prompt, no
   * ~/.ssh/config. Usable as Open MPI's plm_rsh_agent after 'ssh' (no spaces in them). */
  readonly sshArgs: readonly string[];
  readonly machines: readonly Machine[];
  /** The PIDs it started and owns, one per machine (unshare's: see daemons.ts). */
  readonly pids: readonly number[];
  /** argv of `ssh ... root@ADDRESS REMOTE...`, to run inside some machine's namespace. The
   * remote side joins REMOTE with spaces and hands it to root's shell: quote for that shell. */
  sshArgv(address: string, remote: readonly string[]): string[];
  /** Ends every sshd and everything its sessions started, then removes the folder. */
  stop(): Promise<void>;
}

/** One machine's sshd_config. MaxStartups (unauthenticated connections at once) and
 * MaxSessions (sessions per connection) leave room for 32 parallel sessions and more. */
export function sshdConfig(p: {
  address: string;
  hostKey: string;
  authorizedKeys: string;
  pidFile: string;
  sessionEnv?: Readonly<Record<string, string>>;
}): string {
  const setEnv = Object.entries(p.sessionEnv ?? {}).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || /["\n]/.test(value))
      throw new Error(`sessionEnv: ${JSON.stringify(name)} cannot be passed through SetEnv`);
    return `SetEnv "${name}=${value}"`;
  });
  return [
    `ListenAddress ${p.address}`,
    'Port 22',
    `HostKey ${p.hostKey}`,
    `AuthorizedKeysFile ${p.authorizedKeys}`,
    `PidFile ${p.pidFile}`,
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    // The folder is a temporary one, not root's home: skip sshd's ownership checks.
    'StrictModes no',
    'MaxStartups 128',
    'MaxSessions 64',
    'PrintMotd no',
    'X11Forwarding no',
    // No AcceptEnv: a session's environment is sshd's, plus SetEnv.
    ...setEnv,
    // scp (which speaks sftp since OpenSSH 9) without a separate binary.
    'Subsystem sftp internal-sftp',
    'LogLevel ERROR',
    '',
  ].join('\n');
}

/** Starts sshd in every machine of testbed `id` (built by `up`) and waits until each accepts
 * an ssh connection from the first machine. On any failure, stops what it started. */
export async function startSshd(
  env: { readonly runner: CommandRunner },
  topology: Topology,
  id: string,
  options: SshdOptions = {},
): Promise<SshService> {
  const machines = machinesOf(topology, id);
  const first = machines[0];
  if (!first) throw new Error(`testbed ${id} has no machine to run sshd on`);
  const dir = tempDir('vmpath-sshd-');
  const identityFile = join(dir, 'client_ed25519');
  const hostKey = join(dir, 'host_ed25519');
  const knownHosts = join(dir, 'known_hosts');
  const authorizedKeys = join(dir, 'authorized_keys');
  await keygen(env.runner, identityFile, 'vmpath-test-client');
  await keygen(env.runner, hostKey, 'vmpath-test-host');
  writeFileSync(authorizedKeys, readFileSync(`${identityFile}.pub`));
  const hostPublic = readFileSync(`${hostKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
  writeFileSync(knownHosts, machines.map((m) => `${m.address} ${hostPublic}\n`).join(''));
  mkdirSync(PRIVSEP_DIR, { recursive: true, mode: 0o755 });

  const sshArgs = [
    ...['-F', 'none', '-i', identityFile, '-o', 'IdentitiesOnly=yes'],
    ...['-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null'],
    ...['-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR'],
  ];
  const sshArgv = (address: string, remote: readonly string[]) => [
    'ssh',
    ...sshArgs,
    `root@${address}`,
    '--',
    ...remote,
  ];
  const daemons: Daemon[] = [];
  const stop = async () => {
    await Promise.all(daemons.map((d) => d.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const m of machines) {
      const config = join(dir, `sshd_config-${m.name}`);
      const pidFile = join(dir, `sshd-${m.name}.pid`);
      const { sessionEnv } = options;
      writeFileSync(
        config,
        sshdConfig({ address: m.address, hostKey, authorizedKeys, pidFile, sessionEnv }),
      );
      const argv = inNetns(m.netns, asMachine(m.name, [SSHD, '-D', '-e', '-f', config], homedir()));
      daemons.push(
        startDaemon(
          env.runner,
          { argv, netns: m.netns, description: `sshd on ${m.name}` },
          { machine: true },
        ),
      );
    }
    await Promise.all(
      machines.map((m, i) => {
        const daemon = daemons[i] as Daemon;
        return waitUntil(
          `sshd on ${m.name} (${m.address}) accepting ssh from ${first.name}`,
          () => sshOnce(env.runner, first.netns, [...sshArgs, '-o', 'ConnectTimeout=5'], m.address),
          { timeoutMs: options.readyTimeoutMs ?? 30_000, daemons: [daemon] },
        );
      }),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    dir,
    identityFile,
    knownHosts,
    user: 'root',
    port: 22,
    sshArgs,
    machines,
    pids: daemons.map((d) => d.pid),
    sshArgv,
    stop,
  };
}

async function keygen(runner: CommandRunner, file: string, comment: string): Promise<void> {
  await runner.run({
    argv: ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file],
    description: `ssh key ${file}`,
  });
}

/** One `ssh root@ADDRESS true` from `netns`: true, or why it failed. */
async function sshOnce(
  runner: CommandRunner,
  netns: string,
  sshArgs: readonly string[],
  address: string,
): Promise<true | string> {
  const argv = inNetns(netns, ['ssh', ...sshArgs, `root@${address}`, 'true']);
  const result = await runner.run(
    { argv, netns, description: `ssh probe of ${address}` },
    { allowFailure: true, timeoutMs: 20_000 },
  );
  return result.exitCode === 0 || `ssh exit ${result.exitCode}: ${result.stderr.trim()}`;
}
