/**
 * Stopping on request, on real testbeds: SIGINT or SIGTERM ends launch, run advect, calibrate,
 * a sweep and a bench within seconds, exiting 128 + the signal's number, with one line (no
 * stack traces from the ranks) and nothing left (ranks, testbeds the command built, locks);
 * two sweeps of one spec do not share their testbeds; outputs and databases are checked before
 * any work. Each signal goes to the vmpath process alone, as `kill` sends it.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { listNetns } from '../../src/testbed/state.js';
import { presetSpec } from '../../src/topology/presets.js';
import { resolveTopology } from '../../src/topology/resolve.js';
import { vmpath } from '../support/cli.js';
import { CLI, ROOT } from '../support/paths.js';
import { pidsIn, SKIP_NO_ROOT, tempDir, testEnv, withTestbed } from '../support/testbed.js';

const env = testEnv();
const STATE = { VMPATH_STATE_DIR: env.stateDir };
const RING = join(ROOT, 'test/fixtures/apps/ring.mjs');
/** Far longer than any of these commands takes to stop here (tens of milliseconds). */
const STOP_MS = 3000;

interface Running {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly closed: Promise<number | null>;
}

function start(args: string[], extra: NodeJS.ProcessEnv = {}, cwd?: string): Running {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...STATE, ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(cwd ? { cwd } : {}),
  });
  const running: Running = {
    child,
    stdout: '',
    stderr: '',
    closed: new Promise((resolve) => child.once('close', (code) => resolve(code))),
  };
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    running.stdout += c;
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    running.stderr += c;
  });
  return running;
}

async function until(what: string, ok: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sends `signal` and returns the exit code and how long the exit took. */
async function stop(running: Running, signal: NodeJS.Signals) {
  const begin = performance.now();
  running.child.kill(signal);
  const code = await running.closed;
  return { code, ms: performance.now() - begin };
}

function namespacesOf(id: string, topology: ReturnType<typeof resolveTopology>): string[] {
  return topology.hosts.flatMap((h) => [
    `vmp-${id}-${h.name}`,
    ...h.vms.map((v) => `vmp-${id}-${h.name}-${v.name}`),
  ]);
}

const noStack = (text: string) => assert.doesNotMatch(text, /^\s+at \S+ \(|Node\.js v\d+/m);

describe('stopping on a signal', { skip: SKIP_NO_ROOT }, () => {
  const tiny = resolveTopology(presetSpec('tiny'));

  test('launch and run advect: SIGINT 130, SIGTERM 143, within seconds, quiet ranks, none left', async () => {
    await withTestbed(env, tiny, async (id) => {
      const job = start(['launch', '--id', id, '-n', '4', '--', process.execPath, RING], {
        HANG_AFTER: '1',
      });
      await until('the ranks', () => (job.stdout.match(/ ok /g) ?? []).length === 4);
      const launched = await stop(job, 'SIGINT');
      assert.equal(launched.code, 130, job.stderr);
      assert.ok(launched.ms < STOP_MS, `launch stopped in ${launched.ms} ms`);
      assert.match(job.stderr, /interrupted by SIGINT; ending every rank/);
      assert.doesNotMatch(job.stderr, /\[\d\] /, 'the ranks say nothing more');
      noStack(job.stderr);
      assert.deepEqual(namespacesOf(id, tiny).flatMap(pidsIn), [], 'no rank left');

      // A Ctrl-C at a terminal goes to the whole process group: the ranks hear it too.
      const group = spawn(
        process.execPath,
        [CLI, 'launch', '--id', id, '-n', '4', '--', process.execPath, RING],
        {
          env: { ...process.env, ...STATE, HANG_AFTER: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        },
      );
      let groupOut = '';
      let groupErr = '';
      group.stdout.setEncoding('utf8').on('data', (c: string) => {
        groupOut += c;
      });
      group.stderr.setEncoding('utf8').on('data', (c: string) => {
        groupErr += c;
      });
      const groupClosed = new Promise<number | null>((r) => group.once('close', r));
      await until('the ranks', () => (groupOut.match(/ ok /g) ?? []).length === 4);
      const began = performance.now();
      process.kill(-(group.pid as number), 'SIGINT');
      assert.equal(await groupClosed, 130, groupErr);
      assert.ok(performance.now() - began < STOP_MS);
      assert.match(groupErr, /interrupted by SIGINT/);
      noStack(groupErr);
      assert.deepEqual(namespacesOf(id, tiny).flatMap(pidsIn), [], 'no rank left');

      const run = start([
        'run',
        'advect',
        '--id',
        id,
        '--grid',
        '48x48x48',
        '--steps',
        '1000000',
        '--decomp',
        '1x1x4',
        '--placement',
        'cyclic',
      ]);
      await until('the ranks', () => namespacesOf(id, tiny).flatMap(pidsIn).length === 4);
      await new Promise((r) => setTimeout(r, 1000));
      const ran = await stop(run, 'SIGTERM');
      assert.equal(ran.code, 143, run.stderr);
      assert.ok(ran.ms < STOP_MS, `run advect stopped in ${ran.ms} ms`);
      assert.match(run.stderr, /^vmpath: interrupted by SIGTERM$/m);
      noStack(run.stderr);
      assert.deepEqual(namespacesOf(id, tiny).flatMap(pidsIn), [], 'no rank left');
    });
  });

  test('calibrate: SIGINT stops it within seconds; no calibration written, the testbed intact', async () => {
    await withTestbed(env, tiny, async (id) => {
      const dir = tempDir('vmpath-cal-int-');
      const job = start(['calibrate', '--id', id], {}, dir);
      await until('the first measurements', () => /calibrate .*: .*\n.*\n/.test(job.stderr));
      const stopped = await stop(job, 'SIGINT');
      assert.equal(stopped.code, 130, job.stderr);
      assert.ok(stopped.ms < STOP_MS, `calibrate stopped in ${stopped.ms} ms`);
      noStack(job.stderr);
      assert.deepEqual(readdirSync(dir), [], 'no calibration file');
      assert.deepEqual(namespacesOf(id, tiny).flatMap(pidsIn), [], 'nothing left running');
      const check = vmpath(['testbed', 'check', '--id', id], STATE);
      assert.equal(check.status, 0, `the testbed still works: ${check.stderr}`);
    });
  });

  test('calibrate checks its outputs and database before measuring', async () => {
    await withTestbed(env, tiny, async (id) => {
      const dir = tempDir('vmpath-cal-out-');
      mkdirSync(join(dir, 'sub'));
      for (const [args, message] of [
        [['-o', join(dir, 'sub')], /--output: got ".*sub"; allowed: a file, not a folder/],
        [
          ['-o', '/missing/dir/c.json'],
          /--output: got "\/missing\/dir\/c\.json"; allowed: a file in an existing folder/,
        ],
        [['--db', '/etc/passwd'], /--db: .*passwd/],
      ] as const) {
        const begin = performance.now();
        const result = vmpath(['calibrate', '--id', id, ...args], STATE, 60_000, dir);
        assert.equal(result.status, 2, result.stderr);
        assert.match(result.stderr, message);
        assert.doesNotMatch(result.stderr, /calibrate .*: /, 'nothing measured');
        assert.ok(performance.now() - begin < 10_000);
      }
    });
  });

  test('launch --matrix naming a folder is refused before any rank starts', async () => {
    await withTestbed(env, tiny, async (id) => {
      const dir = tempDir('vmpath-matrix-');
      const result = vmpath(
        ['launch', '--id', id, '-n', '2', '--matrix', dir, '--', process.execPath, RING],
        STATE,
      );
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, /--matrix: got ".*"; allowed: a file, not a folder/);
      assert.doesNotMatch(result.stdout, /rank \d\/2/, 'no rank ran');
    });
  });

  test('sweeps: SIGTERM stops one and removes its testbeds; two of one spec do not share them', async () => {
    const dir = tempDir('vmpath-sweep-int-');
    const spec = join(dir, 'spec.yaml');
    writeFileSync(
      spec,
      'name: twice\ntopology: tiny\ndatapaths: [iov]\nadvect: { grid: 64x64x64, steps: 3000, ranks: [2, 4], placements: [cyclic, block] }\n',
    );
    const db = join(dir, 'results.db');
    const first = start(['sweep', 'run', spec, '--db', db]);
    await until('the first run', () => /\[1\/4\]/.test(first.stderr), 120_000);
    const second = vmpath(['sweep', 'run', spec, '--db', join(dir, 'other.db')], STATE);
    assert.equal(second.status, 2, second.stderr);
    assert.match(second.stderr, /sweep twice: the same spec is already running \(process \d+/);
    const stopped = await stop(first, 'SIGTERM');
    assert.equal(stopped.code, 143, first.stderr);
    assert.ok(stopped.ms < STOP_MS + 2000, `the sweep stopped in ${stopped.ms} ms`);
    noStack(first.stderr);
    assert.deepEqual(
      listNetns().filter((ns) => /^vmp-s[0-9a-f]{5}io-/.test(ns)),
      [],
      'its testbed removed',
    );
    const locks = new Database(join(env.stateDir, 'sweeps.lock'), { readonly: true });
    try {
      assert.deepEqual(locks.prepare('SELECT * FROM locks').all(), [], 'its lock released');
    } finally {
      locks.close();
    }
    const resumed = vmpath(['sweep', 'run', spec, '--db', db], STATE, 300_000);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stdout, /sweep twice: 4 runs; [1-9] were already done/);
  });

  test('an interrupted bench removes its testbeds before their ledgers, and exits 130', async () => {
    const bench = join(ROOT, 'dist/bench/model-accuracy.js');
    const child = spawn(process.execPath, [bench], { stdio: ['ignore', 'ignore', 'pipe'] });
    let said = '';
    child.stderr?.setEncoding('utf8').on('data', (c: string) => {
      said += c;
    });
    const closed = new Promise<number | null>((r) => child.once('close', r));
    await until('calibration', () => /calibrate \w+: /.test(said), 120_000);
    const began = performance.now();
    child.kill('SIGINT');
    const code = await closed;
    assert.equal(code, 130, said);
    assert.ok(performance.now() - began < 15_000, 'the bench stopped within seconds');
    noStack(said);
    const state = /vmpath-bench-\w+/.exec(said)?.[0];
    assert.equal(state, undefined, `no testbed left to clean: ${said}`);
    assert.deepEqual(
      listNetns().filter((ns) => /^vmp-m[a-z0-9]{5}-/.test(ns)),
      [],
      'no namespace of the bench',
    );
  });
});
