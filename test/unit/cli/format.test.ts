import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PairsResult } from '../../../src/bench/run.js';
import { buildTable } from '../../../src/bench/table.js';
import type { StreamRun } from '../../../src/bench/types.js';
import {
  describeConfidence,
  formatBenchTable,
  formatPairs,
} from '../../../src/cli/format-bench.js';
import { formatTable } from '../../../src/cli/table.js';
import { presetSpec } from '../../../src/topology/presets.js';
import { resolveTopology } from '../../../src/topology/resolve.js';

test('tables: numeric columns right-aligned (blanks allowed), text left-aligned', () => {
  assert.equal(
    formatTable(
      ['name', 'MiB/s'],
      [
        ['a', 1.5],
        ['bb', ''],
        ['c', 100],
      ],
    ),
    ['name  MiB/s', '----  -----', 'a       1.5', 'bb', 'c       100'].join('\n'),
  );
});

const run = (mibps: number): StreamRun => ({
  test: 'stream',
  bytes: 1,
  seconds: 1,
  mibps,
  sentBytes: 1,
  senderCpuPct: 50,
  window: { startMs: 0, endMs: 1 },
});

function result(values: number[][], confident: boolean | null): PairsResult {
  const summary = (xs: number[]) => ({
    n: xs.length,
    mean: xs.reduce((a, b) => a + b, 0) / xs.length,
    stddev: 0,
    min: Math.min(...xs),
    max: Math.max(...xs),
  });
  const totals = (values[0] ?? []).map((_, i) => values.reduce((s, pair) => s + (pair[i] ?? 0), 0));
  return {
    test: 'stream',
    tool: 'vmpath',
    params: { test: 'stream', sizeBytes: 131072, durationMs: 2000, warmupMs: 1000 },
    socketBuffers: { sndbufBytes: null, rcvbufBytes: null },
    policy:
      confident === null
        ? { min: 1, max: 1, level: 0.99, widthPct: Number.POSITIVE_INFINITY }
        : { min: 2, max: 3, level: 0.95, widthPct: 5 },
    iterations: totals.length,
    confident,
    interval: {
      level: 0.95,
      mean: summary(totals).mean,
      halfWidth: 1,
      halfWidthPct: confident ? 1.25 : 12.5,
    },
    pairs: values.map((xs, i) => ({
      from: `node${i + 1}`,
      to: `node${i + 5}`,
      fromAddress: '',
      toAddress: '',
      runs: xs.map(run),
      summary: summary(xs),
    })),
    totals,
    total: summary(totals),
    unit: 'MiB/s',
  };
}

test('pairs: one row per pair and the total; the confidence outcome in words', () => {
  const text = formatPairs(
    result(
      [
        [100, 110],
        [50, 60],
      ],
      true,
    ),
  );
  assert.match(
    text,
    /^stream with vmpath, 2 pairs at once, 2 s each after 1 s warm-up; 2 runs; 95% confidence interval \+\/- 1\.25% of the mean \(wanted <= 5%\)/,
  );
  assert.match(text, /node1\s+node5\s+105\s+100\s+110\s+50/);
  assert.match(text, /total\s+160\s+150\s+170/);
  assert.match(
    describeConfidence(result([[1, 2, 3]], false)),
    /3 runs \(the maximum\); .*NOT reached/,
  );
  assert.equal(describeConfidence(result([[1]], null)), '1 run');
});

test('the study table: a row per configuration with % of NATIVE and of the link, and BRIDGED/IOV', () => {
  const table = buildTable(resolveTopology(presetSpec('paper'), { rateMbit: 1000 }), [
    { datapath: 'native', result: result([[100]], null) },
    { datapath: 'bridged', result: result([[20], [20], [20], [20]], null) },
    { datapath: 'iov', result: result([[25], [25], [25], [25]], null) },
  ]);
  const text = formatBenchTable(table);
  assert.match(text, /^paper, stream with vmpath, uplink 1000 Mbit\/s = 119\.21 MiB\/s/);
  assert.match(text, /NATIVE\s+100\s+100\s+100\s+83\.9/);
  assert.match(text, /BRIDGED\s+20\s+20\s+20\s+20\s+80\s+80\s+67\.1/);
  assert.match(text, /IOV\s+25\s+25\s+25\s+25\s+100\s+100\s+83\.9/);
  assert.match(text, /BRIDGED\/IOV total: 0\.800/);
});
