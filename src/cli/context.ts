/**
 * What commands get from the process: the runner, where state lives, PATH, output streams.
 * The only module besides main.ts that reads process.env.
 */
import { CommandRunner } from '../sys/runner.js';
import type { TestbedEnv } from '../testbed/lifecycle.js';
import type { TrafficEnv } from '../testbed/traffic.js';

/** Default folder for testbed records: tmpfs, emptied at boot like the namespaces themselves. */
export const DEFAULT_STATE_DIR = '/run/vmpath';

export interface CliContext extends TestbedEnv, TrafficEnv {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export function cliContext(): CliContext {
  return {
    runner: new CommandRunner(process.env),
    stateDir: process.env.VMPATH_STATE_DIR || DEFAULT_STATE_DIR,
    searchPath: process.env.PATH,
    execPath: process.execPath,
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  };
}
