/**
 * What several commands share: finding a testbed's record from --id.
 */
import { VmpathError } from '../core/errors.js';
import { checkId } from '../core/ids.js';
import { listIds, type TestbedRecord, TestbedState } from '../testbed/state.js';
import type { CliContext } from './context.js';

/** The record of `--id`, or of the only testbed there is when no id is given. */
export function recordOf(ctx: CliContext, id: string | undefined): TestbedRecord {
  const ids = listIds(ctx.stateDir);
  if (id === undefined) {
    if (ids.length !== 1) {
      throw new VmpathError(
        'E_CLI_USAGE',
        `--id: needed when there is not exactly one testbed (there are ${ids.length}${ids.length ? `: ${ids.join(', ')}` : ''})`,
        {
          details: { field: '--id' },
        },
      );
    }
    id = ids[0] as string;
  }
  const record = new TestbedState(ctx.stateDir, checkId(id)).read();
  if (!record) {
    throw new VmpathError(
      'E_TESTBED_UNKNOWN',
      `--id: got ${JSON.stringify(id)}; allowed: an existing testbed (${ids.join(', ') || 'none is up'})`,
      {
        details: { field: '--id', value: id },
      },
    );
  }
  return record;
}
