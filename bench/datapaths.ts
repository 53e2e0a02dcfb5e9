/**
 * bench datapaths: the study's claim (1) on the emulated paper cluster with its dom0. On
 * `paper` (unshaped; each host's bridged vms behind its user-space dom0 backend, dom0 and
 * guests under their CPU budgets) for native, bridged and iov, and bridged with
 * `backend: kernel` for reference, each round measures, in a rotating order of the data paths:
 * the stream test over the study's concurrent pairs (node1->node5 ... node4->node8; native: as
 * many streams host0->host1), and the 8-byte round trip (rr, 8-byte request and response) on the first pair
 * alone. 7 rounds; medians and 95% intervals of the means (Student's t).
 *
 * Target: claim (1) with disjoint intervals: IOV's interval above BRIDGED's, NATIVE's not below
 * IOV's. The metric is the smaller of iov.low / bridged.high and native.high / iov.low (both
 * at least 1 when the claim holds). It prints BRIDGED/IOV and IOV/NATIVE beside the paper's
 * netperf ratios 0.67 and 0.78.
 */
import { SINGLE_RUN } from '../src/bench/iterate.js';
import { type Pair, studyPairs } from '../src/bench/pairs.js';
import { runPairs } from '../src/bench/run.js';
import { median } from '../src/bench/stats.js';
import type { RrParams, StreamParams } from '../src/bench/types.js';
import { formatTable } from '../src/cli/table.js';
import { compare, type Estimate, estimate, show } from '../src/report/views/claims.js';
import { presetSpec } from '../src/topology/presets.js';
import { resolveTopology } from '../src/topology/resolve.js';
import type { Datapath, Topology } from '../src/topology/types.js';
import {
  buildTestbed,
  env,
  interrupt,
  removeTestbed,
  requireRoot,
  stopIfInterrupted,
  verdict,
} from './support.js';

const ROUNDS = 7;
const stream: StreamParams = {
  test: 'stream',
  sizeBytes: 131072,
  durationMs: 3000,
  warmupMs: 1000,
};
const rr: RrParams = {
  test: 'rr',
  requestBytes: 8,
  responseBytes: 8,
  durationMs: 2000,
  warmupMs: 500,
};
requireRoot('datapaths');

interface Side {
  readonly name: string;
  readonly datapath: Datapath;
  readonly kernel: boolean;
}
const SIDES: readonly Side[] = [
  { name: 'native', datapath: 'native', kernel: false },
  { name: 'bridged', datapath: 'bridged', kernel: false },
  { name: 'iov', datapath: 'iov', kernel: false },
  { name: 'bridged (backend: kernel)', datapath: 'bridged', kernel: true },
];

const built: { side: Side; topology: Topology; id: string; pairs: Pair[] }[] = [];
const figures = new Map<string, { stream: number[]; rttUs: number[] }>();
try {
  for (const side of SIDES) {
    const spec = presetSpec('paper');
    const topology = resolveTopology(
      side.kernel ? { ...spec, dom0: { ...spec.dom0, backend: 'kernel' } } : spec,
      { datapath: side.datapath, rateMbit: 0 },
    );
    const id = await buildTestbed(topology, 'd');
    built.push({ side, topology, id, pairs: studyPairs(topology, id) });
    figures.set(side.name, { stream: [], rttUs: [] });
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < built.length; k++) {
      const { side, pairs } = built[(round + k) % built.length] as (typeof built)[number];
      stopIfInterrupted();
      const f = figures.get(side.name) as { stream: number[]; rttUs: number[] };
      const s = await runPairs(env, pairs, {
        tool: 'vmpath',
        params: stream,
        policy: SINGLE_RUN,
        signal: interrupt,
      });
      f.stream.push(s.total.mean);
      const r = await runPairs(env, pairs.slice(0, 1), {
        tool: 'vmpath',
        params: rr,
        policy: SINGLE_RUN,
        signal: interrupt,
      });
      f.rttUs.push(1e6 / r.total.mean);
    }
  }
} finally {
  for (const { id } of built) await removeTestbed(id);
}

const est = (name: string) => estimate(figures.get(name)?.stream ?? []) as Estimate;
const rows = SIDES.map((side) => {
  const f = figures.get(side.name) as { stream: number[]; rttUs: number[] };
  return [
    side.name,
    Number(median(f.stream).toFixed(0)),
    show(estimate(f.stream)),
    Number(median(f.rttUs).toFixed(1)),
    show(estimate(f.rttUs), 1),
    f.stream.map((v) => v.toFixed(0)).join(' '),
  ];
});
process.stdout.write(
  `${formatTable(['data path', 'stream MiB/s (median)', 'mean [95% CI] (n)', '8 B round trip us (median)', 'mean [95% CI] (n)', 'stream runs'], rows)}\n\n`,
);
const [native, bridged, iov] = [est('native'), est('bridged'), est('iov')];
const ratio = (a: Estimate, b: Estimate) => (a.mean / b.mean).toFixed(2);
process.stdout.write(
  `BRIDGED/IOV ${ratio(bridged, iov)} (paper 0.67), IOV/NATIVE ${ratio(iov, native)} (paper 0.78); iov vs bridged: ${compare(iov, bridged)}, native vs iov: ${compare(native, iov)}\n`,
);
process.stdout.write(
  `paper preset unshaped, ${ROUNDS} rounds in rotating order; stream ${stream.durationMs / 1000} s after ${stream.warmupMs / 1000} s warm-up over the 4 concurrent pairs (native: 4 streams host0->host1), rr 8 B on node1->node5 (native: host0->host1) alone\n`,
);
const metric = Math.min(iov.low / bridged.high, native.high / iov.low);
process.stdout.write(`${verdict('datapaths', 'claim1_margin', metric, '>=', 1)}\n`);
