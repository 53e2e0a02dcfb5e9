/**
 * What commands get from the process: the runner, where state lives, PATH, output streams.
 * The only module besides main.ts that reads process.env.
 */
import { signalExitCode } from '../core/errors.js';
import { CommandRunner } from '../sys/runner.js';
import type { TestbedEnv } from '../testbed/lifecycle.js';
import type { TrafficEnv } from '../testbed/traffic.js';
import { interruptAll } from './interrupt.js';

/** Default folder for testbed records: tmpfs, emptied at boot like the namespaces themselves. */
export const DEFAULT_STATE_DIR = '/run/vmpath';

export interface CliContext extends TestbedEnv, TrafficEnv {
  /** The process's environment, for what commands read from it (the ssh key an inventory does
   * not name, the Slurm allocation). */
  readonly env: NodeJS.ProcessEnv;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** A writer to `stream` that goes quiet once its reader has gone (`vmpath results export |
 * head`): that closes the pipe (EPIPE), which is no error of ours, but the work in progress
 * stops as on SIGPIPE, cleaning up, since nobody reads what it would say. */
function writer(stream: NodeJS.WriteStream): (text: string) => void {
  let closed = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    closed = true;
    // As a shell reports a writer ended by SIGPIPE, unless the command says otherwise.
    process.exitCode ??= signalExitCode('SIGPIPE');
    interruptAll('SIGPIPE');
  });
  return (text) => {
    if (!closed) stream.write(text.endsWith('\n') ? text : `${text}\n`);
  };
}

export function cliContext(): CliContext {
  return {
    runner: new CommandRunner(process.env),
    env: process.env,
    stateDir: process.env.VMPATH_STATE_DIR || DEFAULT_STATE_DIR,
    searchPath: process.env.PATH,
    execPath: process.execPath,
    out: writer(process.stdout),
    err: writer(process.stderr),
  };
}
