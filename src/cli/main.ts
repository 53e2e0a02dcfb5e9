/**
 * The vmpath command line: parses argv, dispatches, prints errors in one or two lines and exits
 * 2 for bad input, 1 for failures (with the stack and causes only under --debug).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { exitCodeOf, VmpathError } from '../core/errors.js';
import { adviseCommand } from './commands/advise.js';
import { benchCommands } from './commands/bench.js';
import { calibrateCommand } from './commands/calibrate.js';
import { clusterCommands } from './commands/cluster.js';
import { launchCommand } from './commands/launch.js';
import { placementCommands } from './commands/placement.js';
import { predictCommand } from './commands/predict.js';
import { profileCommand } from './commands/profile.js';
import { reportCommand } from './commands/report.js';
import { reproduceCommand } from './commands/reproduce.js';
import { runCommands } from './commands/run.js';
import { simulateCommand } from './commands/simulate.js';
import { sweepCommands } from './commands/sweep.js';
import { testbedCommands } from './commands/testbed.js';
import { topologyCommands } from './commands/topology.js';
import { type CliContext, cliContext } from './context.js';

/** Exit codes: 0 ok, 1 a failure, 2 bad input (usage, spec, missing tool or right); a time
 * limit the user set exits 124, an interrupt 128 + the signal's number (core/errors.ts). */
export const EXIT = { ok: 0, failure: 1, input: 2 } as const;

function version(): string {
  const pkg = JSON.parse(
    readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
  ) as { version: string };
  return pkg.version;
}

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('vmpath')
    .description(
      'explore the I/O data paths of MPI applications in a cluster of (emulated) virtual machines',
    )
    .version(version())
    .option('--debug', 'print stack traces and causes of errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
    });
  topologyCommands(program, ctx);
  testbedCommands(program, ctx);
  benchCommands(program, ctx);
  clusterCommands(program, ctx);
  launchCommand(program, ctx);
  runCommands(program, ctx);
  placementCommands(program, ctx);
  sweepCommands(program, ctx);
  reproduceCommand(program, ctx);
  reportCommand(program, ctx);
  calibrateCommand(program, ctx);
  predictCommand(program, ctx);
  adviseCommand(program, ctx);
  simulateCommand(program, ctx);
  profileCommand(program, ctx);
  for (const command of program.commands)
    command.exitOverride().showHelpAfterError('(run with --help for usage)');
  return program;
}

/** Prints an error the way users should see it and returns the exit code. */
export function reportError(error: unknown, ctx: CliContext, debug: boolean): number {
  if (error instanceof CommanderError) {
    const benign = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(
      error.code,
    );
    return benign ? EXIT.ok : EXIT.input;
  }
  if (error instanceof VmpathError) {
    ctx.err(`vmpath: ${error.message}`);
    if (debug) ctx.err(describeChain(error));
    return exitCodeOf(error);
  }
  ctx.err(`vmpath: unexpected error: ${error instanceof Error ? error.message : String(error)}`);
  if (debug && error instanceof Error) ctx.err(error.stack ?? '');
  else ctx.err('(run again with --debug for details)');
  return EXIT.failure;
}

function describeChain(error: Error): string {
  const parts: string[] = [error.stack ?? String(error)];
  let cause = error.cause;
  while (cause instanceof Error) {
    parts.push(`caused by: ${cause.stack ?? cause.message}`);
    cause = cause.cause;
  }
  return parts.join('\n');
}

async function main(): Promise<void> {
  const ctx = cliContext();
  const debug = process.argv.includes('--debug');
  try {
    await buildProgram(ctx).parseAsync(process.argv);
  } catch (error) {
    process.exitCode = reportError(error, ctx, debug);
  }
}

await main();
