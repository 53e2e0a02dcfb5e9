/**
 * The real services the cluster launchers' tests run against (test/support/sshd.ts, slurm.ts):
 * sshd and Slurm started inside a testbed's vms answer as those vms (their names, their
 * addresses, their namespaces), and stopping them leaves no process and no folder, and leaves
 * any sshd of this machine's own namespace running.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { inNetns } from '../../src/sys/command.js';
import {
  findExecutable,
  processAlive,
  processCmdline,
  processesInNetns,
} from '../../src/sys/tools.js';
import { presetSpec } from '../../src/topology/presets.js';
import { resolveTopology } from '../../src/topology/resolve.js';
import { type Machine, machinesOf } from '../support/daemons.js';
import { startSlurm } from '../support/slurm.js';
import { SSHD, startSshd } from '../support/sshd.js';
import { pidsIn, SKIP_NO_ROOT, testEnv, withTestbed } from '../support/testbed.js';

const env = testEnv();
const TOOLS: Record<string, string> = {
  [SSHD]: 'openssh-server',
  ssh: 'openssh-client',
  slurmctld: 'slurm-wlm',
  slurmd: 'slurm-wlm',
  salloc: 'slurm-wlm',
  munged: 'munge',
};
const missing = Object.keys(TOOLS).filter((tool) => !findExecutable(tool, process.env.PATH));
const SKIP =
  SKIP_NO_ROOT ||
  (missing.length > 0
    ? `skipped: needs ${missing.join(', ')} (apt-get install -y ${[...new Set(missing.map((t) => TOOLS[t]))].join(' ')})`
    : false);
if (SKIP && !SKIP_NO_ROOT) process.stderr.write(`# ${SKIP}\n`);

// Two hosts, two single-slot vms each, on iov: node1, node2 on host0; node3, node4 on host1.
const topology = resolveTopology(presetSpec('tiny'), { datapath: 'iov', rateMbit: 0 });

/** PIDs of the sshd processes in this machine's own network namespace (not the testbed's). */
function rootSshds(): number[] {
  const own = readlinkSync('/proc/self/ns/net');
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/ns/net`) === own && processCmdline(pid)?.[0] === SSHD;
      } catch {
        return false;
      }
    });
}

/** Lines of `srun -l` output by task: '0: x' -> ['x'] under 0. */
function byTask(stdout: string): Map<number, string[]> {
  const tasks = new Map<number, string[]>();
  for (const line of stdout.trim().split('\n')) {
    const match = /^\s*(\d+): (.*)$/.exec(line);
    if (!match) continue;
    const task = Number(match[1]);
    tasks.set(task, [...(tasks.get(task) ?? []), match[2] as string]);
  }
  return tasks;
}

/** How many `sleep 300` run in the machines' namespaces, once there are `count` (a detached
 * process may still be on its way to exec when its session ends) or 10 s have passed. */
async function sleepsIn(machines: readonly Machine[], count: number): Promise<number> {
  const netns = machines.map((m) => m.netns);
  const deadline = performance.now() + 10_000;
  for (;;) {
    const found = processesInNetns(netns).filter((p) => p.command === 'sleep 300').length;
    if (found >= count || performance.now() > deadline) return found;
    await sleep(50);
  }
}

function assertNothingLeft(machines: readonly Machine[], pids: readonly number[], dir: string) {
  for (const pid of pids) assert.equal(processAlive(pid), false, `PID ${pid} still alive`);
  for (const m of machines) assert.deepEqual(pidsIn(m.netns), [], `processes left in ${m.name}`);
  assert.equal(existsSync(dir), false, `${dir} still there`);
}

describe('cluster services', { skip: SKIP }, () => {
  test('sshd in every vm: ssh from node1 reaches node3 under its name, address and namespace', async () => {
    await withTestbed(env, topology, async (id) => {
      const before = rootSshds();
      const [node1, , node3] = machinesOf(topology, id) as [Machine, Machine, Machine];
      const ssh = await startSshd(env, topology, id, { sessionEnv: { VMPATH_TEST: 'a b' } });
      const pids: number[] = [];
      try {
        const run = (remote: string[]) =>
          env.runner.run({
            argv: inNetns(node1.netns, ssh.sshArgv(node3.address, remote)),
            description: `ssh node3 ${remote.join(' ')}`,
          });
        assert.equal((await run(['hostname'])).stdout.trim(), 'node3');
        assert.equal((await run(['echo "$VMPATH_TEST"'])).stdout, 'a b\n', 'SetEnv');
        const addresses = (await run(['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout;
        assert.match(addresses, new RegExp(`inet ${node3.address.replaceAll('.', '\\.')}/`));
        // A process that detaches from its session must still end with the sshd.
        await run(['setsid sleep 300 </dev/null >/dev/null 2>&1 &']);
        assert.equal(await sleepsIn([node3], 1), 1, 'the detached sleep runs after its session');
        // 32 sessions at once, all accepted.
        const many = await Promise.all(Array.from({ length: 32 }, () => run(['true'])));
        assert.equal(many.filter((r) => r.exitCode === 0).length, 32);
        pids.push(...ssh.pids, ...ssh.machines.flatMap((m) => pidsIn(m.netns)));
      } finally {
        await ssh.stop();
      }
      assertNothingLeft(ssh.machines, pids, ssh.dir);
      assert.deepEqual(
        before.filter((pid) => !processAlive(pid)),
        [],
        "this machine's own sshd untouched",
      );
    });
  });

  test('Slurm over the vms: srun in an allocation on node1 and node3 runs one task in each', async () => {
    await withTestbed(env, topology, async (id) => {
      const [node1, , node3] = machinesOf(topology, id) as [Machine, Machine, Machine];
      const slurm = await startSlurm(env, topology, id);
      const pids: number[] = [];
      try {
        const sinfo = await env.runner.run(slurm.command(['sinfo', '-h', '-N', '-o', '%N %t']));
        assert.deepEqual(sinfo.stdout.trim().split('\n').sort(), [
          'node1 idle',
          'node2 idle',
          'node3 idle',
          'node4 idle',
        ]);
        const task =
          'echo "$SLURM_PROCID $(hostname)"; ip -4 -o addr show dev eth0; ' +
          // Detached from the step: proctrack/linuxproc loses it; the machine's end must not.
          'setsid sleep 300 </dev/null >/dev/null 2>&1 &';
        const job = await env.runner.run(
          slurm.inAllocation([node1.name, node3.name], 2, ['srun', '-l', 'sh', '-c', task]),
        );
        const tasks = byTask(job.stdout);
        assert.deepEqual([...tasks.keys()].sort(), [0, 1], job.stdout);
        for (const [rank, m] of [node1, node3].entries()) {
          const lines = tasks.get(rank) ?? [];
          assert.equal(lines[0], `${rank} ${m.name}`, job.stdout);
          assert.match(
            lines[1] ?? '',
            new RegExp(`eth0 +inet ${m.address.replaceAll('.', '\\.')}/`),
          );
        }
        assert.equal(await sleepsIn([node1, node3], 2), 2, 'the detached sleeps outlive the job');
        pids.push(...slurm.pids, ...slurm.machines.flatMap((m) => pidsIn(m.netns)));
      } finally {
        await slurm.stop();
      }
      assertNothingLeft(slurm.machines, pids, slurm.dir);
    });
  });
});
