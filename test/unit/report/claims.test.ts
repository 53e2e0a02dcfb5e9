/** The study's claims and their verdicts, from stored runs (src/report/views/claims.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readableRuns } from '../../../src/report/records.js';
import { type Claim, checkClaims, compare, estimate } from '../../../src/report/views/claims.js';
import type { RunRecord } from '../../../src/store/db.js';
import { advectSummary, streamSummary } from '../../support/report-fixture.js';

let next = 1;
function stored(kind: 'bench' | 'advect', params: object, summary: object): RunRecord {
  return {
    id: next++,
    sweepId: 1,
    environmentId: 1,
    key: `k${next}`,
    kind,
    params: { kind, ...params } as RunRecord['params'],
    status: 'done',
    startedAt: '2026-12-01T00:00:00Z',
    finishedAt: '2026-12-01T00:00:01Z',
    summary: summary as RunRecord['summary'],
    samples: null,
    error: null,
  };
}

const stream = (datapath: string, total: number, repeat: number) =>
  stored(
    'bench',
    { datapath, test: 'stream', tool: 'vmpath', durationS: 1, repeat },
    streamSummary(total),
  );

/** An advection run; `wall` is its wall time, computation and communication its parts. */
const advect = (
  datapath: string,
  placement: string,
  ranks: number,
  repeat: number,
  wallS: number,
  computeS = 1,
  share = placement === 'inter-node' ? 1 : placement === 'hybrid' ? 7 / 15 : 1 / 15,
) =>
  stored(
    'advect',
    {
      datapath,
      grid: [32, 32, 32],
      steps: 4,
      ranks,
      decomp: [1, 1, ranks],
      placement,
      engine: 'vmpath',
      repeat,
    },
    advectSummary({ wallS, computeS, commS: wallS - computeS, share }, ranks),
  );

const claims = (runs: RunRecord[]): Map<number, Claim> =>
  new Map(checkClaims(readableRuns(runs).typed).map((c) => [c.id, c]));

/** Three repeats with a small wobble, so that intervals are finite and narrow. */
const wobble = [0.99, 1, 1.01];
const repeats = <T>(f: (k: number, w: number) => T[]) => wobble.flatMap((w, i) => f(i + 1, w));

test('intervals: disjoint decides, overlap or a single repeat does not', () => {
  const a = estimate([10, 10.1, 9.9]);
  const b = estimate([5, 5.1, 4.9]);
  assert.ok(a && b);
  assert.equal(compare(a, b), 'above');
  assert.equal(compare(b, a), 'below');
  assert.equal(compare(a, estimate([9, 11, 10]) as NonNullable<typeof a>), 'overlap');
  const one = estimate([5]);
  assert.ok(one && !Number.isFinite(one.high));
  assert.equal(compare(a, one), 'overlap');
});

test("a study's runs shaped like the paper reproduce every claim", () => {
  const runs = repeats((k, w) => [
    stream('native', 812 * w, k),
    stream('iov', 635 * w, k),
    stream('bridged', 426 * w, k),
    // 16 ranks: bridged twice as slow inter-node, 1.5x hybrid, faster intra-node
    advect('bridged', 'inter-node', 16, k, 4 * w),
    advect('iov', 'inter-node', 16, k, 2 * w),
    advect('bridged', 'hybrid', 16, k, 3 * w),
    advect('iov', 'hybrid', 16, k, 2 * w),
    advect('bridged', 'intra-node', 16, k, 1.5 * w),
    advect('iov', 'intra-node', 16, k, 1.8 * w),
    advect('native', 'inter-node', 16, k, 1.5 * w),
    // bridged's pipeline at 8 ranks: less communication than at 16, the same computation
    advect('bridged', 'hybrid', 8, k, 2 * w),
  ]);
  const got = claims(runs);
  assert.deepEqual(
    [...got.values()].map((c) => [c.id, c.verdict]),
    [
      [1, 'reproduced'],
      [2, 'reproduced'],
      [3, 'reproduced'],
      [4, 'reproduced'],
      [5, 'reproduced'],
      [6, 'reproduced'],
    ],
    JSON.stringify([...got.values()], null, 1),
  );
  assert.match(got.get(3)?.ours ?? '', /iov over bridged 2\.00x \[/);
});

test('the other verdicts: reversed, not reproduced, inconclusive', () => {
  const runs = repeats((k, w) => [
    stream('native', 500 * w, k),
    stream('iov', 800 * w, k),
    stream('bridged', 600 * w, k),
    // inter-node: bridged faster (reversed); intra-node: iov faster (reversed for claim 5)
    advect('bridged', 'inter-node', 16, k, 2 * w),
    advect('iov', 'inter-node', 16, k, 3 * w, 2),
    advect('bridged', 'intra-node', 16, k, 3 * w),
    advect('iov', 'intra-node', 16, k, 2 * w),
  ]);
  const got = claims(runs);
  assert.equal(got.get(1)?.verdict, 'not reproduced', 'iov above bridged, native below iov');
  assert.equal(got.get(2)?.verdict, 'not reproduced', 'iov computes twice as long');
  assert.equal(got.get(3)?.verdict, 'reversed');
  assert.equal(got.get(4)?.verdict, 'reversed', 'speedup falls with the share');
  assert.equal(got.get(5)?.verdict, 'reversed');
  assert.equal(got.get(6)?.verdict, 'inconclusive');
  assert.match(got.get(6)?.why ?? '', /not stored/);

  // One repeat only: nothing can be decided.
  const single = claims([
    stream('native', 900, 1),
    stream('iov', 800, 1),
    stream('bridged', 100, 1),
  ]);
  assert.equal(single.get(1)?.verdict, 'inconclusive');
  // Noisy repeats whose intervals overlap.
  const noisy = claims([
    ...[1, 2, 3].map((k) => stream('native', 900, k)),
    ...[1, 2, 3].map((k) => stream('iov', [500, 900, 700][k - 1] as number, k)),
    ...[1, 2, 3].map((k) => stream('bridged', [650, 600, 700][k - 1] as number, k)),
  ]);
  assert.equal(noisy.get(1)?.verdict, 'inconclusive');
  assert.match(noisy.get(1)?.why ?? '', /overlap/);
});
