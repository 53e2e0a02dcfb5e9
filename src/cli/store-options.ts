/**
 * The results database's options, checked the same way by every command: --db FILE, --sweep ID
 * (a sweep the database holds) and a run id.
 */
import { invalidField, VmpathError } from '../core/errors.js';
import { parseWhole } from '../core/units.js';
import { type RunRecord, Store } from '../store/db.js';

/** Opens --db: created if missing when `create`, else it must exist. */
export function openDb(file: string | undefined, create: boolean): Store {
  if (!file) throw invalidField('E_CLI_USAGE', '--db', '(none)', 'a results database file');
  return Store.open(file, { create });
}

/** --sweep: undefined when not given, else a sweep id of `store` (exit 2 naming those it has). */
export function sweepOf(store: Store, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ids = store.sweeps().map((s) => s.id);
  const allowed = `a sweep of ${store.file}: ${ids.join(', ') || 'it has none'} (vmpath results list)`;
  const id = parseWhole(text, '--sweep', 1, Number.MAX_SAFE_INTEGER);
  if (!ids.includes(id)) throw invalidField('E_CLI_USAGE', '--sweep', text, allowed);
  return id;
}

/** A run of `store` by its id (exit 2 otherwise). */
export function runOf(store: Store, text: string): RunRecord {
  const id = parseWhole(text, 'RUN', 1);
  const run = store.run(id);
  if (!run)
    throw new VmpathError(
      'E_STORE_UNKNOWN',
      `run: got ${JSON.stringify(text)}; allowed: a run id of ${store.file} (vmpath results list)`,
      { details: { field: 'RUN', value: text } },
    );
  return run;
}
