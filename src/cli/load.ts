/**
 * Turns --topology FILE / --preset NAME / a FILE argument (plus --datapath and --rate) into a
 * resolved Topology. Reads the file; the topology module itself does no I/O.
 */
import { readFileSync } from 'node:fs';
import { invalidField, VmpathError } from '../core/errors.js';
import { parseRate } from '../core/units.js';
import { parseSpecText } from '../topology/parse.js';
import { presetSpec } from '../topology/presets.js';
import { resolveTopology, type TopologyOverrides } from '../topology/resolve.js';
import { DATAPATHS, type Datapath, type Topology } from '../topology/types.js';

export interface SpecOptions {
  topology?: string;
  preset?: string;
  datapath?: string;
  rate?: string;
}

/** Reads a spec file (`what` it is: a topology file, a sweep spec), naming it in any error. */
export function readSpecFile(path: string, what = 'topology file'): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'a folder, not a file'
          : (error as Error).message;
    throw new VmpathError('E_CLI_FILE', `${what} ${JSON.stringify(path)}: ${why}`, {
      cause: error,
      details: { field: 'FILE', value: path },
    });
  }
  return parseSpecText(text, path);
}

/** Parses --datapath and --rate into overrides, with errors naming the option. */
export function overridesOf(options: SpecOptions): TopologyOverrides {
  const overrides: TopologyOverrides = {};
  if (options.datapath !== undefined) {
    if (!DATAPATHS.includes(options.datapath as Datapath)) {
      throw invalidField('E_CLI_USAGE', '--datapath', options.datapath, DATAPATHS.join(', '));
    }
    overrides.datapath = options.datapath as Datapath;
  }
  if (options.rate !== undefined) overrides.rateMbit = parseRate(options.rate, '--rate');
  return overrides;
}

/** Exactly one of a file or a preset, unresolved, with the overrides the options ask for. */
export function loadSpec(options: SpecOptions): {
  raw: unknown;
  overrides: TopologyOverrides;
  source: string;
} {
  if (options.topology !== undefined && options.preset !== undefined) {
    throw new VmpathError('E_CLI_USAGE', 'give either a topology file or --preset, not both', {
      details: { field: '--preset' },
    });
  }
  if (options.topology === undefined && options.preset === undefined) {
    throw new VmpathError(
      'E_CLI_USAGE',
      'a topology is needed: --topology FILE or --preset NAME (see vmpath topology presets)',
      {
        details: { field: '--topology' },
      },
    );
  }
  const overrides = overridesOf(options);
  if (options.preset !== undefined) {
    return { raw: presetSpec(options.preset), overrides, source: `preset ${options.preset}` };
  }
  const path = options.topology as string;
  return { raw: readSpecFile(path), overrides, source: path };
}

/** Exactly one of a file or a preset, resolved with the overrides. */
export function loadTopology(options: SpecOptions): Topology {
  const { raw, overrides, source } = loadSpec(options);
  return resolveTopology(raw, overrides, source);
}
