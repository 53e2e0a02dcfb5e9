/**
 * Sweeps on real testbeds: a sweep killed with SIGKILL at random moments, five times, then
 * resumed, ends with every run recorded exactly once and no testbed left; bad input exits 2 and
 * creates no database; `vmpath reproduce --quick` runs the study and prints its findings.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { parseSweep, specHash } from '../../src/experiment/spec.js';
import { sweepTestbedId } from '../../src/experiment/sweep.js';
import { Store } from '../../src/store/db.js';
import { findExecutable, processAlive, processCmdline } from '../../src/sys/tools.js';
import { assertCharts, OUTPUT_DIR, openReport } from '../support/browser.js';
import { vmpath } from '../support/cli.js';
import { programPath } from '../support/mpi-programs.js';
import { CLI } from '../support/paths.js';
import { leftovers, SKIP_NO_ROOT, tempDir, testEnv } from '../support/testbed.js';

const env = testEnv();
const HAS_MPI = findExecutable('mpicc', process.env.PATH) !== null;
const SPEC = `name: killme
topology: tiny
datapaths: [bridged, iov]
bench: { tests: [rr], durationS: 1 }
advect:
  grid: 20x16x12
  steps: 3
  ranks: [2, 4]
  decomps: [1x1xN, Nx1x1]
  placements: [inter-node, intra-node, hybrid]
${
  HAS_MPI
    ? `mpi:
  command: [${programPath('wavefront')}, 4000, '{n}0']
  ranks: [2, 4]
  placements: [inter-node, intra-node]
`
    : ''
}`;
// per data path: 1 bench run + 2 ranks x 2 decomps x 3 placements (+ 2 ranks x 2 placements)
const TOTAL = 2 * (1 + 12 + (HAS_MPI ? 4 : 0));
if (!HAS_MPI)
  process.stderr.write(
    '# sweep: no mpi block (needs Open MPI: apt-get install -y openmpi-bin libopenmpi-dev)\n',
  );

describe('vmpath sweep', { skip: SKIP_NO_ROOT }, () => {
  test('killed with SIGKILL up to five times at random moments, then resumed: every run once, nothing left', async () => {
    const dir = tempDir('vmpath-sweep-');
    const spec = join(dir, 'spec.yaml');
    const db = join(dir, 'results.db');
    writeFileSync(spec, SPEC);
    let kills = 0;
    for (let attempt = 0; attempt < 5; attempt++) {
      const child = spawn(process.execPath, [CLI, 'sweep', 'run', spec, '--db', db], {
        env: { ...process.env, VMPATH_STATE_DIR: env.stateDir },
        stdio: 'ignore',
      });
      const closed = new Promise((r) => child.once('close', r));
      const delay = new Promise((r) => setTimeout(r, 1000 + Math.random() * 2500));
      // The sweep may finish on its own before the kill: then there is nothing left to kill.
      const finished = await Promise.race([closed.then(() => true), delay.then(() => false)]);
      if (finished) break;
      child.kill('SIGKILL');
      await closed;
      kills++;
    }
    assert.ok(kills >= 2, `killed mid-sweep ${kills} times`);
    const result = vmpath(
      ['sweep', 'run', spec, '--db', db],
      { VMPATH_STATE_DIR: env.stateDir },
      300_000,
    );
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`sweep killme: ${TOTAL} runs; \\d+ were already done`));
    const store = Store.open(db, { create: false });
    try {
      const runs = store.runs();
      const keys = runs.map((r) => r.key);
      assert.equal(new Set(keys).size, keys.length, 'no run recorded twice');
      assert.equal(runs.filter((r) => r.status === 'done').length, TOTAL, 'every run done');
      assert.ok(store.sweeps().length === 1);
    } finally {
      store.close();
    }
    const left = vmpath(['testbed', 'list'], { VMPATH_STATE_DIR: env.stateDir });
    assert.doesNotMatch(left.stdout, /\bs[0-9a-f]{5}(br|io)\b/, 'no sweep testbed left');
    const stale = readdirSync(tmpdir()).filter((f) => {
      const pid = /^vmpath-job-(\d+)-/.exec(f)?.[1];
      return pid !== undefined && !processAlive(Number(pid));
    });
    assert.deepEqual(stale, [], 'job folders of killed launchers are removed');
    const staleMpi = readdirSync(tmpdir()).filter((f) => {
      const pid = /^vmpath-mpi-(\d+)-/.exec(f)?.[1];
      return pid !== undefined && !processAlive(Number(pid));
    });
    assert.deepEqual(staleMpi, [], 'job folders of killed MPI runs are removed');
    // mpirun, its daemons (their command lines name the job's agents) and the ranks.
    const mpiLeft = readdirSync('/proc').flatMap((pid) => {
      const cmdline = /^\d+$/.test(pid) ? (processCmdline(Number(pid)) ?? []).join(' ') : '';
      const ours =
        HAS_MPI && (cmdline.includes('vmpath-mpi-') || cmdline.includes(programPath('wavefront')));
      return ours ? [`${pid}: ${cmdline.slice(0, 160)}`] : [];
    });
    assert.deepEqual(mpiLeft, [], 'no mpirun, daemon or rank of a killed sweep is left');
    const hash = specHash(parseSweep(parse(SPEC)));
    for (const dp of ['bridged', 'iov'] as const)
      assert.deepEqual(
        leftovers(sweepTestbedId(hash, dp)),
        [],
        `no namespace of the ${dp} testbed`,
      );
  });

  test('bad input exits 2 and creates no database', () => {
    const dir = tempDir('vmpath-sweep-bad-');
    const spec = join(dir, 'spec.yaml');
    const db = join(dir, 'results.db');
    const bad = (text: string, message: RegExp) => {
      writeFileSync(spec, text);
      const result = vmpath(['sweep', 'run', spec, '--db', db], { VMPATH_STATE_DIR: env.stateDir });
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(existsSync(db), false, 'no database written');
    };
    bad(
      'datapaths: [iov]\nadvect: { grid: 16x16x16, steps: 1, ranks: [9] }\ntopology: tiny\n',
      /-n: got 9; allowed: 1 to 4/,
    );
    bad(
      'datapaths: [iov]\nadvect: { grid: 8x8x4, steps: 1, ranks: [8] }\n',
      /advect \(8 ranks as 1x1x8\): --decomp: got "1x1x8"; allowed: at most 4 processes along Z/,
    );
    bad(
      'datapaths: [iov]\nadvect: { grid: 8x8x8, steps: 1, ranks: [2], placements: [spiral] }\n',
      /advect\.placements\.0: got "spiral"/,
    );
    bad('datapaths: [warp]\n', /datapaths\.0: got "warp"/);
    bad('datapaths: [iov]\ntopology: { file: missing.yaml }\nbench: {}\n', /missing\.yaml/);
    // not root: refused before the output folder or database exists
    const out = join(dir, 'out');
    const nobody = spawnSync(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        CLI,
        'reproduce',
        '--quick',
        '--out',
        out,
      ],
      { encoding: 'utf8' },
    );
    if (nobody.status === 2 || !/EACCES|permission denied|No such file/i.test(nobody.stderr)) {
      assert.equal(nobody.status, 2, nobody.stderr);
      assert.match(nobody.stderr, /vmpath reproduce needs root/);
      assert.equal(existsSync(out), false);
    }
    const results = vmpath(['results', 'list', '--db', join(dir, 'nothere.db')]);
    assert.equal(results.status, 2);
    assert.match(results.stderr, /--db: got ".*nothere\.db"; allowed: a results database/);
  });
});

describe('vmpath reproduce', { skip: SKIP_NO_ROOT }, () => {
  test('--quick runs the study into DIR/results.db, prints findings and writes a report that renders', async () => {
    const out = tempDir('vmpath-reproduce-');
    const result = vmpath(
      ['reproduce', '--quick', '--out', out],
      { VMPATH_STATE_DIR: env.stateDir },
      600_000,
    );
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /vmpath reproduce: \d+ runs \(0 already done, 0 failed\)/);
    // Each of the study's six claims, with the paper's figure, ours over 3 repeats, a verdict.
    for (let id = 1; id <= 6; id++)
      assert.match(
        result.stdout,
        new RegExp(
          `claim ${id}: (REPRODUCED|NOT REPRODUCED|REVERSED|INCONCLUSIVE): .+\\n +paper: .+\\n +ours: +.*\\(n=3\\)`,
        ),
      );
    assert.match(result.stdout, /ours: +native \d+ \[\d+, \d+\] \(n=3\) \/ iov \d+/);
    assert.match(result.stdout, /machine: the kernel alone [\d.]+ ns a cell before/);
    assert.match(result.stdout, /iov: communication share of time 8:\d+% 16:\d+%/);
    // the report of the real database, in Chromium
    assert.match(result.stdout, /report: .*report\.html \(\d+ charts, \d+ tables\)/);
    const seen = await openReport(
      join(out, 'report.html'),
      join(OUTPUT_DIR, 'report', 'reproduce-quick.png'),
    );
    assertCharts(seen, ['figure-2', 'figure-3', 'figure-4', 'matrix']);
    assert.ok(seen.tables >= 1, 'the stream table');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.ok(
      html.indexOf('id="findings"') < html.indexOf('id="tables"'),
      'the findings come first',
    );
    assert.equal(html.match(/<tr class="verdict-/g)?.length, 6, 'a row per claim');
    const store = Store.open(join(out, 'results.db'), { create: false });
    try {
      const runs = store.runs();
      // 3 repeats x 3 data paths x (stream + 3 placements + the 8-rank pipeline)
      assert.ok(runs.length === 45 && runs.every((r) => r.status === 'done'));
      const env0 = store.environment(runs[0]?.environmentId ?? 0) as Record<string, unknown>;
      assert.ok(env0.kernel && env0.cpuCount && env0.node, 'the environment is stored');
      assert.equal(
        (store.sweeps()[0]?.spec as { rateMbit?: number } | undefined)?.rateMbit,
        0,
        'the rate used is stored',
      );
    } finally {
      store.close();
    }
  });
});
