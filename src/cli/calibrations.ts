/**
 * The calibrations the model's commands price with: files given with --calibration, or, when
 * none is given, the example calibrations of the paper preset that ship with vmpath
 * (examples/calibrations/, measured with `vmpath calibrate` on the machine and at the date each
 * file states), as SimGrid ships example platforms: predict, advise and simulate can then be
 * tried at once, without root or a calibration of one's own.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { invalidField, VmpathError } from '../core/errors.js';
import { type Calibration, parseCalibration } from '../model/calibration.js';
import type { Datapath } from '../topology/types.js';

/** A calibration and where it came from (its file). */
export interface Loaded {
  readonly calibration: Calibration;
  readonly source: string;
}

/** The data paths the examples cover (the paper preset, unshaped). */
export const EXAMPLE_DATAPATHS: readonly Datapath[] = ['bridged', 'iov', 'shm'];

/** The file of the example calibration of `datapath`. */
export function exampleFile(datapath: Datapath): string {
  return fileURLToPath(
    new URL(`../../../examples/calibrations/paper-${datapath}.json`, import.meta.url),
  );
}

/** Reads and checks calibration files. */
export function loadCalibrations(files: readonly string[]): Loaded[] {
  return files.map((file) => {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new VmpathError(
        'E_MODEL_INPUT',
        `--calibration: got ${JSON.stringify(file)}; allowed: a JSON file written by vmpath calibrate (${(error as Error).message})`,
        { details: { field: '--calibration', value: file }, cause: error },
      );
    }
    return { calibration: parseCalibration(raw, file), source: file };
  });
}

/** The examples of `datapaths`, and the one-line notice that says they are used. */
export function exampleCalibrations(datapaths: readonly Datapath[]): {
  loaded: Loaded[];
  notice: string;
} {
  const loaded = loadCalibrations(datapaths.map(exampleFile));
  const { machine, measuredAt } = (loaded[0] as Loaded).calibration;
  const where = `${machine.cpu ?? 'an unnamed CPU'}, ${machine.cores} cores`;
  return {
    loaded,
    notice: `no --calibration given: using the example calibration${datapaths.length > 1 ? 's' : ''} of the paper preset (${datapaths.join(', ')}) shipped with vmpath, measured ${measuredAt.slice(0, 10)} on ${where}; for your own machine, run vmpath calibrate`,
  };
}

/** The one calibration of predict and simulate: --calibration FILE, else the example of
 * --datapath (default bridged, the study's default set-up). */
export function oneCalibration(
  file: string | undefined,
  datapath: string | undefined,
  notice: (text: string) => void,
): Loaded {
  if (file !== undefined) {
    if (datapath !== undefined)
      throw invalidField(
        'E_CLI_USAGE',
        '--datapath',
        datapath,
        'nothing with --calibration (its data path is the calibration’s)',
      );
    return loadCalibrations([file])[0] as Loaded;
  }
  const chosen = datapath ?? 'bridged';
  if (!(EXAMPLE_DATAPATHS as readonly string[]).includes(chosen))
    throw invalidField(
      'E_CLI_USAGE',
      '--datapath',
      chosen,
      `${EXAMPLE_DATAPATHS.join(', ')} (the example calibrations; for native, give --calibration)`,
    );
  const { loaded, notice: text } = exampleCalibrations([chosen as Datapath]);
  notice(text);
  return loaded[0] as Loaded;
}
