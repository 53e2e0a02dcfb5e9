/**
 * bench osu-local: the runtime's local transport (shared-memory pipes, rung for on a Unix
 * socket) against Open MPI's shared-memory BTL (vader), OSU-style, on tiny with the shm data path: two ranks in
 * one vm (intra-vm), and two ranks in the two vms of one host (inter-vm, the shm data path;
 * Open MPI's vader across the two namespaces). Per case the engines run alternately 3 times;
 * medians per size. Target: intra-vm bandwidth at 1 MiB at least 0.5x Open MPI's vader; also
 * printed, the 8-byte latency of each case against issue 23's 5 us.
 */
import { formatTable } from '../src/cli/table.js';
import { findNode } from '../src/testbed/nodes.js';
import {
  at,
  curveTable,
  OSU_ROUNDS,
  OSU_SIZES,
  openMpi,
  osuCurves,
  prepareOsu,
  vmpathOsu,
} from './osu-support.js';
import { onPairs, verdict } from './support.js';

const MiB = 1 << 20;
const program = await prepareOsu('osu-local');

const [cases] = await onPairs(['shm'], async (_datapath, pair, testbed) => {
  // tiny: host0 runs node1 and node2, each with one slot; two ranks in node1 oversubscribe it,
  // as Open MPI's do (--oversubscribe).
  const a = pair.from;
  const b = findNode(testbed.topology, testbed.id, testbed.topology.hosts[0]?.vms[1]?.name ?? '');
  const out = [];
  for (const [name, second] of [
    ['intra-vm', a],
    ['inter-vm (shm)', b],
  ] as const) {
    const curves = await osuCurves(
      (test) => vmpathOsu(testbed, a.name, second.name, test, OSU_SIZES),
      (test) => openMpi(program, a, second, 'vader', test, OSU_SIZES),
    );
    out.push({ name, ...curves });
  }
  return out;
});

const summary: (string | number)[][] = [];
let intraRatio = Number.NaN;
for (const { name, latency, bw } of cases ?? []) {
  process.stdout.write(curveTable(name, { latency, bw }));
  const ratio = at(bw.vmpath, MiB) / at(bw.openmpi, MiB);
  if (name === 'intra-vm') intraRatio = ratio;
  summary.push([
    name,
    at(latency.vmpath, 8).toFixed(1),
    at(latency.openmpi, 8).toFixed(1),
    at(bw.vmpath, MiB).toFixed(0),
    at(bw.openmpi, MiB).toFixed(0),
    ratio.toFixed(3),
  ]);
}
process.stdout.write(
  `${formatTable(['case', '8 B vmpath us', '8 B Open MPI us', '1 MiB vmpath MiB/s', '1 MiB Open MPI MiB/s', 'vmpath/Open MPI'], summary)}\n\n`,
);
// The local latency target (issue 23), beside the bench's own bandwidth target.
const LATENCY_TARGET_US = 5;
process.stdout.write(
  `${formatTable(
    ['case', '8 B latency target', 'vmpath us', ''],
    (cases ?? []).map(({ name, latency }) => {
      const us = at(latency.vmpath, 8);
      return [
        name,
        `<= ${LATENCY_TARGET_US} us`,
        us.toFixed(1),
        us <= LATENCY_TARGET_US ? 'met' : 'missed',
      ];
    }),
  )}\n\n`,
);
process.stdout.write(
  `${OSU_ROUNDS} alternating runs per engine and case (Open MPI: --mca btl vader,self); medians per size\n`,
);
process.stdout.write(`${verdict('osu-local', 'bw_1MiB_ratio', intraRatio, '>=', 0.5)}\n`);
