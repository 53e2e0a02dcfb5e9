/**
 * Bad input through the built CLI, found before anything is built or run: exit 2 with one
 * message naming the field, the value and what is allowed, no stack, nothing left behind. None
 * of these needs root (each is refused before a testbed would be looked up or built).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { Store } from '../../../src/store/db.js';
import { vmpath } from '../../support/cli.js';
import { CLI } from '../../support/paths.js';
import { streamSummary } from '../../support/report-fixture.js';
import { tempDir } from '../../support/temp.js';

const dir = tempDir('vmpath-bad-');
const STATE = { VMPATH_STATE_DIR: join(dir, 'state') };

function refused(args: string[], message: RegExp, cwd?: string): void {
  const result = vmpath(args, STATE, 60_000, cwd);
  assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
  assert.match(result.stderr, message, args.join(' '));
  assert.doesNotMatch(result.stderr, /unexpected error|\s+at \S+ \(/, 'one message, no stack');
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('numbers are decimal: hex, binary and octal forms are refused', () => {
  refused(['topology', 'show', '--preset', 'paper', '--rate', '0x10'], /--rate: got "0x10"/);
  refused(['placement', 'show', '--preset', 'paper', '--pattern', 'block', '-n', '0b11'], /-n/);
  refused(['run', 'advect', '--serial', '--grid', '0b1000x8x8', '--steps', '1'], /--grid/);
  refused(['run', 'advect', '--serial', '--grid', '8x8x8', '--steps', '0o17'], /--steps/);
  refused(
    ['run', 'advect', '--serial', '--grid', '8x8x8', '--steps', '1', '--timeout', '0x5'],
    /--timeout/,
  );
  refused(['bench', 'table', '--duration', '0x5'], /--duration: got "0x5"/);
  refused(
    ['placement', 'show', '--preset', 'paper', '--pattern', 'hybrid:0x2', '-n', '4'],
    /hybrid:0x2/,
  );
});

test('absurd amounts of work are refused at once, naming the bound', () => {
  refused(
    ['run', 'advect', '--serial', '--grid', '8x8x8', '--steps', '1e12'],
    /--steps: got "1e12"; allowed: a whole number from 1 to 1000000/,
  );
  refused(['predict', '--steps', '1e300'], /--steps: got "1e300"/);
  refused(
    ['simulate', '--hosts', '2', '--vms-per-host', '2', '--slots', '2', '--steps', '1e300'],
    /--steps: got "1e300"/,
  );
  refused(
    ['simulate', '--hosts', '128', '--vms-per-host', '8', '--slots', '2', '--steps', '1000000'],
    /--steps: got 1000000; allowed: at most 200000000 rank-steps \(2048 ranks x --steps\)/,
  );
  refused(
    ['simulate', '--hosts', '2', '--vms-per-host', '2', '--slots', '2', '--rate', '1e300'],
    /--rate: got "1e300"; allowed: a rate in Mbit\/s from 0 to 400000/,
  );
});

test('model commands: a decomposition that does not fit, and --placements, are named', () => {
  refused(
    ['simulate', '--hosts', '2', '--vms-per-host', '2', '--slots', '2', '--decomp', '3x3x3'],
    /--decomp: got "3x3x3"; allowed: a decomposition whose product is the 8 ranks/,
  );
  refused(
    ['simulate', '--hosts', '2', '--vms-per-host', '2', '--slots', '2', '--placements', 'spiral'],
    /--placements/,
  );
  refused(['predict', '--decomp', '4x4x4'], /--decomp: got "4x4x4"; allowed: at most 16 ranks/);
  refused(['predict', '--calibration', '/dev/null', '--datapath', 'iov'], /--datapath: got "iov"/);
  refused(['predict', '--datapath', 'native'], /--datapath: got "native"/);
});

test('output paths are checked before the work: a folder, a missing folder', () => {
  const folder = join(dir, 'a-folder');
  mkdirSync(folder, { recursive: true });
  refused(
    [
      'placement',
      'show',
      '--preset',
      'paper',
      '--pattern',
      'block',
      '-n',
      '4',
      '--rankfile',
      folder,
    ],
    /--rankfile: got ".*a-folder"; allowed: a file, not a folder/,
  );
  refused(
    [
      'placement',
      'show',
      '--preset',
      'paper',
      '--pattern',
      'block',
      '-n',
      '4',
      '--hostfile',
      '/missing/dir/h',
    ],
    /--hostfile: got "\/missing\/dir\/h"; allowed: a file in an existing folder/,
  );
  const before = readdirSync(folder);
  refused(
    ['profile', '-o', folder, '--', 'mpirun', '-np', '1', 'true'],
    /--output: got .*a folder/,
  );
  assert.deepEqual(readdirSync(folder), before);
  refused(['profile', '--', 'mpirun'], /COMMAND: got "mpirun"; allowed: mpirun ARGS PROGRAM/);
  refused(
    ['profile', '--', 'mpirun', '-np', '2', '--mca', 'btl', 'self'],
    /COMMAND: got "mpirun -np 2/,
  );
  refused(
    ['profile', '--', '/nonexistent/mpirun', 'a.out'],
    /COMMAND: got "\/nonexistent\/mpirun"/,
  );
});

test('specs: an alias bomb, a vm name up would refuse, repeated values, a missing sweep spec', () => {
  const bomb = [
    'a: &a ["x","x","x","x","x","x","x","x","x"]',
    ...'bcdefghi'
      .split('')
      .map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
    'hosts: *i',
  ].join('\n');
  const bombFile = file('bomb.yaml', bomb);
  refused(['topology', 'validate', bombFile], /not valid YAML or JSON: .*alias/i);
  const db = join(dir, 'bomb.db');
  refused(['sweep', 'run', bombFile, '--db', db], /not valid YAML or JSON/);
  assert.equal(existsSync(db), false);
  const long = file(
    'long.yaml',
    'hosts:\n  - { name: a, vms: [{ name: abcdefghijklmnop, slots: 1 }] }\n  - { name: b, vms: [{ name: y, slots: 1 }] }\n',
  );
  refused(['topology', 'validate', long], /abcdefghijklmnop.*15 characters/);
  const twice = file('twice.yaml', 'datapaths: [bridged, bridged]\nbench: {}\n');
  refused(
    ['sweep', 'run', twice, '--db', join(dir, 'twice.db')],
    /datapaths: got \["bridged","bridged"\]; allowed: each value once/,
  );
  const nothing = file(
    'nothing.yaml',
    'datapaths: [iov]\nbench: { tests: [rr], tools: [iperf3] }\n',
  );
  refused(['sweep', 'run', nothing, '--db', join(dir, 'n.db')], /bench: .*iperf3 stream/);
  refused(
    ['sweep', 'run', join(dir, 'none.yaml'), '--db', join(dir, 'x.db')],
    /sweep spec ".*none\.yaml": no such file/,
  );
  const huge = file(
    'huge.yaml',
    'datapaths: [iov]\nadvect: { grid: 100000x100000x100000, steps: 1, ranks: [4] }\n',
  );
  const hugeDb = join(dir, 'huge.db');
  refused(
    ['sweep', 'run', huge, '--db', hugeDb],
    /advect\/iov\/100000x100000x100000x1\/4\/.*(blocks of at most 4 GiB|fits in memory)/,
  );
  assert.equal(existsSync(hugeDb), false, 'no database made');
});

test('bench table refuses a test its tool lacks before building any testbed', () => {
  refused(
    ['bench', 'table', '--test', 'rr', '--tool', 'iperf3'],
    /--tool iperf3: iperf3 has no request\/response test/,
  );
});

const NOT_ROOT =
  process.getuid?.() === 0
    ? false
    : 'skipped: needs root (without it, the command stops first at its root check)';

test('reproduce: --out naming a file is refused; so is a grid the machine cannot hold', {
  skip: NOT_ROOT,
}, () => {
  const notDir = file('results-file', 'x');
  refused(
    ['reproduce', '--quick', '--out', notDir],
    /--out: got ".*results-file"; allowed: a folder \(this is a file\)/,
  );
  const out = join(dir, 'huge');
  refused(
    ['reproduce', '--quick', '--grid', '100000x100000x100000', '--out', out],
    /(blocks of at most 4 GiB|fits in memory)/,
  );
  refused(
    ['reproduce', '--quick', '--full', '--out', out],
    /--full: got true; allowed: one of --quick or --full/,
  );
  refused(['reproduce', '--repeats', '0', '--out', out], /--repeats: got "0"/);
  assert.equal(existsSync(out), false, 'nothing made');
});

test('results: --sweep of another database is refused by list and export; export takes --sweep', () => {
  const db = join(dir, 'results.db');
  const store = Store.open(db);
  store.sweepFor('s', 'h1', {});
  store.close();
  refused(
    ['results', 'list', '--db', db, '--sweep', '999999'],
    /--sweep: got "999999"; allowed: a sweep of .*: 1/,
  );
  refused(['results', 'export', '--db', db, '--sweep', '2'], /--sweep: got "2"/);
  refused(['results', 'show', '0x1', '--db', db], /RUN: got "0x1"/);
  const ok = vmpath(['results', 'export', '--db', db, '--sweep', '1', '--json'], STATE);
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout), []);
});

test('damaged databases: without the runs table, or read-only for a command that writes', () => {
  const broken = join(dir, 'broken.db');
  Store.open(broken).close();
  const raw = new Database(broken);
  raw.exec('DROP TABLE runs');
  raw.close();
  refused(
    ['results', 'list', '--db', broken],
    /--db: .*broken\.db is not a vmpath results database \(its table runs is missing\)/,
  );
  refused(['report', '--db', broken, '-o', join(dir, 'r.html')], /its table runs is missing/);
});

test('a read-only database is refused before anything is built', () => {
  const ro = join(dir, 'ro');
  mkdirSync(ro, { recursive: true });
  const db = join(ro, 'results.db');
  Store.open(db).close();
  const spec = file('ro-spec.yaml', 'datapaths: [iov]\nbench: {}\ntopology: tiny\n');
  if (NOT_ROOT) {
    // Without root, sweep run stops at its root check first: a command that writes without
    // needing root, and file modes, show the same refusal.
    chmodSync(db, 0o444);
    chmodSync(ro, 0o555);
    const nobody = vmpath(['calibrate', '--id', 'nosuch', '--db', db], STATE);
    chmodSync(ro, 0o755);
    assert.equal(nobody.status, 2, nobody.stderr);
    assert.match(nobody.stderr, /--db: .*results\.db is read-only/);
    return;
  }
  // Root writes through file modes: the folder is bound read-only in a private mount namespace.
  const result = spawnSync(
    'unshare',
    [
      '-m',
      'sh',
      '-c',
      'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"',
      ro,
      ...[process.execPath, CLI, 'sweep', 'run', spec, '--db', db],
    ],
    { encoding: 'utf8', env: { ...process.env, ...STATE } },
  );
  assert.equal(result.status, 2, result.stderr);
  assert.match(
    result.stderr,
    /--db: .*results\.db is read-only; allowed: a results database this user can write/,
  );
  const state = join(dir, 'state');
  assert.deepEqual(existsSync(state) ? readdirSync(state) : [], [], 'no testbed, no lock');
});

test('a reader that closes the pipe early ends the output quietly, exit 141 (128 + SIGPIPE)', () => {
  const db = join(dir, 'pipe.db');
  const store = Store.open(db);
  const sweep = store.sweepFor('s', 'h2', {});
  const environmentId = store.addEnvironment({});
  for (let i = 0; i < 3000; i++)
    store.recordRun({
      sweepId: sweep,
      environmentId,
      key: `k${i}`,
      kind: 'bench',
      params: {
        kind: 'bench',
        datapath: 'iov',
        test: 'stream',
        tool: 'vmpath',
        durationS: 1,
        repeat: i,
      },
      status: 'done',
      startedAt: '',
      finishedAt: '',
      summary: streamSummary(i),
      samples: { padding: 'x'.repeat(200) },
      error: null,
    });
  store.close();
  for (const args of [
    ['results', 'export', '--json'],
    ['results', 'list'],
  ]) {
    const result = spawnSync(
      'bash',
      [
        '-c',
        `"$0" "$1" ${args.join(' ')} --db "$2" | head -c 10 >/dev/null; echo "\${PIPESTATUS[0]}"`,
        process.execPath,
        CLI,
        db,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(result.stdout.trim(), '141', `${args.join(' ')}: 128 + SIGPIPE; ${result.stderr}`);
    assert.doesNotMatch(result.stderr, /EPIPE|\s+at \S+ \(/, 'no stack trace');
  }
});

test('results list and export show a run that matches no schema as stored, with why', () => {
  const db = join(dir, 'odd.db');
  const store = Store.open(db);
  const sweep = store.sweepFor('s', 'h3', {});
  const environmentId = store.addEnvironment({});
  const base = {
    sweepId: sweep,
    environmentId,
    status: 'done' as const,
    startedAt: '',
    finishedAt: '',
    samples: null,
    error: null,
  };
  const params = { kind: 'bench', datapath: 'iov', test: 'stream', tool: 'vmpath', durationS: 1 };
  store.recordRun({
    ...base,
    key: 'good',
    kind: 'bench',
    params: { ...params, repeat: 1 },
    summary: streamSummary(5),
  });
  store.recordRun({
    ...base,
    key: 'odd',
    kind: 'bench',
    params: { ...params, repeat: 2 },
    summary: { total: 'many' },
  });
  store.close();
  const list = vmpath(['results', 'list', '--db', db]);
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, /good\s+done\s+5\.0 MiB\/s/);
  assert.match(list.stdout, /odd\s+done\s+run odd: summary\.\w+: /);
  const exported = vmpath(['results', 'export', '--db', db, '--json']);
  assert.equal(exported.status, 0, exported.stderr);
  assert.match(
    exported.stderr,
    /exported as stored \(not of its kind.s schema\): run odd: summary\./,
  );
  assert.deepEqual((JSON.parse(exported.stdout) as { key: string }[]).map((r) => r.key).sort(), [
    'good',
    'odd',
  ]);
});
