/**
 * bench stream-vs-iperf3: is vmpath's stream test the bottleneck? On each data path (native,
 * bridged, iov; no rate limit), vmpath stream and iperf3 run alternately on the same pair,
 * 5 times each, 10 s (the stream default) after 1 s of warm-up; the figure is the median
 * ratio vmpath/iperf3 (receiver MiB/s).
 * Target: at least 0.95 on every data path.
 */
import { SINGLE_RUN } from '../src/bench/iterate.js';
import { runPairs } from '../src/bench/run.js';
import { median } from '../src/bench/stats.js';
import type { StreamParams } from '../src/bench/types.js';
import { formatTable } from '../src/cli/table.js';
import { alternate, env, interrupt, onPairs, requireRoot, verdict } from './support.js';

const ROUNDS = 5;
const params: StreamParams = {
  test: 'stream',
  sizeBytes: 131072,
  durationMs: 10_000,
  warmupMs: 1000,
};
requireRoot('stream-vs-iperf3');

const rows: (string | number)[][] = [];
const ratios: number[] = [];
const measured = await onPairs(['native', 'bridged', 'iov'], async (datapath, pair) => {
  const out = await alternate(
    ROUNDS,
    ['vmpath', 'iperf3'] as const,
    async (tool) =>
      (await runPairs(env, [pair], { tool, params, policy: SINGLE_RUN, signal: interrupt })).total
        .mean,
  );
  return { datapath, figures: out };
});
for (const { datapath, figures } of measured) {
  const ratio = median(figures.vmpath) / median(figures.iperf3);
  ratios.push(ratio);
  rows.push([
    datapath,
    Number(median(figures.vmpath).toFixed(1)),
    Number(median(figures.iperf3).toFixed(1)),
    Number(ratio.toFixed(3)),
    figures.vmpath.map((v) => v.toFixed(0)).join(' '),
    figures.iperf3.map((v) => v.toFixed(0)).join(' '),
  ]);
}
process.stdout.write(
  `${formatTable(['datapath', 'vmpath MiB/s', 'iperf3 MiB/s', 'vmpath/iperf3', 'vmpath runs', 'iperf3 runs'], rows)}\n\n`,
);
process.stdout.write(
  `${ROUNDS} alternating runs per tool and data path, ${params.durationMs / 1000} s after ${params.warmupMs / 1000} s warm-up, 128 KiB writes, tiny preset unshaped, node1->node3 (native: host0->host1); medians\n`,
);
process.stdout.write(
  `${verdict('stream-vs-iperf3', 'min_ratio', Math.min(...ratios), '>=', 0.95)}\n`,
);
