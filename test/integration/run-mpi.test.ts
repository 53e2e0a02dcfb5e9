/**
 * `vmpath run mpi` on real testbeds with Debian's Open MPI: three C programs of known pattern
 * (apps/halo2d-c, alltoall-c, wavefront-c) under every data path and the named placements on
 * tiny and paper (there in rotation) give their known results, and their profiled matrices are the patterns they
 * are known to have; the data path carries the traffic (a vm's interface counts the bytes
 * between vms on bridged, not on shm); failures end the job, name the rank and leave nothing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { findExecutable, processAlive, processCmdline } from '../../src/sys/tools.js';
import { nodesOf } from '../../src/testbed/nodes.js';
import { presetSpec } from '../../src/topology/presets.js';
import { resolveTopology } from '../../src/topology/resolve.js';
import type { Datapath, Topology } from '../../src/topology/types.js';
import { vmpath } from '../support/cli.js';
import {
  alltoallMatrix,
  halo2dMatrix,
  type Pair,
  programPath,
  wavefrontMatrix,
} from '../support/mpi-programs.js';
import { CLI } from '../support/paths.js';
import { pidsIn, SKIP_NO_ROOT, tempDir, testEnv, withTestbed } from '../support/testbed.js';

const env = testEnv();
const cliEnv = { VMPATH_STATE_DIR: env.stateDir };
const SKIP =
  SKIP_NO_ROOT ||
  (findExecutable('mpirun', process.env.PATH) && findExecutable('mpicc', process.env.PATH)
    ? false
    : 'skipped: needs Open MPI (apt-get install -y openmpi-bin libopenmpi-dev)');
if (SKIP && !SKIP_NO_ROOT) process.stderr.write(`# ${SKIP}\n`);

const DATAPATHS: readonly Datapath[] = ['native', 'bridged', 'iov', 'shm'];
const PLACEMENTS = ['intra-node', 'inter-node', 'hybrid'] as const;

interface Case {
  readonly name: 'halo2d' | 'alltoall' | 'wavefront';
  readonly args: string[];
  readonly result: RegExp;
  readonly matrix: Pair[];
}

/** The three programs on `n` ranks (4 or 16: a square grid of ranks for halo2d). */
function cases(n: number): Case[] {
  const side = Math.sqrt(n);
  return [
    {
      name: 'halo2d',
      args: ['64', '64', String(side), String(side), '20'],
      result: /^halo2d sum (\S+) \1 conserved$/,
      matrix: halo2dMatrix(64, 64, side, side, 20),
    },
    {
      name: 'alltoall',
      args: ['3', '1000'],
      result: /^alltoall ok 3 1000$/,
      matrix: alltoallMatrix(n, 3, 1000),
    },
    {
      name: 'wavefront',
      args: ['200', String(4 * n)],
      result: /^wavefront corner (\d+) expected \1 ok$/,
      matrix: wavefrontMatrix(n, 200),
    },
  ];
}

interface Stored {
  params: { placement: string; ranks: number };
  summary: { wallS: number; programS: number | null; machines: number };
  samples: {
    ranks: { rank: number; vm: string; host: string; machine: string }[];
    tails: { rank: number; lines: string[] }[];
    matrix: Pair[] | null;
  };
}

function runJson(id: string, args: readonly string[], timeoutMs = 120_000): Stored {
  const result = vmpath(['run', 'mpi', '--id', id, '--json', ...args], cliEnv, timeoutMs);
  assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
  const records = (JSON.parse(result.stdout) as { records: Stored[] }).records;
  assert.equal(records.length, 1);
  return records[0] as Stored;
}

const sortPairs = (pairs: readonly Pair[]) =>
  pairs
    .map(({ from, to, messages, bytes }) => ({ from, to, messages, bytes }))
    .sort((a, b) => a.from - b.from || a.to - b.to);

/** Every vm (or native host) namespace of a testbed: where daemons and ranks run. */
function machineNetns(topology: Topology, id: string): string[] {
  return [
    ...new Set(
      nodesOf(topology, id)
        .filter((n) => n.role !== 'switch')
        .map((n) => n.netns),
    ),
  ];
}

function noneLeft(topology: Topology, id: string): void {
  const left = machineNetns(topology, id).flatMap((ns) => pidsIn(ns));
  assert.deepEqual(left, [], 'no daemon or rank is left in the testbed');
  const stale = readdirSync(tmpdir()).filter((f) => {
    const pid = /^vmpath-mpi-(\d+)-/.exec(f)?.[1];
    return pid !== undefined && !processAlive(Number(pid));
  });
  assert.deepEqual(stale, [], 'no job folder is left');
  // Open MPI's shared-memory segments are named after the machine (the vm or host).
  const machines = new Set(nodesOf(topology, id).map((n) => n.name));
  const segments = readdirSync('/dev/shm').filter((f) =>
    [...machines].some((m) => f.startsWith(`vader_segment.${m}.`)),
  );
  assert.deepEqual(segments, [], 'no shared-memory segment is left');
}

/** Runs every program under the named placements (all, or the one `only` picks for each) and
 * checks results and matrices. */
function checkPrograms(
  id: string,
  topology: Topology,
  n: number,
  datapath: Datapath,
  only?: (program: number) => (typeof PLACEMENTS)[number],
): void {
  for (const [k, c] of cases(n).entries())
    for (const placement of only ? [only(k)] : PLACEMENTS) {
      const where = `${c.name} ${datapath} ${placement}`;
      const run = runJson(id, [
        '-n',
        String(n),
        '--placement',
        placement,
        '--profile',
        '--',
        programPath(c.name),
        ...c.args,
      ]);
      const lines = run.samples.tails.flatMap((t) => t.lines);
      assert.ok(
        lines.some((l) => c.result.test(l)),
        `${where}: known result in ${lines.join(' | ')}`,
      );
      assert.deepEqual(sortPairs(run.samples.matrix ?? []), c.matrix, `${where}: matrix`);
      assert.equal(run.params.placement, placement);
      assert.ok(run.summary.programS !== null && run.summary.programS < run.summary.wallS, where);
      // One daemon per vm, or per host where vms share memory (shm); native hosts are machines.
      const machines = new Set(
        run.samples.ranks.map((r) => (datapath === 'shm' || datapath === 'native' ? r.host : r.vm)),
      );
      assert.equal(run.summary.machines, machines.size, `${where}: daemons`);
    }
  noneLeft(topology, id);
}

describe('run mpi: known programs on tiny', { skip: SKIP }, () => {
  for (const datapath of DATAPATHS)
    test(`halo2d, alltoall and wavefront on ${datapath}: known results and matrices`, async () => {
      const topology = resolveTopology(presetSpec('tiny'), { datapath });
      await withTestbed(env, topology, async (id) => checkPrograms(id, topology, 4, datapath));
    });
});

// On paper, each program under one named placement per data path, rotating, so that every
// program meets every placement and every data path every placement (a Latin square: 12 runs
// of 16 ranks where the full product on tiny is 36 of 4).
describe('run mpi: known programs on paper (16 ranks)', { skip: SKIP }, () => {
  for (const [d, datapath] of DATAPATHS.entries())
    test(`the three programs on paper, ${datapath}`, async () => {
      const topology = resolveTopology(presetSpec('paper'), { datapath, rateMbit: 0 });
      await withTestbed(env, topology, async (id) =>
        checkPrograms(
          id,
          topology,
          16,
          datapath,
          (k) => PLACEMENTS[(k + d) % 3] as (typeof PLACEMENTS)[number],
        ),
      );
    });
});

/** Bytes the vm's interface has sent. */
function txBytes(id: string, vmNs: string): number {
  const out = vmpath(
    ['testbed', 'exec', '--id', id, vmNs, '--', 'cat', '/sys/class/net/eth0/statistics/tx_bytes'],
    cliEnv,
  );
  assert.equal(out.status, 0, out.stderr);
  return Number(out.stdout.trim());
}

describe('run mpi: the data path carries the traffic', { skip: SKIP }, () => {
  for (const [datapath, crosses] of [
    ['bridged', true],
    ['shm', false],
  ] as const)
    test(`between two vms of a host, ${datapath}: ${crosses ? "over the vms' interfaces" : 'in shared memory'}`, async () => {
      const topology = resolveTopology(presetSpec('tiny'), { datapath });
      await withTestbed(env, topology, async (id) => {
        const before = txBytes(id, 'node1');
        // Two ranks, node1 and node2 of host0: 20 rounds of 1 MB each way.
        runJson(id, [
          '-n',
          '2',
          '--placement',
          'intra-node',
          '--',
          programPath('alltoall'),
          '20',
          '1000000',
        ]);
        const sent = txBytes(id, 'node1') - before;
        if (crosses) assert.ok(sent > 20_000_000, `node1 sent ${sent} bytes on eth0`);
        else
          assert.ok(
            sent < 2_000_000,
            `node1 sent ${sent} bytes on eth0 (only Open MPI's control traffic)`,
          );
      });
    });
});

/** `vmpath run mpi` of the failure fixture: its exit, its errors, and how long after the
 * failing rank said it was ending vmpath exited. */
async function timedFailure(
  id: string,
  args: readonly string[],
): Promise<{ status: number | null; stderr: string; afterFailureS: number }> {
  const child = spawn(process.execPath, [CLI, 'run', 'mpi', '--id', id, ...args], {
    env: { ...process.env, ...cliEnv },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let failedAt = Number.NaN;
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (Number.isNaN(failedAt) && /ending by/.test(stderr)) failedAt = performance.now();
  });
  const status = await new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return { status, stderr, afterFailureS: (performance.now() - failedAt) / 1000 };
}

describe('run mpi: failures end the job and leave nothing', { skip: SKIP }, () => {
  test('a rank that exits non-zero, crashes, aborts or is killed; a timeout; bad input', async () => {
    const topology = resolveTopology(presetSpec('tiny'), { datapath: 'bridged' });
    await withTestbed(env, topology, async (id) => {
      const fail = programPath('fail');
      for (const [mode, how] of [
        ['exit', /rank 2 on vm node2 \(host host0\) exited with code 3/],
        ['segv', /rank 2 on vm node2 \(host host0\) was killed by signal 11/],
        ['abort', /rank 2 on vm node2 \(host host0\) called MPI_Abort with error code 7/],
        ['kill', /rank 2 on vm node2 \(host host0\) was killed by signal 9/],
      ] as const) {
        const r = await timedFailure(id, [
          '-n',
          '4',
          '--placement',
          'cyclic',
          '--',
          fail,
          mode,
          '2',
        ]);
        assert.equal(r.status, 1, `${mode}: ${r.stderr}`);
        assert.match(r.stderr, how, mode);
        // From the rank's last words to vmpath's exit, the job ended and was cleaned up.
        assert.ok(
          r.afterFailureS < 5,
          `${mode}: vmpath exited ${r.afterFailureS} s after the failure`,
        );
        noneLeft(topology, id);
      }
      const timed = vmpath(
        ['run', 'mpi', '--id', id, '-n', '4', '--timeout', '2', '--', fail, 'hang'],
        cliEnv,
      );
      assert.equal(timed.status, 124, timed.stderr);
      assert.match(timed.stderr, /timed out after 2 s/);
      noneLeft(topology, id);

      const bad: [string[], RegExp, NodeJS.ProcessEnv?][] = [
        [['-n', '4', '--', '/bin/true'], /PROGRAM: got "\/bin\/true"; allowed: an MPI program/],
        [
          ['-n', '4', '--', '/no/such/program'],
          /PROGRAM: got "\/no\/such\/program"; allowed: an executable file/,
        ],
        [['-n', '5', '--', fail, 'ok'], /-n: got 5; allowed: 1 to 4 .*--oversubscribe/],
        [['-n', '2', '--placement', 'diagonal', '--', fail, 'ok'], /--placement/],
        [['-n', '2', '--env', '1X=2', '--', fail, 'ok'], /--env: got "1X=2"/],
        [
          ['-n', '2', '--', fail, 'ok'],
          /mpicc is not on PATH/,
          { PATH: tempDir('vmpath-empty-path-') },
        ],
      ];
      for (const [args, message, extra] of bad) {
        const r = vmpath(['run', 'mpi', '--id', id, ...args], { ...cliEnv, ...extra });
        assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, message);
        noneLeft(topology, id);
      }
      // More ranks than slots with --oversubscribe: dealt over the slots again.
      const over = runJson(id, [
        '-n',
        '6',
        '--oversubscribe',
        '--env',
        'MY_VAR=7',
        '--',
        fail,
        'ok',
      ]);
      assert.equal(over.samples.ranks.length, 6);
      assert.deepEqual(
        over.samples.tails.map((t) => t.lines.at(-1)),
        [0, 1, 2, 3, 4, 5].map((r) => `rank ${r} ok MY_VAR=7`),
        'every rank got --env',
      );
      assert.equal(over.samples.ranks[4]?.vm, over.samples.ranks[0]?.vm);
      noneLeft(topology, id);
    });
  });

  test("the agents record the daemons' own PIDs: mpirun killed outright, vmpath ends them", async () => {
    const topology = resolveTopology(presetSpec('tiny'), { datapath: 'bridged' });
    await withTestbed(env, topology, async (id) => {
      const child = spawn(
        process.execPath,
        [CLI, 'run', 'mpi', '--id', id, '-n', '4', '--', programPath('fail'), 'hang'],
        { env: { ...process.env, ...cliEnv }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const closed = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
      const records = (file: string) => {
        const dir = readdirSync(tmpdir()).find((f) => f.startsWith(`vmpath-mpi-${child.pid}-`));
        if (!dir) return [];
        try {
          return readFileSync(join(tmpdir(), dir, file), 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((line) => Number(line.split(' ')[0]));
        } catch {
          return [];
        }
      };
      const deadline = Date.now() + 60_000;
      while (records('ranks.pids').length < 4 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const daemons = records('daemons.pids');
      assert.equal(daemons.length, 4, `a daemon per vm: ${stderr}`);
      for (const pid of daemons)
        assert.match(
          (processCmdline(pid) ?? []).join(' '),
          /^orted /,
          `recorded PID ${pid} is the daemon itself, not a parent it forked away from`,
        );
      const [head] = records('head.pids');
      assert.ok(head !== undefined && processAlive(head), 'mpirun is recorded');
      process.kill(head as number, 'SIGKILL');
      const status = await closed;
      assert.notEqual(status, 0, stderr);
      noneLeft(topology, id); // the daemons lived in the vms' namespaces
      const session = join(tmpdir(), `ompi.vmpath-head.${process.getuid?.() ?? 0}`, `pid.${head}`);
      assert.equal(existsSync(session), false, `Open MPI's session folder ${session} is removed`);
    });
  });

  test('--db records one typed mpi run per repeat, and results list shows them', async () => {
    const topology = resolveTopology(presetSpec('tiny'), { datapath: 'iov' });
    await withTestbed(env, topology, async (id) => {
      const db = join(tempDir('vmpath-mpi-db-'), 'results.db');
      const r = vmpath(
        [
          'run',
          'mpi',
          '--id',
          id,
          '-n',
          '4',
          '--repeats',
          '2',
          '--profile',
          '--db',
          db,
          '--',
          programPath('wavefront'),
          '50',
          '16',
        ],
        cliEnv,
      );
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /2 runs: wall \d/);
      const list = vmpath(['results', 'list', '--db', db], cliEnv);
      assert.equal(list.status, 0, list.stderr);
      assert.equal((list.stdout.match(/wavefront: [\d.]+ s wall/g) ?? []).length, 2, list.stdout);
      const csv = vmpath(['results', 'export', '--db', db, '--csv'], cliEnv);
      assert.equal(csv.status, 0, csv.stderr);
      assert.equal((csv.stdout.match(/^\d+,\d+,mpi\/wavefront\//gm) ?? []).length, 2, csv.stdout);
      assert.match(csv.stdout, /result_programS/);
    });
  });
});
