/**
 * The placement options of launch and run: --placement PATTERN with -n, or --rankfile FILE.
 */
import { readFileSync } from 'node:fs';
import { invalidField } from '../core/errors.js';
import { type Placed, place } from '../placement/patterns.js';
import { parseRankfile } from '../placement/rankfile.js';
import type { Topology } from '../topology/types.js';

/** The placement from --rankfile or --placement and -n; input errors name the option. */
export function placementOf(
  topology: Topology,
  flags: { n?: string; placement?: string; rankfile?: string },
): Placed[] {
  const n = flags.n === undefined ? undefined : Number(flags.n);
  if (n !== undefined && (!Number.isInteger(n) || n < 1))
    throw invalidField('E_CLI_USAGE', '-n', flags.n, 'a whole number of ranks');
  if (flags.rankfile === undefined) {
    if (n === undefined) throw invalidField('E_CLI_USAGE', '-n', '(none)', 'a number of ranks');
    return place(topology, flags.placement ?? 'block', n);
  }
  if (flags.placement !== undefined)
    throw invalidField('E_CLI_USAGE', '--placement', flags.placement, 'nothing with --rankfile');
  let text: string;
  try {
    text = readFileSync(flags.rankfile, 'utf8');
  } catch (error) {
    throw invalidField(
      'E_CLI_USAGE',
      '--rankfile',
      flags.rankfile,
      `a readable file (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
  }
  const placement = parseRankfile(text, topology);
  if (n !== undefined && n !== placement.length)
    throw invalidField(
      'E_CLI_USAGE',
      '-n',
      n,
      `${placement.length}, the ranks ${flags.rankfile} lists`,
    );
  return placement;
}
