/** `vmpath predict`: the advection time of one configuration, from one calibration. */
import type { Command } from 'commander';
import { ADVECT_DEFAULTS } from '../../apps/advect/params.js';
import { advectTraffic } from '../../apps/advect/pattern.js';
import { NAMED_PLACEMENTS } from '../../model/advise.js';
import { checkTopology } from '../../model/calibration.js';
import { predictAdvect } from '../../model/predict.js';
import { placeFor } from '../../placement/mapping.js';
import {
  type AppFlags,
  advectOf,
  appOption,
  decompOption,
  fitsSlots,
  gridOption,
  stepsOption,
  type TopologyFlags,
  topologyOf,
} from '../app-options.js';
import { oneCalibration } from '../calibrations.js';
import type { CliContext } from '../context.js';
import { formatPrediction } from '../format-model.js';

interface Flags extends AppFlags, TopologyFlags {
  calibration?: string;
  datapath?: string;
  placement: string;
  json?: boolean;
  models?: boolean;
}

export function predictCommand(program: Command, ctx: CliContext): void {
  program
    .command('predict')
    .description('predict the advection time of one configuration from a calibration')
    .option(
      '--calibration <file>',
      'a file written by vmpath calibrate (default: the example of paper, --datapath)',
    )
    .option('--datapath <path>', 'without --calibration: the example of bridged, iov or shm')
    .addOption(appOption())
    .addOption(gridOption())
    .addOption(stepsOption())
    .addOption(decompOption(ADVECT_DEFAULTS.decomp))
    .option(
      '--placement <pattern>',
      `${NAMED_PLACEMENTS.join(', ')}, block, cyclic or optimized`,
      'hybrid',
    )
    .option('--preset <name>', "the topology (default: the calibration's)")
    .option('--topology <file>', 'a topology spec')
    .option('--rate <mbit>', "the uplinks' rate in Mbit/s (default: the calibration's)")
    .option('--models', 'also list the models the prediction rests on')
    .option('--json', 'print JSON')
    .action((flags: Flags) => {
      const notice = (text: string) => ctx.err(`vmpath: ${text}`);
      const { calibration, source } = oneCalibration(flags.calibration, flags.datapath, notice);
      const topology = topologyOf(flags, calibration);
      checkTopology(calibration, topology, source);
      const app = advectOf(flags);
      const n = app.decomp[0] * app.decomp[1] * app.decomp[2];
      fitsSlots(topology, n, '--decomp', app.decomp.join('x'));
      const traffic = advectTraffic(app.grid, app.decomp, app.steps);
      const placed = placeFor(topology, flags.placement, n, traffic);
      const prediction = predictAdvect(calibration, app, placed, calibration.datapath, source);
      const asked = { datapath: calibration.datapath, placement: flags.placement, app };
      ctx.out(
        flags.json
          ? JSON.stringify({ ...asked, prediction }, null, 2)
          : formatPrediction(asked, topology, calibration, prediction, flags.models === true),
      );
    });
}
