/**
 * The placement options of launch and run: --placement PATTERN with -n, or --rankfile FILE.
 */
import { readFileSync } from 'node:fs';
import { invalidField } from '../core/errors.js';
import { decimal } from '../core/units.js';
import type { Traffic } from '../placement/classes.js';
import { placeFor } from '../placement/mapping.js';
import { type Placed, place } from '../placement/patterns.js';
import { parseHostfile, parseRankfile } from '../placement/rankfile.js';
import type { Topology } from '../topology/types.js';

/** The placement from --rankfile or --placement and -n; input errors name the option. */
function readOption(file: string, field: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw invalidField(
      'E_CLI_USAGE',
      field,
      file,
      `a readable file (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
  }
}

/** The placement from --rankfile, --hostfile with -n (mpirun's by-slot mapping), or
 * --placement and -n; input errors name the option. */
export function placementOf(
  topology: Topology,
  flags: { n?: string; placement?: string; rankfile?: string; hostfile?: string },
  traffic?: readonly Traffic[],
): Placed[] {
  const n = flags.n === undefined ? undefined : decimal(flags.n);
  if (n !== undefined && (!Number.isInteger(n) || n < 1))
    throw invalidField('E_CLI_USAGE', '-n', flags.n, 'a whole number of ranks');
  const given = (['placement', 'rankfile', 'hostfile'] as const).filter(
    (k) => flags[k] !== undefined,
  );
  if (given.length > 1)
    throw invalidField(
      'E_CLI_USAGE',
      `--${given[1]}`,
      flags[given[1] as 'placement'],
      `nothing with --${given[0]}`,
    );
  if (flags.rankfile !== undefined) {
    const placement = parseRankfile(readOption(flags.rankfile, '--rankfile'), topology);
    if (n !== undefined && n !== placement.length)
      throw invalidField(
        'E_CLI_USAGE',
        '-n',
        n,
        `${placement.length}, the ranks ${flags.rankfile} lists`,
      );
    return placement;
  }
  if (n === undefined) throw invalidField('E_CLI_USAGE', '-n', '(none)', 'a number of ranks');
  if (flags.hostfile !== undefined)
    return parseHostfile(readOption(flags.hostfile, '--hostfile'), topology, n);
  if (flags.placement === 'optimized') {
    if (!traffic)
      throw invalidField(
        'E_CLI_USAGE',
        '--placement',
        'optimized',
        'a named pattern here (optimized needs the communication pattern: vmpath run advect knows it; for any program, vmpath advise --matrix)',
      );
    return placeFor(topology, 'optimized', n, traffic);
  }
  return place(topology, flags.placement ?? 'block', n);
}
