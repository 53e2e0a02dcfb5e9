/**
 * bench mpi-launch: what launching a program the way a cluster does costs. On `paper` (bridged,
 * unshaped), `vmpath run mpi -n 16` of a trivial program (bench/apps/hello.c: MPI_Init, one
 * line, MPI_Finalize), the whole command as a user types it, with its Open MPI daemons (one
 * per vm: 8 under block) entered through the launch agent, against plain `mpirun -np 16` of
 * the same program on this machine (one node, no daemon to start); alternately, 9 times each.
 * Also printed: mpirun's own wall time inside vmpath run mpi (the daemons' start-up included).
 * The figure is the ratio of the medians. Target: at most 1.5.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from '../src/bench/stats.js';
import { formatTable } from '../src/cli/table.js';
import { presetSpec } from '../src/topology/presets.js';
import { resolveTopology } from '../src/topology/resolve.js';
import {
  alternate,
  buildTestbed,
  env,
  removeTestbed,
  requireOpenMpi,
  requireRoot,
  verdict,
} from './support.js';

requireRoot('mpi-launch');
requireOpenMpi('mpi-launch');

const ROUNDS = 9;
const RANKS = 16;
const CLI = fileURLToPath(new URL('../../bin/vmpath.js', import.meta.url));
const SOURCE = fileURLToPath(new URL('../../bench/apps/hello.c', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'vmpath-bench-mpi-launch-'));
const program = join(dir, 'hello');
const built = spawnSync('mpicc', ['-O2', '-o', program, SOURCE], { encoding: 'utf8' });
if (built.status !== 0) throw new Error(`mpicc: ${built.stderr}`);

/** Seconds `argv` takes, which must exit 0 and print the program's line. */
function timed(argv: string[], extraEnv: NodeJS.ProcessEnv = {}): { seconds: number; out: string } {
  const began = performance.now();
  const r = spawnSync(argv[0] as string, argv.slice(1), {
    encoding: 'utf8',
    env: { ...process.env, ...extraEnv },
    timeout: 120_000,
  });
  const seconds = (performance.now() - began) / 1000;
  if (r.status !== 0 || !r.stdout.includes(`hello from ${RANKS} ranks`))
    throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { seconds, out: r.stdout };
}

const topology = resolveTopology(presetSpec('paper'), { datapath: 'bridged', rateMbit: 0 });
const id = await buildTestbed(topology, 'l');
const inner: number[] = [];
let figures: Record<'vmpath' | 'mpirun', number[]>;
try {
  figures = await alternate(ROUNDS, ['vmpath', 'mpirun'] as const, async (side) => {
    if (side === 'mpirun')
      return timed([
        'mpirun',
        '--allow-run-as-root',
        '--oversubscribe',
        '-np',
        String(RANKS),
        program,
      ]).seconds;
    const { seconds, out } = timed(
      [
        process.execPath,
        CLI,
        'run',
        'mpi',
        '--id',
        id,
        '-n',
        String(RANKS),
        '--json',
        '--',
        program,
      ],
      { VMPATH_STATE_DIR: env.stateDir },
    );
    const records = (
      JSON.parse(out.slice(out.indexOf('{'))) as { records: { summary: { wallS: number } }[] }
    ).records;
    inner.push(records[0]?.summary.wallS ?? Number.NaN);
    return seconds;
  });
} finally {
  await removeTestbed(id);
  rmSync(dir, { recursive: true, force: true });
}

const row = (name: string, xs: number[]) => [
  name,
  Number(median(xs).toFixed(3)),
  Number(Math.min(...xs).toFixed(3)),
  Number(Math.max(...xs).toFixed(3)),
];
process.stdout.write(
  `${formatTable(
    ['command', 'median s', 'min s', 'max s'],
    [
      row(`vmpath run mpi -n ${RANKS} (paper, bridged; the whole command)`, figures.vmpath),
      row('  of which mpirun (8 daemons, one per vm, through the launch agent)', inner),
      row(`mpirun -np ${RANKS} on this machine`, figures.mpirun),
    ],
  )}\n\n`,
);
process.stdout.write(`${ROUNDS} alternating runs per side; the ratio of the medians\n`);
const ratio = median(figures.vmpath) / median(figures.mpirun);
process.stdout.write(`${verdict('mpi-launch', 'ratio', ratio, '<=', 1.5)}\n`);
