/** Run records read through their kinds' schemas (src/experiment/records.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { doneRuns, RUN_KINDS, typedRun } from '../../../src/experiment/records.js';
import type { RunRecord } from '../../../src/store/db.js';
import { fixtureRuns } from '../../support/report-fixture.js';

const stored = fixtureRuns().map(
  (r, i): RunRecord => ({ ...r, id: i + 1, sweepId: 1, environmentId: 1 }),
);

test('every stored kind reads back typed: bench, osu and advect runs of a study', () => {
  const runs = stored.map(typedRun);
  assert.deepEqual([...new Set(runs.map((r) => r.kind))].sort(), ['advect', 'bench', 'osu']);
  const advect = doneRuns(runs, 'advect');
  assert.ok(advect.length > 0);
  for (const r of advect) {
    assert.equal(typeof r.summary.wallS, 'number');
    assert.equal(r.params.decomp.length, 3);
  }
  assert.ok(doneRuns(runs, 'osu').every((r) => r.summary.latencyUs.length > 0));
  assert.deepEqual(RUN_KINDS, ['bench', 'osu', 'advect', 'calibration']);
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
    /kind: got "mystery"; allowed: bench, osu, advect, calibration/,
  );
  // a failed run has no summary, and is typed all the same
  const failed = typedRun({ ...advect, status: 'failed', summary: null, error: 'boom' });
  assert.equal(failed.summary, null);
});
