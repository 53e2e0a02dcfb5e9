/**
 * bench osu-collectives: the runtime's barrier, bcast and allreduce against Open MPI's, OSU-style
 * (src/bench/osu-coll-rank.ts and apps/osu-c/osu-coll.c built with mpicc), on the paper preset
 * with the iov data path, 2, 4, 8 and 16 ranks under the cyclic placement (consecutive ranks on
 * different hosts; from 4 ranks on, two ranks share each vm: shared memory inside a vm, tcp
 * between vms, as vader and the TCP BTL for Open MPI). Sizes 8 B to 1 MiB, doubling. Per rank
 * count the two engines run alternately ROUNDS times; medians per test and size.
 * Target (issue 23): vmpath's time at most 2x Open MPI's at every size and rank count.
 * VMPATH_BENCH_RANKS (say 16 or 2,16) and VMPATH_BENCH_ROUNDS narrow a run.
 */

import {
  buildCollTwin,
  type CollJob,
  type CollPoint,
  openMpiColl,
  vmpathColl,
} from '../src/bench/osu-coll.js';
import { median } from '../src/bench/stats.js';
import { formatTable } from '../src/cli/table.js';
import { place } from '../src/placement/patterns.js';
import { presetSpec } from '../src/topology/presets.js';
import { resolveTopology } from '../src/topology/resolve.js';
import { sizeLabel } from './osu-support.js';
import {
  buildTestbed,
  env,
  interrupt,
  removeTestbed,
  requireOpenMpi,
  requireRoot,
  stopIfInterrupted,
  verdict,
} from './support.js';

const TESTS = ['barrier', 'bcast', 'allreduce'] as const;
const SIZES = [8, 1 << 20] as const;
const positive = (name: string, text: string) => {
  const n = Number(text);
  if (Number.isInteger(n) && n >= 1) return n;
  process.stderr.write(
    `osu-collectives: ${name}: got ${JSON.stringify(text)}; allowed: integers >= 1\n`,
  );
  process.exit(2);
};
const RANKS = (process.env.VMPATH_BENCH_RANKS ?? '2,4,8,16')
  .split(',')
  .map((t) => positive('VMPATH_BENCH_RANKS', t));
const ROUNDS = positive('VMPATH_BENCH_ROUNDS', process.env.VMPATH_BENCH_ROUNDS ?? '3');

requireRoot('osu-collectives');
requireOpenMpi('osu-collectives');
const { program, remove } = await buildCollTwin(env);
process.on('exit', remove);

const topology = resolveTopology(presetSpec('paper'), { datapath: 'iov' });
const id = await buildTestbed(topology);
type Engine = 'vmpath' | 'openmpi';
const key = (p: { test: string; bytes: number }) => `${p.test} ${p.bytes}`;
const results: { ranks: number; medians: Record<Engine, Map<string, CollPoint>> }[] = [];
try {
  for (const ranks of RANKS) {
    const job: CollJob = {
      topology,
      id,
      placement: place(topology, 'cyclic', ranks),
      tests: TESTS,
      sizes: SIZES,
    };
    const runs: Record<Engine, CollPoint[][]> = { vmpath: [], openmpi: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order: Engine[] = round % 2 ? ['openmpi', 'vmpath'] : ['vmpath', 'openmpi'];
      for (const engine of order) {
        stopIfInterrupted();
        const began = performance.now();
        runs[engine].push(
          engine === 'vmpath'
            ? await vmpathColl(env, job, interrupt)
            : await openMpiColl(env, program, job, interrupt),
        );
        process.stderr.write(
          `osu-collectives: ${ranks} ranks, ${engine}, round ${round + 1}: ${((performance.now() - began) / 1000).toFixed(1)} s\n`,
        );
      }
    }
    const medians = {} as Record<Engine, Map<string, CollPoint>>;
    for (const engine of ['vmpath', 'openmpi'] as const) {
      const byKey = new Map<string, CollPoint[]>();
      for (const run of runs[engine])
        for (const p of run) byKey.set(key(p), [...(byKey.get(key(p)) ?? []), p]);
      medians[engine] = new Map(
        [...byKey].map(([k, ps]) => [
          k,
          {
            test: (ps[0] as CollPoint).test,
            bytes: (ps[0] as CollPoint).bytes,
            value: median(ps.map((p) => p.value)),
            max: median(ps.map((p) => p.max)),
            cpu: median(ps.map((p) => p.cpu)),
          },
        ]),
      );
    }
    results.push({ ranks, medians });
  }
} finally {
  await removeTestbed(id);
}

const worst: (string | number)[][] = [];
let ratioMax = 0;
for (const { ranks, medians } of results) {
  const rows: string[][] = [];
  for (const test of TESTS) {
    let testWorst = { ratio: 0, at: '' };
    for (const p of medians.vmpath.values()) {
      if (p.test !== test) continue;
      const ref = medians.openmpi.get(key(p));
      if (!ref) throw new Error(`Open MPI has no ${key(p)} at ${ranks} ranks`);
      const ratio = p.value / ref.value;
      if (ratio > testWorst.ratio)
        testWorst = { ratio, at: test === 'barrier' ? '' : sizeLabel(p.bytes) };
      rows.push([
        test,
        test === 'barrier' ? '' : sizeLabel(p.bytes),
        p.value.toFixed(1),
        ref.value.toFixed(1),
        ratio.toFixed(2),
        p.cpu.toFixed(1),
        ref.cpu.toFixed(1),
      ]);
    }
    worst.push([ranks, test, testWorst.at, testWorst.ratio.toFixed(2)]);
    ratioMax = Math.max(ratioMax, testWorst.ratio);
  }
  process.stdout.write(
    `${ranks} ranks (paper, iov, cyclic placement)\n${formatTable(['test', 'size', 'vmpath us', 'Open MPI us', 'ratio', 'vmpath CPU us', 'Open MPI CPU us'], rows)}\n\n`,
  );
}
process.stdout.write(
  `largest vmpath/Open MPI per rank count and test\n${formatTable(['ranks', 'test', 'at', 'ratio'], worst)}\n\n`,
);
process.stdout.write(
  `${ROUNDS} alternating runs per engine and rank count; medians of the mean over ranks of each rank's mean time per call (us), and of its CPU time per call (user and system)\n`,
);
process.stdout.write(`${verdict('osu-collectives', 'ratio_max', ratioMax, '<=', 2)}\n`);
