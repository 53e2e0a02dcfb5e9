/**
 * ssh connection sharing for one job: before a job starts many sessions on the same nodes (a
 * rank each), one master connection per node (`ssh -M`, OpenSSH's ControlMaster), owned by
 * vmpath and ended by PID when the job ends; each session then runs over its node's master
 * instead of a handshake of its own. Nothing outlives the job: no ControlPersist.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIES_WITH_VMPATH } from '../sys/command.js';
import type { CommandRunner, Started } from '../sys/runner.js';
import { removeStaleFolders } from '../sys/stale.js';

/** The masters' sockets' folder: vmpath-ssh-<vmpath's PID>-<random>, one a job. */
export const SSH_PREFIX = 'vmpath-ssh-';

/** How long a master has to be ready before sessions go without it. */
const READY_MS = 10_000;

export class SshMasters {
  /** The control socket of each node's master (by user@address), while one is up. */
  readonly #paths = new Map<string, string>();

  /** ssh's options for a session to `destination`: over its master, when there is one. */
  optionsFor(destination: string): string[] {
    const path = this.#paths.get(destination);
    return path ? ['-o', `ControlPath=${path}`, '-o', 'ControlMaster=no'] : [];
  }

  /** Opens a master to each destination (`options` are ssh's for it) and resolves once each
   * is ready or has failed (its sessions then connect on their own, and report why); the
   * returned function ends them. */
  async open(
    runner: CommandRunner,
    destinations: ReadonlyMap<string, readonly string[]>,
  ): Promise<() => Promise<void>> {
    const fresh = [...destinations].filter(([d]) => !this.#paths.has(d));
    if (fresh.length === 0) return async () => {};
    // A vmpath killed outright left its folder (its masters died with it).
    removeStaleFolders(SSH_PREFIX);
    const dir = mkdtempSync(join(tmpdir(), `${SSH_PREFIX}${process.pid}-`));
    const masters: { destination: string; started: Started }[] = [];
    await Promise.all(
      fresh.map(async ([destination, options], i) => {
        const path = join(dir, `m${i}`);
        const started = runner.start(
          {
            // Its session reads vmpath's pipe, and the kernel ends it if vmpath is killed
            // (the parent-death signal survives exec): a master outliving vmpath would keep
            // its node's sessions open.
            argv: [
              ...DIES_WITH_VMPATH,
              'ssh',
              ...options,
              '-M',
              '-o',
              `ControlPath=${path}`,
              '-o',
              'ControlPersist=no',
              destination,
              'exec cat >/dev/null',
            ],
            description: `ssh master to ${destination}`,
          },
          {},
        );
        masters.push({ destination, started });
        let ended = false;
        void started.done.then(
          () => {
            ended = true;
          },
          () => {
            ended = true;
          },
        );
        const deadline = performance.now() + READY_MS;
        while (!ended && !existsSync(path) && performance.now() < deadline)
          await new Promise((r) => setTimeout(r, 10));
        if (!ended && existsSync(path)) this.#paths.set(destination, path);
      }),
    );
    return async () => {
      for (const { destination } of masters) this.#paths.delete(destination);
      for (const { started } of masters) started.kill('SIGTERM');
      await Promise.allSettled(masters.map((m) => m.started.done));
      rmSync(dir, { recursive: true, force: true });
    };
  }
}
