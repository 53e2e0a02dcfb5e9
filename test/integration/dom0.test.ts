/**
 * The emulated dom0, for real: bridged frames cross the host's backend process (the taps on the
 * bridge count what it wrote, the vm ports what it read), iov frames do not; the backend runs
 * under the dom0 budget and what vmpath starts in a vm under the guests' budget; a backend
 * killed with SIGKILL cuts its vms off visibly, and `clean` then leaves nothing.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { describe, test } from 'node:test';
import { cpuController } from '../../src/sys/cgroup.js';
import { inNetns } from '../../src/sys/command.js';
import { processCmdline } from '../../src/sys/tools.js';
import { BACKEND_PATH, recordedBackends } from '../../src/testbed/dom0.js';
import { inspectNetns } from '../../src/testbed/inspect.js';
import { clean, up } from '../../src/testbed/lifecycle.js';
import { hostNetns, netnsPrefix, vmNetns } from '../../src/testbed/names.js';
import { listNetns, TestbedState } from '../../src/testbed/state.js';
import { checkReachability, transfer } from '../../src/testbed/traffic.js';
import { presetSpec } from '../../src/topology/presets.js';
import { resolveTopology } from '../../src/topology/resolve.js';
import type { Datapath } from '../../src/topology/types.js';
import { type Env, SKIP_NO_ROOT, testEnv, testId, withTestbed } from '../support/testbed.js';

const env = testEnv();
const MiB = 1 << 20;
const controller = cpuController();
const SKIP =
  SKIP_NO_ROOT ||
  ('missing' in controller ? `skipped: CPU budgets need a cgroup: ${controller.missing}` : false);

const topology = (datapath: Datapath) =>
  resolveTopology({ ...presetSpec('tiny'), dom0: { cpus: '50%' } }, { datapath });

async function counters(e: Env, netns: string) {
  const { interfaces } = await inspectNetns(e.runner, netns);
  return new Map(interfaces.map((i) => [i.name, { rx: i.rxBytes, tx: i.txBytes }]));
}

type Counters = Awaited<ReturnType<typeof counters>>;
const rise = (a: Counters, b: Counters, dev: string, dir: 'rx' | 'tx') =>
  (b.get(dev)?.[dir] ?? 0) - (a.get(dev)?.[dir] ?? 0);

const cgroupOf = (pid: number) => readFileSync(`/proc/${pid}/cgroup`, 'utf8');

describe('the emulated dom0', { skip: SKIP }, () => {
  test('bridged: every frame crosses the backend, which runs under the dom0 budget', async () => {
    const tb = topology('bridged');
    await withTestbed(env, tb, async (id) => {
      const [h0, h1] = [hostNetns(id, 'host0'), hostNetns(id, 'host1')];
      const before = [await counters(env, h0), await counters(env, h1)] as const;
      const moved = await transfer(env, tb, id, 'node1', 'node3', 1);
      assert.ok(moved.receivedBytes > 8 * MiB, `moved ${moved.receivedBytes} bytes`);
      const after = [await counters(env, h0), await counters(env, h1)] as const;
      // host0: the backend read node1's frames from its port and wrote them into its tap.
      assert.ok(rise(before[0], after[0], 'v-node1', 'rx') >= moved.receivedBytes, 'port rx');
      assert.ok(rise(before[0], after[0], 't-node1', 'rx') >= moved.receivedBytes, 'tap rx');
      assert.ok(rise(before[0], after[0], 'up0', 'tx') >= moved.receivedBytes, 'uplink tx');
      // host1: the bridge gave them to node3's tap, and the backend wrote them to its port.
      assert.ok(rise(before[1], after[1], 't-node3', 'tx') >= moved.receivedBytes, 'tap tx');
      assert.ok(rise(before[1], after[1], 'v-node3', 'tx') >= moved.receivedBytes, 'port tx');
      // The bridge has the taps as ports, never the vm ports.
      const { interfaces } = await inspectNetns(env.runner, h0);
      assert.equal(interfaces.find((i) => i.name === 't-node1')?.master, 'br0');
      assert.equal(interfaces.find((i) => i.name === 'v-node1')?.master, null);

      const backends = recordedBackends(new TestbedState(env.stateDir, id).ledger.read());
      assert.deepEqual(
        backends.map((b) => [b.host, b.running]),
        [
          ['host0', true],
          ['host1', true],
        ],
      );
      const share = availableParallelism() / 2;
      for (const b of backends) {
        assert.match(cgroupOf(b.pid), new RegExp(`/${netnsPrefix(id)}${b.host}-dom0$`, 'm'));
        const dir = `${(controller as { root: string }).root}/${netnsPrefix(id)}${b.host}-dom0`;
        const quota =
          'version' in controller && controller.version === 1
            ? Number(readFileSync(`${dir}/cpu.cfs_quota_us`, 'utf8'))
            : Number(readFileSync(`${dir}/cpu.max`, 'utf8').split(' ')[0]);
        assert.equal(quota, Math.round(0.5 * share * 100_000));
      }
      // What vmpath starts in a vm runs under its host's guests' budget.
      const inVm = await env.runner.run({
        argv: inNetns(vmNetns(id, 'host1', 'node4'), ['cat', '/proc/self/cgroup']),
        description: 'cgroup of a process in a vm',
      });
      assert.match(inVm.stdout, new RegExp(`/${netnsPrefix(id)}host1-guests$`, 'm'));
    });
  });

  test('iov: no backend and no tap; the same guests budget', async () => {
    const tb = topology('iov');
    await withTestbed(env, tb, async (id) => {
      assert.deepEqual(recordedBackends(new TestbedState(env.stateDir, id).ledger.read()), []);
      const h0 = await counters(env, hostNetns(id, 'host0'));
      assert.deepEqual(
        [...h0.keys()].filter((n) => n.startsWith('t-')),
        [],
      );
      const inVm = await env.runner.run({
        argv: inNetns(vmNetns(id, 'host0', 'node1'), ['cat', '/proc/self/cgroup']),
        description: 'cgroup of a process in a vm',
      });
      assert.match(inVm.stdout, new RegExp(`/${netnsPrefix(id)}host0-guests$`, 'm'));
    });
  });

  test('a backend killed with SIGKILL cuts its vms off; clean leaves nothing', async () => {
    const tb = topology('bridged');
    const id = testId();
    await up(env, tb, id);
    try {
      const ledger = new TestbedState(env.stateDir, id).ledger;
      const [first] = recordedBackends(ledger.read());
      assert.ok(first);
      process.kill(first.pid, 'SIGKILL');
      const deadline = Date.now() + 2000;
      while (recordedBackends(ledger.read())[0]?.running && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(recordedBackends(ledger.read())[0]?.running, false);
      const report = await checkReachability(env, tb, id);
      assert.equal(report.ok, false);
      const cut = report.pairs.filter((p) => !p.ok);
      assert.ok(
        cut.length > 0 &&
          cut.every(
            (p) => p.from === 'node1' || p.from === 'node2' || p.to === 'node1' || p.to === 'node2',
          ),
        JSON.stringify(cut),
      );
      assert.ok(
        report.pairs.some((p) => p.ok && p.from === 'node3' && p.to === 'node4'),
        "host1's vms still reach each other through host1's backend",
      );
    } finally {
      const backends = recordedBackends(new TestbedState(env.stateDir, id).ledger.read());
      await clean(env, { id });
      assert.deepEqual(listNetns(netnsPrefix(id)), []);
      const root = (controller as { root: string }).root;
      assert.deepEqual(
        readdirSync(root).filter((n) => n.startsWith(netnsPrefix(id))),
        [],
      );
      for (const b of backends)
        assert.notEqual(processCmdline(b.pid)?.[0], BACKEND_PATH, `backend ${b.pid} is gone`);
    }
  });
});
