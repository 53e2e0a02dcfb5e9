/**
 * `vmpath calibrate`: measure running testbeds, fit their model, write one JSON file each (and,
 * with --db, a calibration run in the results database). Several --id are calibrated in turns.
 */
import type { Command } from 'commander';
import { testbedTarget } from '../../cluster/target.js';
import { invalidField } from '../../core/errors.js';
import { calibrateInTurns } from '../../experiment/calibrate.js';
import type { Calibration } from '../../model/calibration.js';
import type { Store } from '../../store/db.js';
import type { CliContext } from '../context.js';
import { formatCalibration } from '../format-model.js';
import { interruptible } from '../interrupt.js';
import { checkOutput, writeResult } from '../outputs.js';
import { openDb } from '../store-options.js';
import { recordOf, repeated, targetOf } from '../testbeds.js';

interface Flags {
  id?: string[];
  output?: string;
  db?: string;
  cluster: string[];
}

export function calibrateCommand(program: Command, ctx: CliContext): void {
  program
    .command('calibrate')
    .description(
      'measure running testbeds and fit their model (message classes, sharing, kernel); several --id are calibrated in turns (one measurement of each, then the next), so that the machine drifts on all alike; needs root',
    )
    .option('--id <id...>', 'the testbeds (default: the only one up)')
    .option(
      '--cluster <file>',
      'calibrate this inventory instead (repeat it: several are calibrated in turns)',
      repeated,
      [] as string[],
    )
    .option(
      '-o, --output <file>',
      'where the calibration goes, with one --id (default: calibration-<id>.json)',
    )
    .option('--db <file>', 'also record them in this results database')
    .action(async (flags: Flags) => {
      const ids = idsOf(flags);
      // Where the results go is checked (and the database opened) before anything is measured.
      if (flags.output !== undefined) checkOutput(flags.output, '--output');
      const store = flags.db ? openDb(flags.db, true) : null;
      try {
        const records = flags.cluster.length
          ? flags.cluster.map((file) => targetOf(ctx, { cluster: file }))
          : ids.map((id) => testbedTarget(recordOf(ctx, id)));
        const twice = records.find((r, i) => records.findIndex((o) => o.id === r.id) !== i);
        if (twice && flags.output === undefined)
          throw invalidField(
            'E_CLI_USAGE',
            '--cluster',
            twice.label,
            `inventories of different names (each goes to calibration-<name>.json; two are named ${twice.id})`,
          );
        const outputs = records.map((r) => flags.output ?? `calibration-${r.id}.json`);
        const files = outputs.map((out) => checkOutput(out, '--output'));
        const calibrations = await interruptible((signal) =>
          calibrateInTurns({ ...ctx, execPath: process.execPath }, records, {
            signal,
            onStep: (id, text) => ctx.err(`calibrate ${id}: ${text}`),
          }),
        );
        const rendered = calibrations.map((calibration, i) => {
          const { id } = records[i] as { id: string };
          writeResult(
            files[i] as string,
            `${JSON.stringify(calibration, null, 2)}\n`,
            'calibration',
          );
          if (store) recordCalibration(store, calibration, id);
          return formatCalibration(calibration, id, outputs[i] as string);
        });
        ctx.out(rendered.join('\n'));
      } finally {
        store?.close();
      }
    });
}

/** The testbeds asked for, each once; --output only with one. */
function idsOf(flags: Flags): (string | undefined)[] {
  if (flags.id && flags.cluster.length)
    throw invalidField(
      'E_CLI_USAGE',
      '--cluster',
      flags.cluster,
      'testbeds (--id) or clusters: not both',
    );
  const ids: (string | undefined)[] =
    flags.id ?? (flags.cluster.length ? flags.cluster : [undefined]);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) throw invalidField('E_CLI_USAGE', '--id', twice, 'each testbed once');
  if (flags.output !== undefined && ids.length > 1)
    throw invalidField(
      'E_CLI_USAGE',
      '--output',
      flags.output,
      `one file, with one --id (got ${ids.length}; without --output each goes to calibration-<id>.json)`,
    );
  return ids;
}

function recordCalibration(store: Store, calibration: Calibration, testbed: string): void {
  const sweepId = store.sweepFor('calibrate', calibration.topology.fingerprint, {
    name: 'calibrate',
    topology: calibration.topology,
  });
  store.recordRun({
    sweepId,
    environmentId: store.addEnvironment({ cores: calibration.machine.cores }),
    key: `calibration/${calibration.datapath}/${calibration.measuredAt}`,
    kind: 'calibration',
    params: { datapath: calibration.datapath, testbed },
    status: 'done',
    startedAt: calibration.measuredAt,
    finishedAt: new Date().toISOString(),
    summary: calibration as unknown as Record<string, unknown>,
    samples: null,
    error: null,
  });
}
