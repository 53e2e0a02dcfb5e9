/**
 * bench rr-vs-node: does vmpath's rr test add latency of its own? On each data path, vmpath rr
 * (1-byte request and response) and the plainest Node ping-pong (bench/pingpong.ts) run
 * alternately on the same pair, 5 times each; the figure is the median ratio of mean latency
 * vmpath/plain. Target: at most 1.2 on every data path.
 */
import { SINGLE_RUN } from '../src/bench/iterate.js';
import type { Pair } from '../src/bench/pairs.js';
import { runPairs } from '../src/bench/run.js';
import { median } from '../src/bench/stats.js';
import type { RrParams, RrRun } from '../src/bench/types.js';
import { formatTable } from '../src/cli/table.js';
import {
  alternate,
  env,
  interrupt,
  onPairs,
  plainPingPong,
  requireRoot,
  verdict,
} from './support.js';

const ROUNDS = 5;
const params: RrParams = {
  test: 'rr',
  requestBytes: 1,
  responseBytes: 1,
  durationMs: 3000,
  warmupMs: 500,
};
requireRoot('rr-vs-node');

function plain(pair: Pair): Promise<number> {
  return plainPingPong(pair, params.requestBytes, params.durationMs, params.warmupMs);
}

async function ours(pair: Pair): Promise<number> {
  const result = await runPairs(env, [pair], {
    tool: 'vmpath',
    params,
    policy: SINGLE_RUN,
    signal: interrupt,
  });
  const run = result.pairs[0]?.runs[0] as RrRun;
  return run.latencyUs.mean;
}

const rows: (string | number)[][] = [];
const ratios: number[] = [];
const measured = await onPairs(['native', 'bridged', 'iov'], async (datapath, pair) => {
  const out = await alternate(ROUNDS, ['vmpath', 'plain'] as const, (side) =>
    side === 'vmpath' ? ours(pair) : plain(pair),
  );
  return { datapath, figures: out };
});
for (const { datapath, figures } of measured) {
  const ratio = median(figures.vmpath) / median(figures.plain);
  ratios.push(ratio);
  rows.push([
    datapath,
    Number(median(figures.vmpath).toFixed(1)),
    Number(median(figures.plain).toFixed(1)),
    Number(ratio.toFixed(3)),
  ]);
}
process.stdout.write(
  `${formatTable(['datapath', 'vmpath rr mean us', 'plain Node mean us', 'vmpath/plain'], rows)}\n\n`,
);
process.stdout.write(
  `${ROUNDS} alternating runs per side and data path, 1-byte request/response, ${params.durationMs / 1000} s after ${params.warmupMs / 1000} s warm-up; medians\n`,
);
process.stdout.write(`${verdict('rr-vs-node', 'max_ratio', Math.max(...ratios), '<=', 1.2)}\n`);
