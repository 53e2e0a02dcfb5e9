/**
 * bench advect-memory: resident memory per rank against its share of the grid, at the study's
 * size (512^3 on 16 ranks, decomposition 1x1x16, as processes of this machine; 4 steps, since
 * memory does not grow with steps), with the C twin on Open MPI as the reference in the same
 * run. Target: the largest vmpath rank's peak resident size at most 2.5x its share (8 bytes
 * per cell of its block).
 */
import { memoryPlan } from '../src/apps/advect/memory.js';
import { makeParams } from '../src/apps/advect/params.js';
import { formatTable } from '../src/cli/table.js';
import { runOnce } from './advect-support.js';
import { requireOpenMpi, verdict } from './support.js';

requireOpenMpi('advect-memory');
const params = makeParams({ grid: [512, 512, 512], steps: 4, decomp: [1, 1, 16] });
const plan = memoryPlan(params);
const MiB = 2 ** 20;
const vmpath = await runOnce(params, { kind: 'local' }, 'vmpath');
const twin = await runOnce(params, { kind: 'local' }, 'openmpi');
if (vmpath.checksum !== twin.checksum)
  throw new Error(`checksums differ: ${vmpath.checksum} and ${twin.checksum}`);
const rows = [vmpath, twin].map((r) => [
  r.engine,
  (plan.shareBytes / MiB).toFixed(1),
  (Math.min(...r.ranks.map((x) => x.maxRssBytes)) / MiB).toFixed(1),
  (r.totals.maxRssBytes / MiB).toFixed(1),
  (r.totals.maxRssBytes / plan.shareBytes).toFixed(2),
]);
process.stdout.write(
  `${formatTable(['engine', 'share MiB', 'min rank RSS MiB', 'max rank RSS MiB', 'max / share'], rows)}\n\n`,
);
process.stdout.write(
  `grid 512^3, 16 ranks (1x1x16), 4 steps; planned per rank ${(plan.rankBytes / MiB).toFixed(0)} MiB (block ${(plan.blockBytes / MiB).toFixed(0)} MiB + runtime); checksum ${vmpath.checksum} on both\n`,
);
process.stdout.write(
  `${verdict('advect-memory', 'rss_over_share', vmpath.totals.maxRssBytes / plan.shareBytes, '<=', 2.5)}\n`,
);
