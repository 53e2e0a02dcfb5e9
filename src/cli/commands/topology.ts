/**
 * `vmpath topology validate|show|presets`.
 */
import type { Command } from 'commander';
import { VmpathError } from '../../core/errors.js';
import { checkBuildable } from '../../testbed/plan-up.js';
import { PRESETS } from '../../topology/presets.js';
import { resolveTopology } from '../../topology/resolve.js';
import type { CliContext } from '../context.js';
import { formatTopology } from '../format.js';
import { loadTopology, readSpecFile } from '../load.js';
import { formatTable } from '../table.js';

export function topologyCommands(program: Command, ctx: CliContext): void {
  const topology = program
    .command('topology')
    .description('cluster specs: check them, show them, list the presets');

  topology
    .command('validate')
    .description(
      'check a topology file as testbed up would; exit 0 if valid, 2 naming every bad field if not',
    )
    .argument('<file>', 'YAML or JSON topology spec')
    .action((file: string) => {
      const resolved = resolveTopology(readSpecFile(file), {}, file);
      checkBuildable(resolved);
      const vms = resolved.hosts.reduce((n, h) => n + h.vms.length, 0);
      ctx.out(`${file}: valid (${resolved.hosts.length} hosts, ${vms} vms)`);
    });

  topology
    .command('show')
    .description('print a topology fully resolved (defaults, addresses, switch)')
    .argument('[file]', 'YAML or JSON topology spec')
    .option('--preset <name>', `a built-in topology (${Object.keys(PRESETS).join(', ')})`)
    .option('--datapath <path>', 'override the data path of every vm: native, bridged, iov, shm')
    .option('--rate <mbit>', 'override every uplink rate in Mbit/s (0: no shaping)')
    .option('--json', 'print JSON')
    .action(
      (
        file: string | undefined,
        options: { preset?: string; datapath?: string; rate?: string; json?: boolean },
      ) => {
        if (file && options.preset)
          throw new VmpathError('E_CLI_USAGE', 'give either FILE or --preset, not both', {
            details: { field: '--preset' },
          });
        const resolved = loadTopology({ ...options, ...(file ? { topology: file } : {}) });
        ctx.out(options.json ? JSON.stringify(resolved, null, 2) : formatTopology(resolved));
      },
    );

  topology
    .command('presets')
    .description('list the built-in topologies')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const rows = Object.entries(PRESETS).map(([name, p]) => [name, p.description]);
      ctx.out(
        options.json
          ? JSON.stringify(Object.fromEntries(rows), null, 2)
          : formatTable(['preset', 'description'], rows),
      );
    });
}
