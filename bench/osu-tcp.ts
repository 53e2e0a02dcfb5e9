/**
 * bench osu-tcp: the runtime's tcp transport against Open MPI's TCP BTL, OSU-style, on each
 * data path (tiny, unshaped; rank 0 on host0's first vm, rank 1 on host1's). Per data path the
 * two engines run alternately 3 times (src/bench/osu-rank.ts and apps/osu-c/osu.c built with mpicc),
 * with a plain Node TCP ping-pong of 8 bytes as the latency reference; medians per size.
 * Targets: bandwidth at 1 MiB at least 0.9x Open MPI's on every data path (the verdict line);
 * 8-byte latency at most 1.1x the plain Node ping-pong on every data path, and (issue 23) at
 * most 2x Open MPI's, printed in a table of targets before it.
 */
import { median } from '../src/bench/stats.js';
import { formatTable } from '../src/cli/table.js';
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
import { onPairs, plainPingPong, verdict } from './support.js';

const MiB = 1 << 20;
const program = await prepareOsu('osu-tcp');

const measured = await onPairs(['native', 'bridged', 'iov'], async (datapath, pair, testbed) => {
  const curves = await osuCurves(
    (test) => vmpathOsu(testbed, pair.from.name, pair.to.name, test, OSU_SIZES),
    (test) => openMpi(program, pair.from, pair.to, 'tcp', test, OSU_SIZES),
  );
  const plain: number[] = [];
  for (let round = 0; round < OSU_ROUNDS; round++)
    plain.push(await plainPingPong(pair, 8, 2000, 300));
  return { datapath, ...curves, plain: median(plain) };
});

const summary: (string | number)[][] = [];
const bwRatios: number[] = [];
const latRatios: number[] = [];
for (const { datapath, latency, bw, plain } of measured) {
  process.stdout.write(curveTable(`${datapath} (tcp between hosts)`, { latency, bw }));
  const bwRatio = at(bw.vmpath, MiB) / at(bw.openmpi, MiB);
  const latRatio = at(latency.vmpath, 8) / plain;
  bwRatios.push(bwRatio);
  latRatios.push(latRatio);
  summary.push([
    datapath,
    at(latency.vmpath, 8).toFixed(1),
    plain.toFixed(1),
    at(latency.openmpi, 8).toFixed(1),
    latRatio.toFixed(3),
    at(bw.vmpath, MiB).toFixed(0),
    at(bw.openmpi, MiB).toFixed(0),
    bwRatio.toFixed(3),
  ]);
}
process.stdout.write(
  `${formatTable(['datapath', '8 B vmpath us', '8 B plain Node us', '8 B Open MPI us', 'vmpath/plain', '1 MiB vmpath MiB/s', '1 MiB Open MPI MiB/s', 'vmpath/Open MPI'], summary)}\n\n`,
);
process.stdout.write(
  `${OSU_ROUNDS} alternating runs per engine and data path (Open MPI: --mca btl tcp,self); medians per size\n`,
);
// The other targets, as a table: the bench ends with one verdict line, bandwidth's.
const latencyMax = Math.max(...latRatios);
const openMpi8 = measured.map(({ latency }) => at(latency.vmpath, 8) / at(latency.openmpi, 8));
const check = (ok: boolean) => (ok ? 'met' : 'missed');
process.stdout.write(
  `${formatTable(
    ['target', 'value', ''],
    [
      ['8 B vmpath/plain Node, largest, <= 1.1', latencyMax.toFixed(3), check(latencyMax <= 1.1)],
      ...measured.map(({ datapath }, i) => [
        `8 B vmpath/Open MPI on ${datapath}, <= 2 (issue 23)`,
        (openMpi8[i] as number).toFixed(2),
        check((openMpi8[i] as number) <= 2),
      ]),
    ],
  )}\n\n`,
);
process.stdout.write(
  `${verdict('osu-tcp', 'bw_1MiB_ratio_min', Math.min(...bwRatios), '>=', 0.9)}\n`,
);
