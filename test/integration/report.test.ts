/**
 * The report in a real browser: `vmpath report` on a database of every kind of run, and on an
 * empty one, opened in headless Chromium (Debian's, through playwright-core): each chart draws
 * a non-empty SVG with the marks it promises, no console error, no request beyond the file.
 * Screenshots go to test-output/report/. Bad input exits 2 and writes nothing. (The report of a
 * real `vmpath reproduce --quick` database is checked the same way in sweep.test.ts.)
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Store } from '../../src/store/db.js';
import { assertCharts, OUTPUT_DIR, openReport } from '../support/browser.js';
import { vmpath } from '../support/cli.js';
import { FIXTURE_CHARTS, writeFixtureDb } from '../support/report-fixture.js';
import { tempDir } from '../support/temp.js';

describe('vmpath report', () => {
  test('a database of every kind of run: tables and eight charts (two for an MPI program), drawn in Chromium', async () => {
    const dir = tempDir('vmpath-report-');
    const db = join(dir, 'results.db');
    writeFixtureDb(db);
    const out = join(dir, 'report.html');
    const result = vmpath(['report', '--db', db, '-o', out]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /vmpath report: .*report\.html \(120 runs, 8 charts, 3 tables\)/);
    const seen = await openReport(out, join(OUTPUT_DIR, 'report', 'fixture.png'));
    assertCharts(seen, FIXTURE_CHARTS);
    assert.equal(seen.charts.length, 8);
    assert.equal(seen.tables, 3);
    assert.deepEqual(seen.missing, []);
    assert.ok(existsSync(join(OUTPUT_DIR, 'report', 'fixture.png')));
  });

  test('an empty database: a page that says what is missing', async () => {
    const dir = tempDir('vmpath-report-');
    const db = join(dir, 'empty.db');
    Store.open(db).close();
    const out = join(dir, 'empty.html');
    const result = vmpath(['report', '--db', db, '-o', out]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /0 runs, 0 charts, 0 tables; missing: 9 parts/);
    const seen = await openReport(out, join(OUTPUT_DIR, 'report', 'empty.png'));
    assert.deepEqual(seen.errors, []);
    assert.deepEqual(seen.requests, []);
    assert.equal(seen.charts.length, 0);
    assert.equal(seen.missing.length, 9);
    assert.match(seen.missing[0] ?? '', /no runs at all/);
  });

  test('bad input exits 2 naming the field and writes nothing', () => {
    const dir = tempDir('vmpath-report-');
    const db = join(dir, 'results.db');
    writeFixtureDb(db, (r) => r.kind === 'bench');
    const cases: [string[], RegExp][] = [
      [['--db', join(dir, 'none.db'), '-o', join(dir, 'a.html')], /--db: got ".*none\.db"/],
      [
        ['--db', db, '-o', join(dir, 'no', 'such', 'a.html')],
        /--output: got ".*a\.html"; allowed: a file in an existing folder/,
      ],
      [['--db', db, '-o', dir], /--output: .*allowed: a file, not a folder/],
      [
        ['--db', db, '-o', join(dir, 'a.html'), '--sweep', '7'],
        /--sweep: got "7"; allowed: a sweep of .*: 1/,
      ],
      [['--db', db, '-o', join(dir, 'a.html'), '--sweep', 'x'], /--sweep: got "x"/],
    ];
    for (const [args, message] of cases) {
      const result = vmpath(['report', ...args]);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.html') || f.includes('partial')),
      [],
    );
  });
});
