import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { explicitPair, studyPairs } from '../../../src/bench/pairs.js';
import type { PairsResult } from '../../../src/bench/run.js';
import { buildTable } from '../../../src/bench/table.js';
import { parseIperf3 } from '../../../src/bench/tools/iperf3.js';
import { VmpathError } from '../../../src/core/errors.js';
import { presetSpec } from '../../../src/topology/presets.js';
import { resolveTopology } from '../../../src/topology/resolve.js';
import { ROOT } from '../../support/paths.js';

test('study pairs: the i-th vm of host 0 to the i-th of host 1; native: as many, host to host', () => {
  const paper = resolveTopology(presetSpec('paper'));
  assert.deepEqual(
    studyPairs(paper, 'x').map((p) => `${p.from.name}->${p.to.name}`),
    ['node1->node5', 'node2->node6', 'node3->node7', 'node4->node8'],
  );
  const native = resolveTopology(presetSpec('paper'), { datapath: 'native' });
  const [pair, ...rest] = studyPairs(native, 'x');
  assert.equal(rest.length, 3);
  assert.ok(rest.every((p) => p.from === pair?.from && p.to === pair?.to));
  assert.deepEqual(
    [pair?.from.name, pair?.from.address, pair?.to.name, pair?.to.netns],
    ['host0', '198.18.0.1', 'host1', 'vmp-x-host1'],
  );
});

test('explicit pairs: unknown nodes, the switch, and a node to itself are refused naming the option', () => {
  const tiny = resolveTopology(presetSpec('tiny'));
  assert.equal(explicitPair(tiny, 'x', 'node1', 'node4').to.address, '198.18.0.4');
  const refused = (from: string, to: string, field: RegExp) =>
    assert.throws(
      () => explicitPair(tiny, 'x', from, to),
      (e: unknown) => e instanceof VmpathError && e.kind === 'input' && field.test(e.message),
    );
  refused('node9', 'node1', /^--from: got "node9"/);
  refused('node1', 'nodeX', /^--to: got "nodeX"/);
  refused('node1', 'host1', /^--to: got "host1"; allowed: a node with an address/);
  refused('node1', 'node1', /^--to: .*other than --from/);
});

test('iperf3 -J: the receiver figure, CPU, and the window after the omitted warm-up', () => {
  const json = readFileSync(`${ROOT}test/fixtures/iperf3-client.json`, 'utf8');
  const run = parseIperf3(json, {
    test: 'stream',
    sizeBytes: 131072,
    durationMs: 2000,
    warmupMs: 1000,
  });
  assert.equal(run.bytes, 2_345_730_424);
  assert.ok(Math.abs(run.mibps - 9_376_245_808.984003 / 8 / 2 ** 20) < 1e-6);
  assert.ok(Math.abs((run.senderCpuPct ?? 0) - 85.00472624106294) < 1e-9);
  assert.equal(run.window.startMs, 1_795_644_310_000 + 1000);
  assert.throws(
    () =>
      parseIperf3('{"error":"unable to connect to server"}', {
        test: 'stream',
        sizeBytes: 1,
        durationMs: 1000,
        warmupMs: 0,
      }),
    /unable to connect/,
  );
});

function fakeResult(perPair: number[]): PairsResult {
  const summary = (v: number) => ({ n: 1, mean: v, stddev: 0, min: v, max: v });
  const total = perPair.reduce((a, b) => a + b, 0);
  return {
    test: 'stream',
    tool: 'vmpath',
    params: { test: 'stream', sizeBytes: 131072, durationMs: 1000, warmupMs: 0 },
    socketBuffers: { sndbufBytes: null, rcvbufBytes: null },
    policy: { min: 1, max: 1, level: 0.99, widthPct: Number.POSITIVE_INFINITY },
    iterations: 1,
    confident: null,
    interval: {
      level: 0.99,
      mean: total,
      halfWidth: Number.POSITIVE_INFINITY,
      halfWidthPct: Number.POSITIVE_INFINITY,
    },
    pairs: perPair.map((v, i) => ({
      from: `a${i}`,
      to: `b${i}`,
      fromAddress: '',
      toAddress: '',
      runs: [],
      summary: summary(v),
    })),
    totals: [total],
    total: summary(total),
    unit: 'MiB/s',
  };
}

test('the study table: totals as % of NATIVE and of the link, and BRIDGED/IOV', () => {
  const topology = resolveTopology(presetSpec('paper'), { rateMbit: 1000 });
  const table = buildTable(topology, [
    { datapath: 'native', result: fakeResult([100]) },
    { datapath: 'bridged', result: fakeResult([20, 20, 10, 10]) },
    { datapath: 'iov', result: fakeResult([20, 20, 20, 20]) },
  ]);
  const link = 1000e6 / 8 / 2 ** 20;
  assert.equal(table.linkMiBps, link);
  assert.equal(table.rateMbit, 1000);
  assert.deepEqual(
    table.rows.map((r) => [r.datapath, r.total, r.pctOfNative, r.pctOfLink]),
    [
      ['native', 100, 100, (100 / link) * 100],
      ['bridged', 60, 60, (60 / link) * 100],
      ['iov', 80, 80, (80 / link) * 100],
    ],
  );
  assert.equal(table.bridgedOverIov, 0.75);
  const unshaped = buildTable(resolveTopology(presetSpec('tiny')), [
    { datapath: 'bridged', result: fakeResult([5]) },
  ]);
  assert.deepEqual(
    [
      unshaped.rateMbit,
      unshaped.linkMiBps,
      unshaped.rows[0]?.pctOfLink,
      unshaped.rows[0]?.pctOfNative,
      unshaped.bridgedOverIov,
    ],
    [null, null, null, null, null],
  );
});
