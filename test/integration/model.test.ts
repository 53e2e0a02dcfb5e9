/**
 * The model's commands for real: `vmpath calibrate` on a tiny iov testbed, then predict, advise
 * (with --validate, which brings its own testbed up, runs and compares), simulate at 2048 ranks,
 * and `vmpath profile` of an MPI program under Open MPI whose matrix advise then places; bad
 * input (another topology, a matrix of the wrong size or with negative counts) exits 2.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseCalibration } from '../../src/model/calibration.js';
import { evaluate } from '../../src/model/fit.js';
import { findExecutable } from '../../src/sys/tools.js';
import { vmpath } from '../support/cli.js';
import { programPath, wavefrontMatrix } from '../support/mpi-programs.js';
import { ROOT } from '../support/paths.js';
import { leftovers, SKIP_NO_ROOT, tempDir, testEnv, testId } from '../support/testbed.js';

const env = testEnv();
const STATE = { VMPATH_STATE_DIR: env.stateDir };
/** The rank counts calibrate measures tiny's 4 slots at on this machine: as many ranks as cores
 * (at least 2), doubling while below the slots, then every slot; [2, 4] on 1 or 2 cores, [4]
 * on 4 or more. */
const TINY_SLOTS = 4;
const LEVELS: number[] = [];
for (let ranks = Math.max(2, Math.min(cpus().length, TINY_SLOTS)); ranks < TINY_SLOTS; ranks *= 2)
  LEVELS.push(ranks);
LEVELS.push(TINY_SLOTS);

describe('vmpath calibrate, predict, advise, simulate', { skip: SKIP_NO_ROOT }, () => {
  const dir = tempDir('vmpath-model-');
  const id = testId();
  const other = testId();
  const calibration = join(dir, `calibration-${id}.json`);

  test('calibrate fits every class of tiny iov and bridged testbeds, in turns, and writes their calibrations', () => {
    for (const [bed, datapath] of [
      [id, 'iov'],
      [other, 'bridged'],
    ] as const)
      assert.equal(
        vmpath(['testbed', 'up', '--preset', 'tiny', '--datapath', datapath, '--id', bed], STATE)
          .status,
        0,
      );
    try {
      const result = vmpath(['calibrate', '--id', id, '--id', other], STATE, 480_000, dir);
      assert.equal(result.status, 0, result.stderr);
      assert.match(
        result.stdout,
        new RegExp(`vmpath calibrate: ${id} \\(tiny, iov\\) -> calibration-${id}.json`),
      );
      assert.match(result.stdout, new RegExp(`vmpath calibrate: ${other} \\(tiny, bridged\\)`));
      assert.match(result.stdout, /intra-vm .*\n.*inter-vm .*\n.*inter-host /);
      // In turns: the two take the same measurements, each one's k-th step next to the other's.
      const steps = [...result.stderr.matchAll(/^calibrate (\S+): /gm)].map((m) => m[1]);
      let lead = 0;
      for (const who of steps) {
        lead += who === id ? 1 : -1;
        assert.ok(Math.abs(lead) <= 1, `${id} and ${other} out of turn: ${steps.join(' ')}`);
      }
      // Each: two curves per class (and two of Open MPI's, when it is here), two stream
      // tests, the kernel, and a series per class and depth at each level.
      const openmpi = findExecutable('mpicc', process.env.PATH) !== null;
      const expected = 2 * (3 * 2 * (openmpi ? 2 : 1) + 2 + 1 + LEVELS.length * 3 * 2);
      assert.ok(
        steps.length === expected && lead === 0,
        `${steps.length} steps of ${expected}, ${lead} more for ${id}`,
      );
      const bridged = parseCalibration(
        JSON.parse(readFileSync(join(dir, `calibration-${other}.json`), 'utf8')),
        other,
      );
      assert.equal(bridged.datapath, 'bridged');
      assert.deepEqual(
        bridged.runtime.map((l) => l.ranks),
        LEVELS,
      );
      const cal = parseCalibration(JSON.parse(readFileSync(calibration, 'utf8')), calibration);
      assert.equal(cal.datapath, 'iov');
      assert.deepEqual(Object.keys(cal.classes).sort(), ['inter-host', 'inter-vm', 'intra-vm']);
      for (const c of Object.values(cal.classes)) {
        assert.ok(c.latency.points >= 16, 'a point per size from 8 B to 4 MiB');
        assert.ok((c.latency.segments[0]?.a ?? 0) > 1e-6, 'latency above a microsecond');
        assert.ok(c.latency.error < 1, `fit error ${c.latency.error}`);
      }
      // Open MPI's classes, priced in its own currency: its ping-pong and window curves.
      if (openmpi) {
        const engine = cal.engines?.openmpi?.classes ?? {};
        assert.deepEqual(Object.keys(engine).sort(), ['inter-host', 'inter-vm', 'intra-vm']);
        for (const c of Object.values(engine)) {
          assert.ok(c.latency.points >= 16 && c.stream.points >= 16);
          assert.ok((c.latency.segments[0]?.a ?? 0) > 1e-7, 'Open MPI latency above 0.1 us');
        }
      } else assert.equal(cal.engines, undefined);
      const perCell = evaluate(cal.kernel.step, 2 ** 20) / 2 ** 20;
      assert.ok(perCell > 1e-11 && perCell < 1e-7, `${perCell} s per cell`);
      assert.deepEqual(
        cal.runtime.map((l) => l.ranks),
        LEVELS,
        'as many ranks as cores, then doubling, then every slot',
      );
      for (const level of cal.runtime) {
        assert.deepEqual(Object.keys(level.classes).sort(), ['inter-host', 'inter-vm', 'intra-vm']);
        assert.deepEqual(
          Object.keys(level.thick.classes).sort(),
          ['inter-host', 'inter-vm', 'intra-vm'],
          'the same runs on thick blocks',
        );
        assert.ok(level.thick.depth > level.depth);
        // A single class's figure can sit at the floor (1 us: noise ate the difference once the
        // kernel is taken out); every one stays below 10 ms, and the busiest level's messages
        // cost. (A fit through points at the floor may land a rounding error below it.)
        for (const [depth, classes] of [
          ['thin', level.classes],
          ['thick', level.thick.classes],
        ] as const)
          for (const [name, c] of Object.entries(classes)) {
            const seconds = evaluate(c.cpu, 4608);
            assert.ok(
              seconds > 0.999e-6 && seconds < 0.01,
              `${level.ranks} ranks, ${depth}, ${name}: ${seconds} s at 4608 B; segments ${JSON.stringify(c.cpu.segments)}`,
            );
          }
      }
      const busiest = cal.runtime[cal.runtime.length - 1];
      assert.ok(
        Object.values(busiest?.classes ?? {}).some((c) => evaluate(c.cpu, 73728) > 1e-5),
        'with every slot busy, a message costs the runtime more than 10 us of CPU',
      );
      // The kernel as the ranks of those runs paid it, at the levels with more ranks than cores
      assert.deepEqual(
        cal.kernel.shared.map((l) => l.ranks),
        LEVELS.filter((r) => r > cpus().length),
      );
      for (const { step } of cal.kernel.shared) {
        const sharedPerCell = evaluate(step, 2 ** 18) / 2 ** 18;
        assert.ok(sharedPerCell > 1e-11 && sharedPerCell < 1e-7, `${sharedPerCell} s per cell`);
      }
      for (const level of cal.runtime) {
        assert.ok(level.utilization > 0.2 && level.utilization <= 1);
      }
      assert.ok(cal.sharing.aggregateBytesPerS > 1e7);
    } finally {
      for (const bed of [id, other]) vmpath(['testbed', 'down', '--id', bed], STATE);
    }
    assert.deepEqual([...leftovers(id), ...leftovers(other)], []);
  });

  test('predict and advise: time split, ranking, explanation; the calibration of another topology is refused', () => {
    const small = ['--calibration', calibration, '--grid', '64x64x64', '--steps', '16'];
    const predict = vmpath(['predict', ...small, '--decomp', '1x1x4', '--placement', 'inter-node']);
    assert.equal(predict.status, 0, predict.stderr);
    assert.match(predict.stdout, /wall ms +compute ms +pack ms +comm ms/);
    assert.match(predict.stdout, /inter-host 48/, '3 messages per step cross hosts, 16 steps');
    const advise = vmpath(['advise', ...small, '-n', '4']);
    assert.equal(advise.status, 0, advise.stderr);
    assert.equal(
      advise.stdout.match(/^\d+ +iov +(intra-node|inter-node|hybrid|optimized) /gm)?.length,
      4,
    );
    assert.match(advise.stdout, /^iov with \S+: \d+% of bytes stay inside vms/m);
    const other = vmpath([
      'predict',
      '--calibration',
      calibration,
      '--preset',
      'paper',
      '--decomp',
      '1x1x4',
    ]);
    assert.equal(other.status, 2);
    assert.match(other.stderr, /measured on topology tiny .*allowed: a calibration of paper/);
  });

  test('advise --validate runs the candidates and reports errors and regret', () => {
    const result = vmpath(
      [
        'advise',
        '--calibration',
        calibration,
        '--grid',
        '48x48x48',
        '--steps',
        '8',
        '-n',
        '4',
        '--validate',
        '--repeats',
        '1',
      ],
      STATE,
      600_000,
    );
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /data path +placement +predicted ms +measured ms/);
    assert.match(result.stdout, /median absolute error \d+\.\d%, worst \d+\.\d%/);
    assert.match(result.stdout, /advisor's pick iov \S+: measured [\d.]+ ms; .* regret \d+\.\d%/);
    const left = vmpath(['testbed', 'list'], STATE);
    assert.doesNotMatch(left.stdout, /\bv[0-9a-f]{5}\b/, 'validation testbeds removed');
  });

  test('advise --matrix --validate -- PROGRAM: an Open MPI program priced in its classes, anchored on one run', {
    skip: findExecutable('mpicc', process.env.PATH)
      ? false
      : 'skipped: needs Open MPI (apt-get install -y openmpi-bin libopenmpi-dev)',
  }, () => {
    const m = join(dir, 'wavefront.json');
    writeFileSync(
      m,
      JSON.stringify({
        ranks: 4,
        matrix: wavefrontMatrix(4, 400),
        source: 'openmpi pml monitoring',
      }),
    );
    const asked = ['advise', '--calibration', calibration, '--matrix', m];
    const plain = vmpath(asked, STATE);
    assert.equal(plain.status, 0, plain.stderr);
    assert.match(plain.stdout, /^Figures for the Open MPI engine/m);
    const result = vmpath(
      [...asked, '--validate', '--repeats', '1', '--', programPath('wavefront'), '400', '16'],
      STATE,
      600_000,
    );
    assert.equal(result.status, 0, result.stderr);
    assert.match(
      result.stdout,
      /messages priced in openmpi's measured classes; computation [\d.]+ ms from a reference run of iov \S+ \([\d.]+ ms\)/,
    );
    assert.match(result.stdout, /advisor's pick iov \S+: measured [\d.]+ ms; .* regret \d+\.\d%/);
    assert.match(result.stderr, /validate: reference run iov /);
    // A program without --validate, or a program that is not MPI: exit 2 before any testbed.
    const lone = vmpath([...asked, '--', programPath('wavefront')], STATE);
    assert.equal(lone.status, 2);
    assert.match(lone.stderr, /PROGRAM: .*a program only with --matrix and --validate/);
    const notMpi = vmpath([...asked, '--validate', '--', '/bin/true'], STATE);
    assert.equal(notMpi.status, 2);
    assert.match(notMpi.stderr, /PROGRAM: got "\/bin\/true"; allowed: an MPI program/);
    const engine = vmpath([...asked, '--engine', 'mpich'], STATE);
    assert.equal(engine.status, 2);
    assert.match(engine.stderr, /--engine: got "mpich"; allowed: vmpath, openmpi/);
  });

  test('simulate: 2048 ranks x 512 steps', () => {
    const result = vmpath([
      'simulate',
      '--calibration',
      calibration,
      '--hosts',
      '128',
      '--vms-per-host',
      '8',
      '--slots',
      '2',
      '--json',
    ]);
    assert.equal(result.status, 0, result.stderr);
    const out = JSON.parse(result.stdout) as {
      ranks: number;
      rows: { placement: string; prediction: { wallS: number } }[];
      seconds: number;
    };
    assert.equal(out.ranks, 2048);
    assert.deepEqual(
      out.rows.map((r) => r.placement),
      ['intra-node', 'inter-node', 'hybrid', 'optimized'],
    );
    for (const r of out.rows) assert.ok(r.prediction.wallS > 0);
    const bad = vmpath([
      'simulate',
      '--calibration',
      calibration,
      '--hosts',
      '0',
      '--vms-per-host',
      '8',
      '--slots',
      '2',
    ]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--hosts: got "0"; allowed: a whole number >= 1/);
  });

  test('matrices: bad ones exit 2 naming the entry', () => {
    const file = join(dir, 'bad.json');
    const run = (doc: unknown, n?: string) => {
      writeFileSync(file, JSON.stringify(doc));
      return vmpath([
        'advise',
        '--calibration',
        calibration,
        '--matrix',
        file,
        ...(n ? ['-n', n] : []),
      ]);
    };
    const wrongSize = run({ ranks: 4, matrix: [{ from: 0, to: 1, messages: 1, bytes: 8 }] }, '3');
    assert.equal(wrongSize.status, 2);
    assert.match(wrongSize.stderr, /ranks: got 4; allowed: 3/);
    const negative = run({ ranks: 4, matrix: [{ from: 0, to: 1, messages: 1, bytes: -8 }] });
    assert.equal(negative.status, 2);
    assert.match(negative.stderr, /matrix\.0\.bytes: got -8/);
    const good = run({ ranks: 4, matrix: [{ from: 0, to: 3, messages: 100, bytes: 800000 }] });
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stdout, /^iov with \S+: /m);
  });
});

const SKIP_MPI =
  SKIP_NO_ROOT ||
  (findExecutable('mpicc', process.env.PATH)
    ? false
    : 'skipped: needs Open MPI (apt-get install -y openmpi-bin libopenmpi-dev)');

describe('vmpath profile', { skip: SKIP_MPI }, () => {
  test("an MPI program's matrix from Open MPI's pml monitoring", () => {
    const dir = tempDir('vmpath-profile-');
    const program = join(dir, 'osu');
    const cc = spawnSync('mpicc', ['-O2', '-o', program, join(ROOT, 'apps/osu-c/osu.c')], {
      encoding: 'utf8',
    });
    assert.equal(cc.status, 0, cc.stderr);
    const out = join(dir, 'matrix.json');
    const result = vmpath([
      'profile',
      '-o',
      out,
      '--',
      'mpirun',
      '--allow-run-as-root',
      '--oversubscribe',
      '-np',
      '2',
      program,
      'latency',
      '8',
      '64',
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /vmpath profile: 2 ranks, 2 pairs, \d+ messages/);
    const m = JSON.parse(readFileSync(out, 'utf8')) as {
      ranks: number;
      matrix: { from: number; to: number; messages: number; bytes: number }[];
    };
    assert.equal(m.ranks, 2);
    // 4 sizes (8..64 B) x (2000 + 200 warm-up) messages each way, plus the first warm-up size
    const zeroToOne = m.matrix.find((e) => e.from === 0 && e.to === 1);
    assert.ok(zeroToOne && zeroToOne.messages > 8000 && zeroToOne.bytes > 8000 * 8);
    const notMpi = vmpath(['profile', '--', 'true']);
    assert.equal(notMpi.status, 2);
    assert.match(notMpi.stderr, /COMMAND: got "true"; allowed: mpirun ARGS PROGRAM/);
  });
});
