/** Run records read through their kinds' schemas (src/report/records.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  doneRuns,
  RUN_KINDS,
  readableRuns,
  summaryOf,
  typedRun,
} from '../../../src/report/records.js';
import type { RunRecord } from '../../../src/store/db.js';
import { fixtureRuns } from '../../support/report-fixture.js';

const stored = fixtureRuns().map(
  (r, i): RunRecord => ({ ...r, id: i + 1, sweepId: 1, environmentId: 1 }),
);

test('every stored kind reads back typed: bench, osu and advect runs of a study', () => {
  const runs = stored.map(typedRun);
  assert.deepEqual([...new Set(runs.map((r) => r.kind))].sort(), ['advect', 'bench', 'mpi', 'osu']);
  const advect = doneRuns(runs, 'advect');
  assert.ok(advect.length > 0);
  for (const r of advect) {
    assert.equal(typeof r.summary.wallS, 'number');
    assert.equal(r.params.decomp.length, 3);
  }
  assert.ok(doneRuns(runs, 'osu').every((r) => r.summary.latencyUs.length > 0));
  assert.deepEqual(RUN_KINDS, ['bench', 'osu', 'advect', 'mpi', 'calibration']);
});

test('a part that matches no schema is an error naming the run and the field', () => {
  const advect = stored.find((r) => r.kind === 'advect') as RunRecord;
  assert.throws(
    () => typedRun({ ...advect, summary: { ...advect.summary, wallS: 'fast' } }),
    (e: Error & { code?: string }) =>
      e.code === 'E_STORE_RECORD' && e.message.startsWith(`run ${advect.key}: summary.wallS: `),
  );
  assert.throws(
    () => typedRun({ ...advect, params: { ...advect.params, datapath: 'xen' } }),
    /params\.datapath: /,
  );
  assert.throws(
    () => typedRun({ ...advect, kind: 'mystery' }),
    /kind: got "mystery"; allowed: bench, osu, advect, mpi, calibration/,
  );
  // a failed run has no summary, and is typed all the same
  const failed = typedRun({ ...advect, status: 'failed', summary: null, error: 'boom' });
  assert.equal(failed.summary, null);
});

test('readers go on without a run that matches no schema; writers store what JSON keeps', () => {
  const advect = stored.find((r) => r.kind === 'advect') as RunRecord;
  const old = {
    ...advect,
    key: 'old',
    kind: 'calibration',
    params: { datapath: 'iov', testbed: 't' },
  };
  const { typed, unreadable } = readableRuns([
    advect,
    { ...old, summary: { version: 1, datapath: 'iov', measuredAt: 'then', runtime: [] } },
    { ...advect, key: 'bad', summary: { wallS: 'fast' } },
  ]);
  assert.deepEqual(
    typed.map((r) => r.key),
    [advect.key, 'old'],
    'a calibration of an older format is history, still readable',
  );
  assert.equal(unreadable.length, 1);
  assert.match(unreadable[0] ?? '', /^run bad: summary\./);
  // A curve point that was not measured (NaN) is stored as null, as JSON has it.
  const osu = stored.find((r) => r.kind === 'osu') as RunRecord;
  const summary = { ...(osu.summary as Record<string, unknown>), latency8Us: Number.NaN };
  assert.equal(summaryOf('osu', summary as never, osu.key).latency8Us, null);
});
