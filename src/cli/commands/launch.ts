/**
 * `vmpath launch`: run an application's ranks inside a testbed's vms.
 */
import type { Command } from 'commander';
import { parseSeconds } from '../../core/units.js';
import { PATTERNS } from '../../placement/patterns.js';
import { launch, type MatrixEntry } from '../../runtime/launcher.js';
import type { CliContext } from '../context.js';
import { interruptible } from '../interrupt.js';
import { checkOutput, writeResult } from '../outputs.js';
import { placementOf } from '../placement-options.js';
import { targetOf } from '../testbeds.js';
import { envOf } from './run-mpi.js';

/** One clause per transport: the rank pairs that used it (either direction), with the
 * messages and bytes they carried, e.g. `local: 2 pairs (0-1 2-3), 8 messages, 64 bytes`. */
export function summarizeTransports(matrix: readonly MatrixEntry[]): string {
  const by = new Map<string, { pairs: Set<string>; messages: number; bytes: number }>();
  const ordered = [...matrix].sort(
    (a, b) =>
      Math.min(a.from, a.to) - Math.min(b.from, b.to) ||
      Math.max(a.from, a.to) - Math.max(b.from, b.to),
  );
  for (const e of ordered) {
    const t = by.get(e.transport) ?? { pairs: new Set<string>(), messages: 0, bytes: 0 };
    t.pairs.add(`${Math.min(e.from, e.to)}-${Math.max(e.from, e.to)}`);
    t.messages += e.messages;
    t.bytes += e.bytes;
    by.set(e.transport, t);
  }
  return [...by.entries()]
    .map(
      ([name, t]) =>
        `${name}: ${t.pairs.size} pair${t.pairs.size === 1 ? '' : 's'} (${[...t.pairs].join(' ')}), ${t.messages} messages, ${t.bytes} bytes`,
    )
    .join('; ');
}

export function launchCommand(program: Command, ctx: CliContext): void {
  program
    .command('launch')
    .description(
      'run N ranks of a program on a testbed or a cluster, one per slot, placed by a pattern',
    )
    .option('--id <id>', 'testbed id (default: the only one)')
    .option('--cluster <file>', 'an inventory: run on its nodes instead (ssh or Slurm)')
    .option('-n <ranks>', 'number of ranks (with --rankfile: the ranks it lists)')
    .option('--placement <pattern>', `${Object.keys(PATTERNS).join(' or ')} (default block)`)
    .option('--rankfile <file>', 'an Open MPI rankfile: rank N=VM slot=S per line')
    .option('--hostfile <file>', 'an Open MPI hostfile (VM slots=S per line), filled by slot')
    .option('--timeout <s>', 'end the job after this many seconds', '600')
    .option('--matrix <file>', 'also write the communication matrix (JSON) here')
    .option(
      '--env <NAME=VALUE...>',
      "a variable for every rank (on a cluster the ranks get only these, as mpirun's -x)",
      [],
    )
    .argument('<command...>', 'the program and its arguments (put -- before them)')
    .action(
      async (
        command: string[],
        flags: {
          id?: string;
          cluster?: string;
          n?: string;
          placement?: string;
          rankfile?: string;
          hostfile?: string;
          timeout: string;
          matrix?: string;
          env: string[];
        },
      ) => {
        const target = targetOf(ctx, flags);
        const matrixFile = flags.matrix && checkOutput(flags.matrix, '--matrix');
        const placement = placementOf(target.topology, flags);
        const n = placement.length;
        const timeoutMs = parseSeconds(flags.timeout, '--timeout', 86_400);
        const result = await interruptible((signal) =>
          launch(ctx.runner, {
            topology: target.topology,
            id: target.id,
            launcher: target.launcher,
            env: envOf(flags.env),
            placement,
            argv: command,
            timeoutMs,
            signal,
            onLine: (line, stream) => (stream === 'out' ? ctx.out(line) : ctx.err(line)),
            onNotice: (text) => ctx.err(`vmpath launch: ${text}`),
          }),
        );
        if (matrixFile)
          writeResult(
            matrixFile,
            `${JSON.stringify({ ranks: n, placement, matrix: result.matrix, source: 'vmpath runtime' }, null, 2)}\n`,
            'matrix',
          );
        ctx.err(
          `vmpath launch: ${n} ranks (${flags.rankfile ?? flags.hostfile ?? flags.placement ?? 'block'}) on ${target.label}; ${summarizeTransports(result.matrix) || 'no messages'}${result.failure ? `; FAILED: ${result.failure}` : ''}`,
        );
        process.exitCode = result.exitCode;
      },
    );
}
