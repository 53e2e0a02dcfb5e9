/**
 * The report's view models, charts and HTML, from synthetic runs: every part's numbers, the
 * spreads and run counts, the crossover of Figure 4, what an empty or partial database says,
 * escaping of database text, and each chart rendered to SVG with the marks it promises.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { charts } from '../../../src/report/charts/index.js';
import { escapeHtml } from '../../../src/report/html.js';
import { makeReport } from '../../../src/report/index.js';
import { type ReportInput, reportView, spread } from '../../../src/report/views/index.js';
import type { RunRecord } from '../../../src/store/db.js';
import {
  FIXTURE_CHARTS,
  FIXTURE_ENVIRONMENT,
  type FixtureRun,
  fixtureRuns,
} from '../../support/report-fixture.js';

function input(runs: FixtureRun[], extra: Partial<ReportInput> = {}): ReportInput {
  return {
    sweeps: [
      {
        id: 1,
        name: 'fixture',
        specHash: 'abc',
        spec: { name: 'fixture' },
        createdAt: 'now',
        runs: runs.length,
        failed: 0,
      },
    ],
    runs: runs.map((r, i): RunRecord => ({ ...r, id: i + 1, sweepId: 1, environmentId: 1 })),
    environments: [{ id: 1, info: FIXTURE_ENVIRONMENT }],
    source: 'results.db',
    generatedAt: '2026-11-26T00:00:00Z',
    ...extra,
  };
}

test('spread: mean, min, max and count of the finite values', () => {
  assert.deepEqual(spread([1, 2, Number.NaN, 6]), { mean: 3, min: 1, max: 6, n: 3 });
  assert.equal(spread([]).n, 0);
});

test('tables: per-node and total bandwidth, % of NATIVE and of the link, over repeats', () => {
  const view = reportView(input(fixtureRuns()));
  assert.deepEqual(
    view.tables.map((t) => `${t.test}/${t.tool}`),
    ['stream/vmpath', 'stream/iperf3', 'rr/vmpath'],
  );
  const stream = view.tables[0];
  assert.ok(stream);
  assert.deepEqual(
    stream.rows.map((r) => r.datapath),
    ['native', 'bridged', 'iov'],
  );
  const bridged = stream.rows[1];
  assert.ok(bridged);
  assert.equal(bridged.nodes.length, 4);
  assert.equal(bridged.nodes[0]?.from, 'node1');
  // node1 -> node5: 100 x 0.95 and 100 x 1.05
  assert.deepEqual(bridged.nodes[0]?.value, { mean: 100, min: 95, max: 105, n: 2 });
  assert.ok(Math.abs(bridged.total.mean - 410) < 1e-9);
  assert.equal(bridged.total.n, 2);
  assert.ok(Math.abs((bridged.ofNative ?? 0) - (410 / 1200) * 100) < 1e-9);
  assert.ok(Math.abs((bridged.ofLink ?? 0) - (410 / ((10000 * 1e6) / 8 / 1048576)) * 100) < 1e-9);
  assert.equal(stream.runs, 6);
  assert.equal(view.tables[2]?.rows[0]?.ofNative, null, 'no % of NATIVE for rr');
});

test('figures 2 and 3: bars per placement, decomposition and data path; scaling breakdown', () => {
  const view = reportView(input(fixtureRuns()));
  const f2 = view.figure2;
  assert.ok(f2);
  assert.equal(f2.ranks, 16);
  assert.equal(f2.bars.length, 3 * 3 * 3);
  assert.equal(f2.runs, 54);
  assert.deepEqual(
    [...new Set(f2.bars.map((b) => b.placement))],
    ['inter-node', 'intra-node', 'hybrid'],
  );
  assert.deepEqual([...new Set(f2.bars.map((b) => b.decomp))].sort(), ['1x1xN', '1xNx1', 'Nx1x1']);
  assert.ok(f2.bars.every((b) => b.wall.n === 2 && b.wall.min < b.wall.max));
  const f3 = view.figure3;
  assert.ok(f3);
  assert.equal(f3.placement, 'hybrid');
  assert.equal(f3.decomp, '1x1xN');
  assert.deepEqual([...new Set(f3.bars.map((b) => b.ranks))], [2, 4, 8, 16]);
  assert.equal(f3.bars.length, 3 * 4 * 3);
  const iov2 = f3.bars.filter((b) => b.datapath === 'iov' && b.ranks === 2);
  assert.deepEqual(
    iov2.map((b) => b.part),
    ['computation', 'packing', 'communication'],
  );
  assert.ok(Math.abs((iov2[0]?.seconds ?? 0) - 0.16) < 1e-9, 'mean of 0.16 x 0.95 and x 1.05');
});

test('figure 4: speedup per (placement, decomposition) against inter-host share, with the crossover', () => {
  const f4 = reportView(input(fixtureRuns())).figure4;
  assert.ok(f4);
  assert.equal(f4.points.length, 9);
  const intra = f4.points.find((p) => p.placement === 'intra-node');
  const inter = f4.points.find((p) => p.placement === 'inter-node');
  assert.ok(intra && inter);
  assert.ok(intra.speedup < 1, 'bridged wins when 1 of 15 messages crosses hosts');
  assert.ok(inter.speedup > 1, 'iov wins when all do');
  assert.ok(intra.low <= intra.speedup && intra.speedup <= intra.high);
  assert.ok(f4.crossover !== null && f4.crossover > 1 / 15 && f4.crossover < 1);
  assert.equal(f4.runs, 36);
  // without bridged runs at low share there is no crossover to mark
  const noLow = reportView(input(fixtureRuns().filter((r) => r.params.placement !== 'intra-node')));
  assert.equal(noLow.figure4?.crossover, null);
});

test("an MPI program's figures: time per data path and placement, speedup against its own measured share", () => {
  const [program, ...others] = reportView(input(fixtureRuns())).programs;
  assert.equal(others.length, 0);
  assert.ok(program);
  assert.equal(program.program, 'halo2d 64 64 4 4 20');
  assert.equal(program.ranks, 16);
  assert.equal(program.time, 'program');
  assert.equal(program.runs, 3 * 3 * 2);
  assert.equal(program.figure2?.bars.length, 3 * 3);
  const inter = program.figure2?.bars.find(
    (b) => b.placement === 'inter-node' && b.datapath === 'bridged',
  );
  assert.ok(inter && Math.abs(inter.wall.mean - 0.52) < 1e-9 && inter.wall.n === 2);
  const f4 = program.figure4;
  assert.ok(f4);
  assert.deepEqual(
    f4.points.map((p) => [p.placement, Math.round(p.share * 1000)]),
    [
      ['intra-node', 67],
      ['hybrid', 467],
      ['inter-node', 1000],
    ],
  );
  assert.ok((f4.points[0]?.speedup ?? 2) < 1 && (f4.points[2]?.speedup ?? 0) > 1);
  assert.ok(f4.crossover !== null);
  // Unprofiled runs have no share: no Figure 4, and the report says what would give one.
  const unprofiled = fixtureRuns().map((r) =>
    r.kind === 'mpi'
      ? { ...r, summary: { ...r.summary, interHostMessageShare: null, programS: null } }
      : r,
  );
  const [bare] = reportView(input(unprofiled)).programs;
  assert.equal(bare?.figure4, null);
  assert.equal(bare?.time, 'wall');
  assert.ok(
    reportView(input(unprofiled)).missing.some((m) =>
      /^halo2d .*Figure 4.*profiled halo2d/.test(m),
    ),
  );
});

test('OSU curves and the matrix', () => {
  const view = reportView(input(fixtureRuns()));
  assert.ok(view.osu);
  assert.equal(view.osu.runs, 12);
  assert.equal(view.osu.latency.length, 3 * 2 * 7);
  assert.deepEqual([...new Set(view.osu.latency.map((p) => p.engine))], ['openmpi', 'vmpath']);
  assert.ok(view.matrix);
  assert.equal(view.matrix.ranks, 16);
  assert.equal(view.matrix.cells.length, 15);
  assert.match(view.matrix.run, /^advect\/iov\/.*\/16\/.*\/hybrid\//);
  assert.deepEqual(view.missing, []);
});

test('an empty database: every part says what is missing, nothing throws', async () => {
  const report = await makeReport({ ...input([]), sweeps: [], environments: [] });
  const view = report.view;
  assert.equal(report.charts.length, 0);
  assert.equal(view.tables.length, 0);
  assert.equal(view.missing.length, 9);
  assert.match(view.missing[0] ?? '', /no runs at all/);
  assert.match(report.html, /Not in this database/);
  assert.match(report.html, /Figure 4 \(speedup of iov over bridged/);
  assert.match(report.html, /no environment recorded/);
});

test('a partial database: what is there is drawn, the rest is named', () => {
  // only bench runs of bridged and iov, no iperf3, no osu
  const view = reportView(
    input(
      fixtureRuns().filter(
        (r) =>
          r.kind === 'bench' &&
          r.params.tool === 'vmpath' &&
          r.params.test === 'stream' &&
          r.params.datapath !== 'native',
      ),
    ),
  );
  assert.equal(view.tables.length, 1);
  assert.equal(view.tables[0]?.rows[0]?.ofNative, null, 'no NATIVE row, no % of NATIVE');
  assert.equal(view.figure2, null);
  assert.equal(view.figure4, null);
  assert.deepEqual(
    view.missing.map((m) => m.split(':')[0]),
    [
      'Table 2',
      'Request/response rate, vmpath (netperf TCP_RR analogue)',
      'Figure 2 (time per data path and placement)',
      'Figure 3 (computation and communication against rank count)',
      'Figure 4 (speedup of iov over bridged against inter-host messages)',
      'Latency and bandwidth curves',
      'Communication matrix',
    ],
  );
});

test('text from the database is escaped everywhere, in tables, charts, errors and the spec', async () => {
  const evil = '<script>alert(1)</script>';
  const runs = fixtureRuns({ placementName: evil });
  runs.push({
    ...(runs[0] as FixtureRun),
    key: `bad/${evil}`,
    status: 'failed',
    summary: null,
    error: evil,
  });
  const report = await makeReport(
    input(runs, {
      sweeps: [
        {
          id: 1,
          name: evil,
          specHash: evil,
          spec: { name: evil },
          createdAt: evil,
          runs: 1,
          failed: 1,
        },
      ],
    }),
  );
  assert.ok(!report.html.includes('<script'), 'no raw script tag anywhere');
  assert.match(report.html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(report.html, /Test CPU &lt;fast&gt;/);
  assert.equal(escapeHtml(`a&b"c'`), 'a&amp;b&quot;c&#39;');
});

test('charts: each renders to SVG with as many main marks as it promises, and no external reference', async () => {
  const report = await makeReport(input(fixtureRuns()));
  assert.deepEqual(
    report.charts.map((c) => c.id),
    FIXTURE_CHARTS,
  );
  for (const chart of report.charts) {
    const groups = [
      ...chart.svg.matchAll(/<g class="mark-\w+ role-mark main_marks"[^>]*>(.*?)<\/g>/g),
    ];
    assert.ok(groups.length > 0, `${chart.id}: a main layer`);
    const items = groups.reduce((n, g) => n + ((g[1] ?? '').match(/<path /g)?.length ?? 0), 0);
    assert.equal(items, chart.marks, `${chart.id}: marks`);
    assert.ok(chart.marks > 0);
    assert.doesNotMatch(chart.svg, /(href|src)="(https?:|\/\/)/, `${chart.id}: no external link`);
  }
  assert.equal(charts(reportView(input([]))).length, 0);
  const external = report.html.match(/<script|<link |@import|url\((?!#)/);
  assert.equal(external, null, 'no script, stylesheet link or url() other than in-page ones');
});
