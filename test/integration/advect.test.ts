/**
 * The advection application end to end through `vmpath run advect`: bitwise-identical results
 * for the serial run and nine decompositions (uneven blocks) as processes of this machine, the
 * C/MPI twin's checksum, and runs on testbeds for each data path under block and cyclic
 * placements (root), on both engines.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AdvectResult } from '../../src/apps/advect/result.js';
import { findExecutable } from '../../src/sys/tools.js';
import { presetSpec } from '../../src/topology/presets.js';
import { resolveTopology } from '../../src/topology/resolve.js';
import type { Datapath } from '../../src/topology/types.js';
import { vmpath } from '../support/cli.js';
import { SKIP_NO_ROOT, testEnv, withTestbed } from '../support/testbed.js';

const env = testEnv();
const PROBLEM = ['--grid', '25x19x23', '--steps', '6'];

function run(args: string[]): AdvectResult & { matrix: unknown } {
  const result = vmpath(
    ['run', 'advect', ...args, '--json'],
    { VMPATH_STATE_DIR: env.stateDir },
    180_000,
  );
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as AdvectResult & { matrix: unknown };
}

const serial = run([...PROBLEM, '--serial']);
const NO_MPI =
  findExecutable('mpicc', process.env.PATH) && findExecutable('mpirun', process.env.PATH)
    ? false
    : 'skipped: needs Open MPI (apt-get install -y openmpi-bin libopenmpi-dev)';

describe('vmpath run advect', () => {
  test('nine decompositions (uneven blocks) give the serial checksum, P-1 messages per pipeline step', () => {
    for (const decomp of [
      '1x1x3',
      '1x3x1',
      '3x1x1',
      '2x2x1',
      '1x2x2',
      '2x1x2',
      '2x2x2',
      '3x2x1',
      '1x1x7',
    ]) {
      const result = run([...PROBLEM, '--decomp', decomp]);
      assert.equal(result.checksum, serial.checksum, `checksum with ${decomp}`);
      assert.equal(result.errors.max, serial.errors.max, `max error with ${decomp}`);
      assert.equal(
        result.ranks.length,
        decomp
          .split('x')
          .map(Number)
          .reduce((a, b) => a * b),
      );
    }
    const pipeline = run([...PROBLEM, '--decomp', '1x1x7', '--warmup', '4']);
    assert.equal(pipeline.checksum, serial.checksum, 'warm-up steps change nothing');
    assert.equal(pipeline.totals.messagesPerStep, 6);
    assert.equal(
      pipeline.ranks.reduce((s, r) => s + r.messagesSent, 0),
      6 * 6,
    );
  });

  test('the result holds parameters, per-rank breakdowns, totals, errors and the checksum', () => {
    const result = run([...PROBLEM, '--decomp', '1x2x2']);
    assert.equal(result.version, 1);
    assert.equal(result.engine, 'vmpath');
    assert.deepEqual(result.params.grid, [25, 19, 23]);
    assert.ok(result.params.courant <= 1);
    for (const r of result.ranks) {
      assert.ok(r.computeS > 0 && r.wallS >= r.computeS, `rank ${r.rank} times`);
      assert.match(r.checksum, /^[0-9a-f]{16}$/);
      assert.ok(r.maxRssBytes > 1 << 20);
    }
    assert.match(result.checksum, /^[0-9a-f]{16}$/);
    assert.ok(result.errors.l1 > 0 && result.errors.l1 < result.errors.max);
    assert.ok(Array.isArray(result.matrix), 'the runtime communication matrix comes along');
  });

  test('the C/MPI twin on Open MPI gives the same checksum', { skip: NO_MPI }, () => {
    for (const decomp of ['1x1x1', '2x1x2']) {
      const result = run([...PROBLEM, '--decomp', decomp, '--engine', 'openmpi', '--warmup', '3']);
      assert.equal(result.params.warmup, 3);
      assert.equal(result.engine, 'openmpi');
      assert.equal(result.checksum, serial.checksum, `twin with ${decomp}`);
      assert.equal(result.totals.messagesPerStep, decomp === '1x1x1' ? 0 : 4);
    }
  });

  test('bad input exits 2 naming the value', () => {
    const bad = (args: string[], message: RegExp) => {
      const result = vmpath(['run', 'advect', ...args], { VMPATH_STATE_DIR: env.stateDir });
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, message);
    };
    bad(['--grid', '0x4x4', '--steps', '1'], /--grid: got "0x4x4"/);
    bad(['--grid', '4x4x4', '--steps', '1', '--decomp', '1x1x5'], /at most 4 processes along Z/);
    bad(['--grid', '4x4x4', '--steps', '1', '--velocity', '1,-1,1'], /--velocity: got "1,-1,1"/);
    bad(['--grid', '8x8x8', '--steps', '1', '--dt', '0.1'], /Courant number 2\.400 > 1/);
    bad(
      ['--grid', '8x8x8', '--steps', '1', '--warmup', 'some'],
      /--warmup: got "some"; allowed: a whole number >= 0/,
    );
    bad(
      ['--grid', '8x8x8', '--steps', '1', '--engine', 'mpich'],
      /--engine: got "mpich"; allowed: vmpath, openmpi/,
    );
    bad(['--grid', '8x8x8', '--steps', '1', '--serial', '--decomp', '2x1x1'], /allowed: 1x1x1/);
    bad(
      ['--grid', '8x8x8', '--steps', '1', '--placement', 'block'],
      /--placement: got "block"; allowed: nothing without --id/,
    );
    bad(['--grid', '8x8x8', '--steps', '1', '--id', 'nothere'], /--id: got "nothere"/);
    bad(
      ['--grid', '8192x8192x8192', '--steps', '1', '--decomp', '1x1x2'],
      /blocks of at most 4 GiB/,
    );
    const noMpi = vmpath(
      ['run', 'advect', '--grid', '8x8x8', '--steps', '1', '--engine', 'openmpi'],
      {
        PATH: '/nonexistent',
      },
    );
    assert.equal(noMpi.status, 2, noMpi.stderr);
    assert.match(noMpi.stderr, /--engine openmpi: mpicc is not on PATH; install Open MPI/);
  });
});

describe('vmpath run advect on testbeds', { skip: SKIP_NO_ROOT }, () => {
  for (const datapath of ['native', 'bridged', 'iov', 'shm'] as Datapath[]) {
    test(`paper ${datapath}: block and cyclic placements give the serial checksum`, async () => {
      const topology = resolveTopology(presetSpec('paper'), { datapath });
      await withTestbed(env, topology, async (id) => {
        for (const placement of ['block', 'cyclic']) {
          const result = run([
            ...PROBLEM,
            '--decomp',
            '2x2x2',
            '--id',
            id,
            '--placement',
            placement,
          ]);
          assert.equal(result.checksum, serial.checksum, `${datapath} ${placement}`);
        }
        if (datapath === 'iov' && !NO_MPI) {
          const twin = run([
            ...PROBLEM,
            '--decomp',
            '2x2x2',
            '--id',
            id,
            '--placement',
            'cyclic',
            '--engine',
            'openmpi',
          ]);
          assert.equal(twin.checksum, serial.checksum, 'the C twin across the testbed');
        }
      });
    });
  }
});
