/**
 * `vmpath placement show`: where a pattern puts the ranks of a topology, and which class the
 * application's messages fall in (the advection pipeline, by default 1x1xN).
 */
import type { Command } from 'commander';
import { ADVECT_DEFAULTS, parseDims, type Triple } from '../../apps/advect/params.js';
import { advectTraffic } from '../../apps/advect/pattern.js';
import { invalidField } from '../../core/errors.js';
import { classify, MESSAGE_CLASSES } from '../../placement/classes.js';
import { placeFor } from '../../placement/mapping.js';
import { PATTERNS } from '../../placement/patterns.js';
import { formatHostfile, formatRankfile } from '../../placement/rankfile.js';
import { PRESETS } from '../../topology/presets.js';
import type { CliContext } from '../context.js';
import { loadTopology } from '../load.js';
import { wholeNumber } from '../numbers.js';
import { checkOutput, writeWhole } from '../outputs.js';
import { formatTable } from '../table.js';

interface ShowFlags {
  preset?: string;
  topology?: string;
  datapath?: string;
  pattern: string;
  n: string;
  decomp?: string;
  grid: string;
  json?: boolean;
  rankfile?: string;
  hostfile?: string;
}

export function placementCommands(program: Command, ctx: CliContext): void {
  const placement = program
    .command('placement')
    .description('placement patterns: where ranks run and which messages cross hosts');
  placement
    .command('show')
    .description("place N ranks with a pattern and classify the application's messages")
    .option('--preset <name>', `a built-in topology (${Object.keys(PRESETS).join(', ')})`)
    .option('--topology <file>', 'a YAML or JSON topology spec')
    .option('--datapath <path>', 'override the data path of every vm')
    .requiredOption('--pattern <pattern>', `${Object.keys(PATTERNS).join(', ')}, optimized`)
    .requiredOption('-n <ranks>', 'number of ranks')
    .option('--decomp <PxQxR>', 'the advection decomposition (default 1x1xN, the pipeline)')
    .option('--grid <XxYxZ>', 'the advection grid, for bytes', ADVECT_DEFAULTS.grid)
    .option('--rankfile <file>', 'also write the placement as an Open MPI rankfile')
    .option('--hostfile <file>', 'also write the topology as an Open MPI hostfile')
    .option('--json', 'print JSON')
    .action((flags: ShowFlags) => {
      if (!flags.preset && !flags.topology)
        throw invalidField('E_CLI_USAGE', '--preset', '(none)', 'a preset or --topology FILE');
      const topology = loadTopology(flags);
      const n = wholeNumber(flags.n, '-n');
      const decomp: Triple = flags.decomp ? parseDims(flags.decomp, '--decomp') : [1, 1, n];
      if (decomp[0] * decomp[1] * decomp[2] !== n)
        throw invalidField(
          'E_CLI_USAGE',
          '--decomp',
          flags.decomp,
          `a decomposition of the ${n} ranks`,
        );
      const grid = parseDims(flags.grid, '--grid');
      const rankfile = flags.rankfile && checkOutput(flags.rankfile, '--rankfile');
      const hostfile = flags.hostfile && checkOutput(flags.hostfile, '--hostfile');
      const traffic = advectTraffic(grid, decomp);
      const placed = placeFor(topology, flags.pattern, n, traffic, '--pattern');
      const classes = classify(placed, traffic);
      if (rankfile) writeWhole(rankfile, formatRankfile(placed));
      if (hostfile) writeWhole(hostfile, formatHostfile(topology));
      if (flags.json) {
        ctx.out(
          JSON.stringify(
            {
              topology: topology.name,
              pattern: flags.pattern,
              decomp,
              grid,
              placement: placed,
              classes,
            },
            null,
            2,
          ),
        );
        return;
      }
      const rows = placed.map((p) => [p.rank, p.host, p.vm, p.slot]);
      const classRows = MESSAGE_CLASSES.map((c) => [
        c,
        classes.byClass[c].messages,
        classes.byClass[c].bytes,
      ]);
      ctx.out(
        [
          `${n} ranks on ${topology.name}, pattern ${flags.pattern}`,
          formatTable(['rank', 'host', 'vm', 'slot'], rows),
          '',
          `advection ${grid.join('x')} decomposed ${decomp.join('x')}: messages per step by class`,
          formatTable(['class', 'messages', 'bytes'], classRows),
          `inter-host: ${classes.byClass['inter-host'].messages}/${classes.messages} messages (${(classes.interHostMessageShare * 100).toFixed(1)}%), ${(classes.interHostByteShare * 100).toFixed(1)}% of bytes`,
        ].join('\n'),
      );
    });
}
