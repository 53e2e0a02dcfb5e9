/**
 * The results database's migrations (src/store/db.ts): a file of an older schema is brought to
 * this one when opened, its runs kept.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION, Store } from '../../../src/store/db.js';
import { tempDir } from '../../support/temp.js';

test('schema 1 to 2: the OSU curves become runs of kind osu; other bench runs stay bench', () => {
  const file = join(tempDir('vmpath-db-'), 'old.db');
  // Build a current database, then take it back to what version 1 stored.
  const store = Store.open(file);
  const environmentId = store.addEnvironment({ kernel: 'x' });
  const sweepId = store.sweepFor('s', 'h', { name: 's' });
  const run = (key: string, kind: string, test: string) => ({
    sweepId,
    environmentId,
    key,
    kind,
    params: { kind: 'bench', test },
    status: 'done' as const,
    startedAt: 't',
    finishedAt: 't',
    summary: { total: 1 },
    samples: null,
    error: null,
  });
  store.recordRun(run('bench/iov/osu/vmpath/1s/#1', 'bench', 'osu'));
  store.recordRun(run('bench/iov/stream/vmpath/1s/#1', 'bench', 'stream'));
  store.close();
  const raw = new Database(file);
  raw.prepare("UPDATE meta SET value = '1' WHERE key = 'schema_version'").run();
  raw.close();
  const reopened = Store.open(file);
  const kinds = reopened.runs().map((r) => [r.key, r.kind]);
  reopened.close();
  assert.deepEqual(kinds.sort(), [
    ['bench/iov/osu/vmpath/1s/#1', 'osu'],
    ['bench/iov/stream/vmpath/1s/#1', 'bench'],
  ]);
  const check = new Database(file, { readonly: true });
  const version = check.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as {
    value: string;
  };
  check.close();
  assert.equal(version.value, String(SCHEMA_VERSION));
});
