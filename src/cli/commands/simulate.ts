/** `vmpath simulate`: the model evaluated on a cluster larger than this machine. */
import type { Command } from 'commander';
import { ADVECT_DEFAULTS } from '../../apps/advect/params.js';
import { invalidField } from '../../core/errors.js';
import { parseRate } from '../../core/units.js';
import { NAMED_PLACEMENTS } from '../../model/advise.js';
import { SIMULATION_LIMITS, simulateCluster } from '../../model/simulate.js';
import { advectOf, decompOption, gridOption, stepsOption } from '../app-options.js';
import { oneCalibration } from '../calibrations.js';
import type { CliContext } from '../context.js';
import { formatSimulation } from '../format-model.js';
import { wholeNumber } from '../numbers.js';

interface Flags {
  calibration?: string;
  datapath?: string;
  hosts: string;
  vmsPerHost: string;
  slots: string;
  grid: string;
  steps: string;
  decomp: string;
  placements: string[];
  rate: string;
  json?: boolean;
}

export function simulateCommand(program: Command, ctx: CliContext): void {
  program
    .command('simulate')
    .description('evaluate the model on a cluster larger than this machine')
    .option(
      '--calibration <file>',
      'the calibration to extrapolate from (default: the example of paper, --datapath)',
    )
    .option('--datapath <path>', 'without --calibration: the example of bridged, iov or shm')
    .requiredOption('--hosts <H>', 'hosts')
    .requiredOption('--vms-per-host <V>', 'vms per host')
    .requiredOption('--slots <S>', 'slots (vCPUs, one rank each) per vm')
    .addOption(gridOption(ADVECT_DEFAULTS.simulateGrid))
    .addOption(stepsOption())
    .addOption(decompOption('1x1xN'))
    .option('--placements <names...>', 'placements to evaluate', [...NAMED_PLACEMENTS, 'optimized'])
    .option('--rate <mbit>', 'uplink rate in Mbit/s (0: as calibrated)', '0')
    .option('--json', 'print JSON')
    .action((flags: Flags) => {
      const notice = (text: string) => ctx.err(`vmpath: ${text}`);
      const loaded = oneCalibration(flags.calibration, flags.datapath, notice);
      const cluster = {
        hosts: wholeNumber(flags.hosts, '--hosts'),
        vmsPerHost: wholeNumber(flags.vmsPerHost, '--vms-per-host'),
        slots: wholeNumber(flags.slots, '--slots'),
      };
      const ranks = cluster.hosts * cluster.vmsPerHost * cluster.slots;
      if (cluster.hosts > SIMULATION_LIMITS.hosts || ranks > SIMULATION_LIMITS.ranks)
        throw invalidField(
          'E_CLI_USAGE',
          '--hosts',
          `${cluster.hosts} x ${cluster.vmsPerHost} x ${cluster.slots}`,
          `at most ${SIMULATION_LIMITS.hosts} hosts and ${SIMULATION_LIMITS.ranks} ranks`,
        );
      const rate = parseRate(flags.rate, '--rate', 'as calibrated');
      const app = advectOf(flags, ranks, true);
      const begin = performance.now();
      const rows = simulateCluster(
        loaded,
        { ...cluster, rateMbit: rate > 0 ? rate : null },
        app,
        flags.placements,
      );
      const seconds = (performance.now() - begin) / 1000;
      const { datapath } = loaded.calibration;
      ctx.out(
        flags.json
          ? JSON.stringify({ ...cluster, ranks, app, datapath, rows, seconds }, null, 2)
          : formatSimulation(loaded, cluster, app, rows, seconds),
      );
    });
}
