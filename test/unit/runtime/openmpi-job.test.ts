/**
 * Planning an Open MPI job on a testbed (src/runtime/openmpi-job.ts): which machines get a
 * daemon under each data path, the sequential hostfile, the agents' scripts (run for real with
 * sh, against a fake `ip`), and mpirun's settings.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { place } from '../../../src/placement/patterns.js';
import {
  DAEMON_PIDS,
  forkAgent,
  headArgv,
  jobMpirunArgs,
  launchAgent,
  planJob,
  RANK_PIDS,
  seqHostfile,
} from '../../../src/runtime/openmpi-job.js';
import { presetSpec } from '../../../src/topology/presets.js';
import { resolveTopology } from '../../../src/topology/resolve.js';
import type { Datapath } from '../../../src/topology/types.js';
import { tempDir } from '../../support/temp.js';

const tiny = (datapath: Datapath) => resolveTopology(presetSpec('tiny'), { datapath });

test('bridged and iov: a daemon per vm that holds ranks, in that vm', () => {
  for (const datapath of ['bridged', 'iov'] as const) {
    const topology = tiny(datapath);
    const plan = planJob(topology, 'x1', place(topology, 'cyclic', 3));
    assert.deepEqual(
      plan.machines.map((m) => [m.name, m.netns, m.ranks]),
      [
        ['node1', 'vmp-x1-host0-node1', 1],
        ['node3', 'vmp-x1-host1-node3', 1],
        ['node2', 'vmp-x1-host0-node2', 1],
      ],
    );
    assert.equal(plan.perHost, false);
    assert.equal(plan.headNetns, 'vmp-x1-host0-node1');
    assert.equal(seqHostfile(plan), 'node1\nnode3\nnode2\n');
  }
});

test('shm: a daemon per host, its ranks each in their own vm', () => {
  const topology = tiny('shm');
  const plan = planJob(topology, 'x1', place(topology, 'block', 4));
  assert.deepEqual(
    plan.machines.map((m) => [m.name, m.netns, m.ranks]),
    [
      ['host0', 'vmp-x1-host0-node1', 2],
      ['host1', 'vmp-x1-host1-node3', 2],
    ],
  );
  assert.deepEqual(
    plan.ranks.map((r) => [r.machine, r.netns]),
    [
      ['host0', 'vmp-x1-host0-node1'],
      ['host0', 'vmp-x1-host0-node2'],
      ['host1', 'vmp-x1-host1-node3'],
      ['host1', 'vmp-x1-host1-node4'],
    ],
  );
  assert.equal(plan.perHost, true);
  assert.equal(seqHostfile(plan), 'host0\nhost0\nhost1\nhost1\n');
});

test('native: each host is a machine, in its own namespace', () => {
  const topology = tiny('native');
  const plan = planJob(topology, 'x1', place(topology, 'block', 4));
  assert.deepEqual(
    plan.machines.map((m) => [m.name, m.netns, m.ranks]),
    [
      ['host0', 'vmp-x1-host0', 2],
      ['host1', 'vmp-x1-host1', 2],
    ],
  );
  assert.equal(plan.perHost, false);
});

/** A folder with the agents and a fake `ip` that prints what it was asked to run. */
function agents(datapath: Datapath, procsOf?: (dir: string, netns: string) => string) {
  const topology = tiny(datapath);
  const plan = planJob(topology, 'x1', place(topology, 'block', 4));
  const dir = tempDir('vmpath-agents-');
  writeFileSync(
    join(dir, 'launch'),
    launchAgent(plan, dir, procsOf ? (netns) => procsOf(dir, netns) : undefined),
  );
  writeFileSync(join(dir, 'fork'), forkAgent(plan, dir));
  writeFileSync(join(dir, 'ip'), '#!/bin/sh\necho "ip $*"\n');
  chmodSync(join(dir, 'ip'), 0o755);
  const run = (script: string, args: string[], extra: NodeJS.ProcessEnv = {}) =>
    spawnSync('sh', [join(dir, script), ...args], {
      encoding: 'utf8',
      env: { PATH: `${dir}:/usr/bin:/bin`, ...extra },
    });
  return { dir, run };
}

test('the launch agent enters the machine named first, as ssh would reach it, and records it', () => {
  const { dir, run } = agents('bridged');
  const ok = run('launch', ['node2', 'orted', '-mca', 'ess', '"env"']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(
    ok.stdout,
    /^ip netns exec vmp-x1-host0-node2 unshare --uts sh -c hostname node2 && exec +orted -mca ess "env"/,
  );
  const [line] = readFileSync(join(dir, DAEMON_PIDS), 'utf8').trim().split('\n');
  assert.match(line as string, /^\d+ \d+ node2$/);
  const unknown = run('launch', ['node9', 'orted']);
  assert.equal(unknown.status, 255);
  assert.match(unknown.stderr, /node9 is not a machine of this job/);
});

test('with a guests budget, the launch agent puts the daemon in its host cgroup first', () => {
  const { dir, run } = agents('bridged', (d, netns) => join(d, `${netns}.procs`));
  const ok = run('launch', ['node3', 'orted']);
  assert.equal(ok.status, 0, ok.stderr);
  const joined = readFileSync(join(dir, 'vmp-x1-host1-node3.procs'), 'utf8').trim();
  // The shell that wrote its PID there is the one that execs ip, hence the daemon.
  const [line] = readFileSync(join(dir, DAEMON_PIDS), 'utf8').trim().split('\n');
  assert.equal(joined, (line as string).split(' ')[0]);
});

test('the fork agent records each rank; under shm it puts the rank into its vm', () => {
  const bridged = agents('bridged');
  const direct = bridged.run('fork', ['echo', 'program'], { OMPI_COMM_WORLD_RANK: '1' });
  assert.equal(direct.stdout, 'program\n');
  assert.match(readFileSync(join(bridged.dir, RANK_PIDS), 'utf8'), /^\d+ \d+ rank1\n$/);
  const shm = agents('shm');
  const entered = shm.run('fork', ['prog', 'a'], { OMPI_COMM_WORLD_RANK: '3' });
  assert.equal(entered.stdout, 'ip netns exec vmp-x1-host1-node4 prog a\n');
  const stranger = shm.run('fork', ['prog'], { OMPI_COMM_WORLD_RANK: '9' });
  assert.equal(stranger.status, 255);
});

test("mpirun's settings: the agents, the seq mapper, no binding, the testbed's addresses", () => {
  const topology = tiny('bridged');
  const plan = planJob(topology, 'x1', place(topology, 'block', 2));
  const args = jobMpirunArgs({ hostfile: '/h', launchAgent: '/l', forkAgent: '/f' }, 2, false);
  const value = (name: string) => args[args.indexOf(name) + 1];
  assert.equal(value('plm_rsh_agent'), '/l');
  assert.equal(value('orte_fork_agent'), '/f');
  assert.equal(value('rmaps'), 'seq');
  assert.equal(value('--bind-to'), 'none');
  assert.equal(value('btl_tcp_if_include'), '198.18.0.0/15');
  assert.equal(value('oob_tcp_if_include'), '198.18.0.0/15');
  assert.equal(value('-np'), '2');
  assert.ok(!args.includes('--oversubscribe'));
  assert.ok(
    jobMpirunArgs({ hostfile: '/h', launchAgent: '/l', forkAgent: '/f' }, 2, true).includes(
      '--oversubscribe',
    ),
  );
  const head = headArgv(plan, ['mpirun', ...args]);
  assert.deepEqual(head.slice(0, 3), ['nsenter', '--net=/run/netns/vmp-x1-host0-node1', '--']);
  assert.ok(head.includes('PMIX_MCA_ptl_tcp_if_include=198.18.0.0/15'));
});
