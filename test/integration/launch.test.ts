/**
 * vmpath launch on real testbeds: the ring application (test/fixtures/apps/ring.mjs, on
 * vmpath/runtime) under block and cyclic placements and each data path; a rank failing, a rank
 * killed with SIGKILL and a hung job all end every rank, with the rank named; nothing is left.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { inspectNetns } from '../../src/testbed/inspect.js';
import { presetSpec } from '../../src/topology/presets.js';
import { resolveTopology } from '../../src/topology/resolve.js';
import type { Datapath } from '../../src/topology/types.js';
import { vmpath } from '../support/cli.js';
import { CLI, ROOT } from '../support/paths.js';
import { pidsIn, SKIP_NO_ROOT, tempDir, testEnv, withTestbed } from '../support/testbed.js';

const env = testEnv();
const RING = join(ROOT, 'test/fixtures/apps/ring.mjs');
const launch = (id: string, args: string[], extra: NodeJS.ProcessEnv = {}) =>
  vmpath(['launch', '--id', id, ...args, '--', process.execPath, RING], {
    VMPATH_STATE_DIR: env.stateDir,
    ...extra,
  });

function jobProcesses(id: string, topology: ReturnType<typeof resolveTopology>): number[] {
  return topology.hosts
    .flatMap((h) => [`vmp-${id}-${h.name}`, ...h.vms.map((v) => `vmp-${id}-${h.name}-${v.name}`)])
    .flatMap(pidsIn);
}

describe('vmpath launch', { skip: SKIP_NO_ROOT }, () => {
  for (const datapath of ['native', 'bridged', 'iov', 'shm'] as Datapath[]) {
    test(`paper ${datapath}: 16 ranks cyclic and 4 ranks block give the serial results`, async () => {
      const topology = resolveTopology(presetSpec('paper'), { datapath });
      await withTestbed(env, topology, async (id) => {
        const cyclic = launch(id, ['-n', '16', '--placement', 'cyclic']);
        assert.equal(cyclic.status, 0, cyclic.stderr);
        const lines = cyclic.stdout.trim().split('\n').sort();
        assert.equal(lines.length, 16);
        for (const line of lines) assert.match(line, /^\[(\d+)\] rank \1\/16 ok/);

        const matrixFile = join(tempDir('vmpath-matrix-'), 'm.json');
        const block = launch(id, ['-n', '4', '--placement', 'block', '--matrix', matrixFile]);
        assert.equal(block.status, 0, block.stderr);
        const { matrix } = JSON.parse(readFileSync(matrixFile, 'utf8')) as {
          matrix: { from: number; to: number; transport: string }[];
        };
        const transport = (from: number, to: number) =>
          matrix.find((e) => e.from === from && e.to === to)?.transport;
        // block on paper: ranks 0,1 share node1 and 2,3 share node2, both vms of host0 (native:
        // all on host0); shm joins co-located vms by shared memory.
        assert.equal(transport(0, 1), 'local');
        const between = datapath === 'native' || datapath === 'shm' ? 'local' : 'tcp';
        assert.equal(transport(1, 2), between);
        assert.match(
          block.stderr,
          between === 'local'
            ? /vmpath launch: 4 ranks \(block\).*local: \d pairs \(0-1 [^)]*1-2/
            : /vmpath launch: 4 ranks \(block\).*local: 2 pairs \(0-1 2-3\).*tcp: \d pairs/,
        );
        if (between === 'local') assert.doesNotMatch(block.stderr, /tcp:/);
        assert.deepEqual(jobProcesses(id, topology), [], 'no rank left');
      });
    });
  }

  test('100 MiB messages over the testbed arrive intact (tcp across hosts, local inside a vm)', async () => {
    const topology = resolveTopology(presetSpec('paper'), { datapath: 'iov' });
    await withTestbed(env, topology, async (id) => {
      const big = join(ROOT, 'test/fixtures/apps/big.mjs');
      const result = vmpath(
        ['launch', '--id', id, '-n', '3', '--placement', 'block', '--', process.execPath, big],
        { VMPATH_STATE_DIR: env.stateDir },
      );
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /\[1\] rank 1 intact 104857600/);
      assert.match(result.stdout, /\[2\] rank 2 intact 104857600/);
      assert.match(
        result.stderr,
        /local: 1 pair \(0-1\), \d+ messages, 104857600 bytes; tcp: \d pairs? \(0-2[^)]*\), \d+ messages, 104857600 bytes/,
      );
    });
  });

  test('shm: 100 MiB between co-located vms goes through shared memory, not their interfaces', async () => {
    const topology = resolveTopology(presetSpec('paper'), { datapath: 'shm' });
    await withTestbed(env, topology, async (id) => {
      const receiver = `vmp-${id}-host0-node2`;
      const rx = async () =>
        (await inspectNetns(env.runner, receiver)).interfaces.find((i) => i.name === 'eth0')
          ?.rxBytes ?? 0;
      const before = await rx();
      const big = join(ROOT, 'test/fixtures/apps/big.mjs');
      // block: ranks 0,1 in node1 and rank 2 in node2, both vms of host0.
      const result = vmpath(
        ['launch', '--id', id, '-n', '3', '--placement', 'block', '--', process.execPath, big],
        { VMPATH_STATE_DIR: env.stateDir },
      );
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /\[2\] rank 2 intact 104857600/);
      assert.match(result.stderr, /local: 2 pairs \(0-1 0-2\), \d+ messages, 209715200 bytes/);
      assert.doesNotMatch(result.stderr, /tcp:/);
      const received = (await rx()) - before;
      assert.ok(received < 1 << 20, `node2's interface took ${received} bytes`);
      assert.deepEqual(
        readdirSync('/dev/shm').filter((f) => f.startsWith('vmpath-')),
        [],
        'no ring left in /dev/shm',
      );
    });
  });

  test('a failing rank ends the job with its exit code and name; nothing is left', async () => {
    const topology = resolveTopology(presetSpec('tiny'));
    await withTestbed(env, topology, async (id) => {
      const begin = Date.now();
      const result = launch(id, ['-n', '4', '--placement', 'cyclic'], { FAIL_RANK: '1' });
      assert.equal(result.status, 3, result.stderr);
      assert.match(result.stderr, /FAILED: rank 1 \(on node3\) exited with code 3/);
      assert.match(result.stderr, /\[0\] .*rank 1/, 'the other ranks say which rank failed');
      assert.ok(Date.now() - begin < 8000, 'within seconds');
      assert.deepEqual(jobProcesses(id, topology), []);

      // A rank that leaves with code 0 before finalize fails the job too, as itself.
      const quit = launch(id, ['-n', '4', '--placement', 'cyclic'], {
        FAIL_RANK: '2',
        FAIL_CODE: '0',
      });
      assert.equal(quit.status, 1, quit.stderr);
      assert.match(quit.stderr, /FAILED: rank 2 ended without finalize/);
      assert.deepEqual(jobProcesses(id, topology), []);
    });
  });

  test('a rank killed with SIGKILL, and a job past its timeout, end every rank', async () => {
    const topology = resolveTopology(presetSpec('tiny'));
    await withTestbed(env, topology, async (id) => {
      const child = spawn(
        process.execPath,
        [CLI, 'launch', '--id', id, '-n', '4', '--', process.execPath, RING],
        {
          env: { ...process.env, VMPATH_STATE_DIR: env.stateDir, HANG_AFTER: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let said = '';
      child.stderr.setEncoding('utf8').on('data', (c: string) => {
        said += c;
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        out += c;
      });
      const deadline = Date.now() + 10_000;
      while ((out.match(/ ok /g) ?? []).length < 4 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      const [victim] = pidsIn(`vmp-${id}-host1-node3`);
      assert.ok(victim, 'a rank runs in node3');
      process.kill(victim, 'SIGKILL');
      const begin = Date.now();
      const code = await new Promise((resolve) => child.once('close', resolve));
      assert.ok(Date.now() - begin < 7000, 'the job ends within seconds');
      assert.notEqual(code, 0);
      assert.match(said, /rank \d \(on node3\) was killed by SIGKILL/);
      assert.deepEqual(jobProcesses(id, topology), []);

      const hung = launch(id, ['-n', '2', '--timeout', '2'], { HANG_AFTER: '1' });
      assert.equal(hung.status, 124, hung.stderr);
      assert.match(hung.stderr, /timed out after 2 s/);
      assert.match(hung.stderr, /rank 0: waits for no message/);
      // What each rank waits for, asked over the rendezvous when time runs out.
      const stuck = launch(id, ['-n', '2', '--timeout', '2'], { HANG_AFTER: 'recv' });
      assert.equal(stuck.status, 124, stuck.stderr);
      assert.match(stuck.stderr, /rank 0: waits to receive from rank 1 with tag 9\n/);
      assert.match(stuck.stderr, /rank 1: waits to receive from rank 0 with tag 9\n/);
      assert.deepEqual(jobProcesses(id, topology), []);
    });
  });

  test('a rankfile places the ranks; bad input exits 2 and starts nothing', async () => {
    const topology = resolveTopology(presetSpec('tiny'));
    await withTestbed(env, topology, async (id) => {
      const dir = tempDir('vmpath-rankfile-');
      const rankfile = join(dir, 'ranks');
      writeFileSync(rankfile, 'rank 0=node4 slot=0\nrank 1=node1 slot=0\nrank 2=node2 slot=0\n');
      const matrixFile = join(dir, 'm.json');
      const ok = launch(id, ['--rankfile', rankfile, '--matrix', matrixFile]);
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stderr, /3 ranks \(.*ranks\)/);
      const { placement } = JSON.parse(readFileSync(matrixFile, 'utf8')) as {
        placement: { vm: string }[];
      };
      assert.deepEqual(
        placement.map((p) => p.vm),
        ['node4', 'node1', 'node2'],
      );
      const bad = (args: string[], message: RegExp) => {
        const result = launch(id, args);
        assert.equal(result.status, 2, result.stderr);
        assert.match(result.stderr, message);
      };
      bad(['-n', '99'], /-n: got 99; allowed: 1 to 4/);
      bad(['-n', 'two'], /-n: got "two"; allowed: a whole number/);
      bad(
        ['-n', '2', '--placement', 'spiral'],
        /--placement: got "spiral"; allowed: block, intra-node, cyclic, inter-node, hybrid/,
      );
      bad(
        ['--rankfile', join(dir, 'missing')],
        /--rankfile: got ".*missing"; allowed: a readable file/,
      );
      bad(['--rankfile', rankfile, '-n', '2'], /-n: got 2; allowed: 3, the ranks/);
      bad(
        ['--rankfile', rankfile, '--placement', 'block'],
        /--rankfile: got ".*ranks"; allowed: nothing with --placement/,
      );
      // a hostfile: mpirun's by-slot mapping over the machines it lists, in its order
      const hostfile = join(dir, 'hosts');
      writeFileSync(hostfile, '# two machines\nnode3 slots=1\nnode2\n');
      const byHost = launch(id, ['--hostfile', hostfile, '-n', '2', '--matrix', matrixFile]);
      assert.equal(byHost.status, 0, byHost.stderr);
      assert.deepEqual(
        (
          JSON.parse(readFileSync(matrixFile, 'utf8')) as { placement: { vm: string }[] }
        ).placement.map((p) => p.vm),
        ['node3', 'node2'],
      );
      bad(
        ['--hostfile', hostfile, '-n', '3'],
        /-n: got 3; allowed: 1 to 2 \(the slots --hostfile lists\)/,
      );
      writeFileSync(hostfile, 'node9 slots=1\n');
      bad(['--hostfile', hostfile, '-n', '1'], /--hostfile line 1 host: got "node9"/);
      writeFileSync(rankfile, 'rank 0=node1 slot=5\n');
      bad(['--rankfile', rankfile], /line 1 slot: got 5; allowed: 0 to 0 on node1/);
      assert.deepEqual(jobProcesses(id, topology), [], 'nothing started');
    });
    assert.match(
      vmpath(['launch', '--id', 'nothere', '-n', '2', '--', 'true'], {
        VMPATH_STATE_DIR: env.stateDir,
      }).stderr,
      /--id: got "nothere"/,
    );
  });
});
