/** `vmpath profile`: an MPI program's communication matrix, from Open MPI's pml monitoring. */
import type { Command } from 'commander';
import { invalidField } from '../../core/errors.js';
import { profileMpirun } from '../../experiment/profile.js';
import { mpirunProgram } from '../../runtime/openmpi.js';
import { findExecutable } from '../../sys/tools.js';
import type { CliContext } from '../context.js';
import { interruptible } from '../interrupt.js';
import { checkOutput, writeResult } from '../outputs.js';

export function profileCommand(program: Command, ctx: CliContext): void {
  program
    .command('profile')
    .description("an MPI program's communication matrix, from Open MPI's pml monitoring")
    .option('-o, --output <file>', 'where the matrix goes', 'matrix.json')
    .argument('<command...>', 'mpirun and its arguments (after --)')
    .action(async (command: string[], flags: { output: string }) => {
      const [mpirun, ...rest] = command;
      if (!mpirun || !/(^|\/)mpirun$/.test(mpirun) || mpirunProgram(rest) === null)
        throw invalidField(
          'E_CLI_USAGE',
          'COMMAND',
          command.join(' '),
          'mpirun ARGS PROGRAM (Open MPI), after --',
        );
      const output = checkOutput(flags.output, '--output');
      if (!findExecutable(mpirun, ctx.searchPath))
        throw invalidField(
          'E_APP_NO_TOOL',
          'COMMAND',
          mpirun,
          'mpirun of Open MPI, on PATH (apt-get install -y openmpi-bin)',
        );
      const matrix = await interruptible((signal) =>
        profileMpirun(ctx.runner, mpirun, rest, signal),
      );
      writeResult(
        output,
        `${JSON.stringify({ ...matrix, source: 'openmpi pml monitoring' }, null, 2)}\n`,
        'matrix',
      );
      const bytes = matrix.matrix.reduce((s, t) => s + t.bytes, 0);
      const messages = matrix.matrix.reduce((s, t) => s + t.messages, 0);
      ctx.out(
        `vmpath profile: ${matrix.ranks} ranks, ${matrix.matrix.length} pairs, ${messages} messages, ${bytes} bytes -> ${flags.output}`,
      );
    });
}
