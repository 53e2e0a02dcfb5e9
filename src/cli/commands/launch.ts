/**
 * `vmpath launch`: run an application's ranks inside a testbed's vms.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { invalidField } from '../../core/errors.js';
import { parseSeconds } from '../../core/units.js';
import { PATTERNS, place } from '../../placement/patterns.js';
import { launch, type MatrixEntry } from '../../runtime/launcher.js';
import type { CliContext } from '../context.js';
import { interruptible, recordOf } from '../testbeds.js';

/** One line per transport: how many ordered pairs used it, with messages and bytes. */
export function summarizeTransports(matrix: readonly MatrixEntry[]): string {
  const by = new Map<string, { pairs: number; messages: number; bytes: number }>();
  for (const e of matrix) {
    const t = by.get(e.transport) ?? { pairs: 0, messages: 0, bytes: 0 };
    t.pairs++;
    t.messages += e.messages;
    t.bytes += e.bytes;
    by.set(e.transport, t);
  }
  return [...by.entries()]
    .map(([name, t]) => `${name}: ${t.pairs} pairs, ${t.messages} messages, ${t.bytes} bytes`)
    .join('; ');
}

export function launchCommand(program: Command, ctx: CliContext): void {
  program
    .command('launch')
    .description(
      'run N ranks of a program inside a testbed, one per slot, placed by a pattern (needs root)',
    )
    .requiredOption('--id <id>', 'testbed id')
    .requiredOption('-n <ranks>', 'number of ranks')
    .option('--placement <pattern>', `${Object.keys(PATTERNS).join(' or ')}`, 'block')
    .option('--timeout <s>', 'end the job after this many seconds', '600')
    .option('--matrix <file>', 'also write the communication matrix (JSON) here')
    .argument('<command...>', 'the program and its arguments (put -- before them)')
    .action(
      async (
        command: string[],
        flags: { id: string; n: string; placement: string; timeout: string; matrix?: string },
      ) => {
        const record = recordOf(ctx, flags.id);
        const n = Number(flags.n);
        if (!Number.isInteger(n))
          throw invalidField('E_CLI_USAGE', '-n', flags.n, 'a whole number of ranks');
        const placement = place(record.topology, flags.placement, n);
        const timeoutMs = parseSeconds(flags.timeout, '--timeout', 86_400);
        const result = await interruptible((signal) =>
          launch(ctx.runner, {
            topology: record.topology,
            id: record.id,
            placement,
            argv: command,
            timeoutMs,
            signal,
            onLine: (line, stream) => (stream === 'out' ? ctx.out(line) : ctx.err(line)),
            onNotice: (text) => ctx.err(`vmpath launch: ${text}`),
          }),
        );
        if (flags.matrix) {
          writeFileSync(
            flags.matrix,
            `${JSON.stringify({ ranks: n, placement, matrix: result.matrix }, null, 2)}\n`,
          );
        }
        ctx.err(
          `vmpath launch: ${n} ranks (${flags.placement}) on testbed ${record.id}; ${summarizeTransports(result.matrix) || 'no messages'}${result.failure ? `; FAILED: ${result.failure}` : ''}`,
        );
        process.exitCode = result.exitCode;
      },
    );
}
