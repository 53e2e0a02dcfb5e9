/**
 * The data path is really the one asked for, as the kernel's byte counters show:
 * bridged traffic crosses the host bridge's ports; iov has no bridge and rides the macvlan and
 * the uplink; vepa sends vm-to-vm traffic inside one host out of the uplink, veb does not.
 * Also: shaping caps a transfer between hosts at the uplink rate.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspectNetns } from '../../src/testbed/inspect.js';
import { hostNetns, vmNetns } from '../../src/testbed/names.js';
import { transfer } from '../../src/testbed/traffic.js';
import { presetSpec } from '../../src/topology/presets.js';
import { resolveTopology } from '../../src/topology/resolve.js';
import { type Env, SKIP_NO_ROOT, testEnv, withTestbed } from '../support/testbed.js';

const env = testEnv();
const MiB = 1 << 20;

/** tx and rx bytes of every interface of a namespace, by name. */
async function counters(
  e: Env,
  netns: string,
): Promise<Map<string, { rx: number; tx: number; kind: string | null }>> {
  const { interfaces } = await inspectNetns(e.runner, netns);
  return new Map(interfaces.map((i) => [i.name, { rx: i.rxBytes, tx: i.txBytes, kind: i.kind }]));
}

function rise(
  before: Map<string, { rx: number; tx: number }>,
  after: Map<string, { rx: number; tx: number }>,
  dev: string,
  dir: 'rx' | 'tx',
): number {
  return (after.get(dev)?.[dir] ?? 0) - (before.get(dev)?.[dir] ?? 0);
}

describe('data paths, by the counters', { skip: SKIP_NO_ROOT }, () => {
  test('bridged: traffic between hosts crosses the host bridge ports (vm veth port and uplink)', async () => {
    const topology = resolveTopology(presetSpec('tiny'), { datapath: 'bridged' });
    await withTestbed(env, topology, async (id) => {
      const h0 = hostNetns(id, 'host0');
      const before = await counters(env, h0);
      assert.equal(before.get('br0')?.kind, 'bridge');
      const moved = await transfer(env, topology, id, 'node1', 'node3', 1);
      assert.ok(moved.receivedBytes > 8 * MiB, `moved ${moved.receivedBytes} bytes`);
      const after = await counters(env, h0);
      // The vm's veth port receives what node1 sends; the uplink port transmits it to host1.
      assert.ok(rise(before, after, 'v-node1', 'rx') >= moved.receivedBytes, 'v-node1 rx');
      assert.ok(rise(before, after, 'up0', 'tx') >= moved.receivedBytes, 'up0 tx');
      assert.ok(
        rise(before, after, 'v-node2', 'tx') < moved.receivedBytes / 100,
        'other vm ports see almost nothing',
      );
    });
  });

  test('iov: no bridge in the host; the macvlan and the uplink carry the traffic', async () => {
    const topology = resolveTopology(presetSpec('tiny'), { datapath: 'iov' });
    await withTestbed(env, topology, async (id) => {
      const h0 = hostNetns(id, 'host0');
      const vm = vmNetns(id, 'host0', 'node1');
      const hostBefore = await counters(env, h0);
      assert.deepEqual(
        [...hostBefore.values()].filter((i) => i.kind === 'bridge'),
        [],
        'no bridge',
      );
      const vmBefore = await counters(env, vm);
      assert.equal(vmBefore.get('eth0')?.kind, 'macvlan');
      const moved = await transfer(env, topology, id, 'node1', 'node3', 1);
      const hostAfter = await counters(env, h0);
      const vmAfter = await counters(env, vm);
      assert.ok(rise(vmBefore, vmAfter, 'eth0', 'tx') >= moved.receivedBytes, 'macvlan tx');
      assert.ok(rise(hostBefore, hostAfter, 'up0', 'tx') >= moved.receivedBytes, 'uplink tx');
    });
  });

  for (const mode of ['vepa', 'veb'] as const) {
    test(`iov ${mode}: vm-to-vm traffic inside one host ${mode === 'vepa' ? 'leaves' : 'does not leave'} through the uplink`, async () => {
      const topology = resolveTopology(
        { ...presetSpec('tiny'), iov: { mode } },
        { datapath: 'iov' },
      );
      await withTestbed(env, topology, async (id) => {
        const h0 = hostNetns(id, 'host0');
        const before = await counters(env, h0);
        const moved = await transfer(env, topology, id, 'node1', 'node2', 1);
        assert.ok(moved.receivedBytes > 8 * MiB, `moved ${moved.receivedBytes} bytes`);
        const after = await counters(env, h0);
        const out = rise(before, after, 'up0', 'tx');
        if (mode === 'vepa')
          assert.ok(out >= moved.receivedBytes, `uplink tx rose ${out} >= ${moved.receivedBytes}`);
        else
          assert.ok(
            out < moved.receivedBytes / 100,
            `uplink tx rose only ${out} for ${moved.receivedBytes}`,
          );
      });
    });
  }

  test('shaping: at 1000 Mbit/s, a 3-second transfer between hosts measures at most 105% of the rate', async () => {
    const topology = resolveTopology(presetSpec('tiny'), { datapath: 'bridged', rateMbit: 1000 });
    await withTestbed(env, topology, async (id) => {
      const { qdiscs } = await inspectNetns(env.runner, hostNetns(id, 'host0'));
      assert.equal(qdiscs.find((q) => q.dev === 'up0')?.rateMbit, 1000);
      const moved = await transfer(env, topology, id, 'node1', 'node3', 3);
      assert.ok(moved.seconds > 2.5, `measured over ${moved.seconds} s`);
      assert.ok(moved.rateMbit <= 1050, `measured ${moved.rateMbit.toFixed(1)} Mbit/s`);
      assert.ok(moved.rateMbit >= 500, `shaped, not starved: ${moved.rateMbit.toFixed(1)} Mbit/s`);
    });
  });
});
