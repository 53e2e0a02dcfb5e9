/**
 * bench mpi-advice: the advisor on MPI programs it did not write. The paper preset (unshaped)
 * with bridged, iov and shm testbeds, calibrated in turns as `vmpath calibrate` does (with its
 * Open MPI part), or `-- --calibrations DIR` (calibration-{bridged,iov,shm}.json, as `--keep`
 * leaves them) to reuse a calibration; then each program of apps/ (halo2d, alltoall, wavefront:
 * 16 ranks) is profiled once (vmpath run mpi --profile, block placement, bridged), advised from
 * that matrix (every data path x the named placements and the optimized one, priced in Open
 * MPI's measured classes), its computation anchored on one reference run of the advisor's pick,
 * and every candidate run 9 times in rotating order (one configuration's runs spread by
 * 1.3-1.8x here: with 5 each, two names of one deployment measured 28% apart). The figure is the
 * advisor's regret per program (measured time of its pick over the best measured deployment,
 * minus one); target at most 10% for every program. Also printed: each prediction's error.
 * `-- --keep DIR` keeps the calibrations.
 */

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from '../src/bench/stats.js';
import { formatValidation } from '../src/cli/format-model.js';
import { type Target, testbedTarget } from '../src/cluster/target.js';
import { calibrateInTurns } from '../src/experiment/calibrate.js';
import { mpiCacheDir, runMpi } from '../src/experiment/mpi-run.js';
import { type Checked, regret } from '../src/experiment/validate.js';
import { measureProgramCases, runCandidate } from '../src/experiment/validate-mpi.js';
import { advise, anchoredComputation, type Candidate } from '../src/model/advise.js';
import { type Calibration, parseCalibration } from '../src/model/calibration.js';
import { place } from '../src/placement/patterns.js';
import { TestbedState } from '../src/testbed/state.js';
import { presetSpec } from '../src/topology/presets.js';
import { resolveTopology } from '../src/topology/resolve.js';
import type { Datapath, Topology } from '../src/topology/types.js';
import {
  buildTestbed,
  env,
  interrupt,
  removeTestbed,
  requireOpenMpi,
  requireRoot,
  verdict,
} from './support.js';

requireRoot('mpi-advice');
requireOpenMpi('mpi-advice');

const DATAPATHS: readonly Datapath[] = ['bridged', 'iov', 'shm'];
const REPEATS = 9;
const RANKS = 16;
const APPS = fileURLToPath(new URL('../../apps/', import.meta.url));
const PROGRAMS: { name: string; source: string; args: string[] }[] = [
  { name: 'halo2d', source: 'halo2d-c/halo2d.c', args: ['768', '768', '4', '4', '200'] },
  { name: 'alltoall', source: 'alltoall-c/alltoall.c', args: ['40', '16384'] },
  { name: 'wavefront', source: 'wavefront-c/wavefront.c', args: ['8000', '1024'] },
];
const option = (name: string) => {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  const value = process.argv[i + 1];
  if (!value) {
    process.stderr.write(`bench mpi-advice: ${name} needs a directory\n`);
    process.exit(2);
  }
  return value;
};
const keepDir = option('--keep');
const reuseDir = option('--calibrations');

const dir = mkdtempSync(join(tmpdir(), 'vmpath-bench-mpi-advice-'));
const programs = PROGRAMS.map((p) => {
  const program = join(dir, p.name);
  const built = spawnSync('mpicc', ['-O2', '-o', program, join(APPS, p.source), '-lm'], {
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`mpicc ${p.name}: ${built.stderr}`);
  return { ...p, program };
});

const testbeds = new Map<Datapath, Target>();
const calibrations = new Map<Datapath, { calibration: Calibration; source: string }>();
const results: {
  name: string;
  rows: Checked[];
  computeS: number;
  referenceS: number;
  anchor: string;
}[] = [];
let calibrationS = Number.NaN;
try {
  for (const datapath of DATAPATHS) {
    const topology = resolveTopology(presetSpec('paper'), { datapath, rateMbit: 0 });
    testbeds.set(datapath, testbedTarget({ topology, id: await buildTestbed(topology, 'a') }));
  }
  if (reuseDir) {
    for (const datapath of DATAPATHS) {
      const source = join(reuseDir, `calibration-${datapath}.json`);
      const calibration = parseCalibration(JSON.parse(readFileSync(source, 'utf8')), source);
      calibrations.set(datapath, { calibration, source });
    }
  } else {
    const records = [...testbeds.values()].map(({ id }) => {
      const record = new TestbedState(env.stateDir, id).read();
      if (!record) throw new Error(`testbed ${id} has no record`);
      return record;
    });
    const began = performance.now();
    const measured = await calibrateInTurns(env, records.map(testbedTarget), {
      signal: interrupt,
      onStep: (id, text) => process.stderr.write(`calibrate ${id}: ${text}\n`),
    });
    calibrationS = (performance.now() - began) / 1000;
    if (keepDir) mkdirSync(keepDir, { recursive: true });
    for (const calibration of measured) {
      const source = join(keepDir ?? dir, `calibration-${calibration.datapath}.json`);
      writeFileSync(source, JSON.stringify(calibration, null, 2));
      calibrations.set(calibration.datapath, { calibration, source });
    }
  }
  const bridged = testbeds.get('bridged') as { topology: Topology; id: string };
  for (const p of programs) {
    const profiled = await runMpi(
      {
        topology: bridged.topology,
        id: bridged.id,
        placement: place(bridged.topology, 'block', RANKS),
        program: p.program,
        args: p.args,
        repeats: 1,
        timeoutMs: 900_000,
        profile: true,
        env: {},
        oversubscribe: false,
      },
      { runner: env.runner, signal: interrupt, cacheDir: mpiCacheDir(env.stateDir) },
    );
    const matrix = profiled.repeats[0]?.matrix;
    if (!matrix) throw new Error(`${p.name}: no matrix from the profiled run`);
    const workload = {
      kind: 'matrix' as const,
      traffic: matrix.matrix,
      engine: 'openmpi' as const,
    };
    const command = { program: p.program, args: p.args };
    const first = advise(bridged.topology, calibrations, workload, RANKS).ranked;
    const pick = first[0] as Candidate;
    const referenceS = await runCandidate(env, testbeds, command, pick, interrupt);
    const computeS = anchoredComputation(pick, referenceS);
    const ranked = advise(bridged.topology, calibrations, { ...workload, computeS }, RANKS).ranked;
    const rows = await measureProgramCases(env, testbeds, command, ranked, REPEATS, {
      signal: interrupt,
      onRun: (c, s) =>
        process.stderr.write(
          `${p.name} ${c.datapath} ${c.placement}: ${(s * 1000).toFixed(1)} ms\n`,
        ),
    });
    results.push({
      name: `${p.name} ${p.args.join(' ')}`,
      rows,
      computeS,
      referenceS,
      anchor: pick.deployment,
    });
  }
} finally {
  for (const { id } of testbeds.values()) await removeTestbed(id);
  rmSync(dir, { recursive: true, force: true });
}

for (const { name, rows, computeS, referenceS, anchor } of results)
  process.stdout.write(
    `${name} (${RANKS} ranks), by predicted time; computation ${(computeS * 1000).toFixed(1)} ms from a reference run of ${(referenceS * 1000).toFixed(1)} ms:\n${formatValidation(rows, anchor)}\n\n`,
  );
process.stdout.write(
  `${reuseDir ? `calibrations from ${reuseDir}` : `calibrated ${DATAPATHS.join(', ')} in turns in ${calibrationS.toFixed(0)} s`}; ${REPEATS} runs per candidate in rotating order; the program's own time (MPI_Init to MPI_Finalize); medians\n`,
);
const regrets = results.map(({ rows }) => regret(rows).regret);
// The errors of the deployments whose computation came from another's run.
const errors = results.flatMap(({ rows, anchor }) =>
  rows.filter((r) => r.deployment !== anchor).map((r) => Math.abs(r.error)),
);
process.stdout.write(
  `regret per program: ${results.map((r, i) => `${r.name.split(' ')[0]} ${((regrets[i] as number) * 100).toFixed(1)}%`).join(', ')}; median absolute error ${(median(errors) * 100).toFixed(1)}%\n`,
);
process.stdout.write(`${verdict('mpi-advice', 'regret_max', Math.max(...regrets), '<=', 0.1)}\n`);
