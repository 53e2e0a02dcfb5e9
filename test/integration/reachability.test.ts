/**
 * Every data path on `tiny`, `paper` and `trio`: TCP between every ordered pair of vms (or of
 * native hosts), with the traffic agent running inside the namespaces.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkReachability } from '../../src/testbed/traffic.js';
import { presetSpec } from '../../src/topology/presets.js';
import { resolveTopology, type TopologyOverrides } from '../../src/topology/resolve.js';
import type { TopologyInput } from '../../src/topology/schema.js';
import { leftovers, SKIP_NO_ROOT, testEnv, withTestbed } from '../support/testbed.js';

const env = testEnv();

const CASES: [string, TopologyInput, TopologyOverrides, number][] = [];
for (const preset of ['tiny', 'paper'] as const) {
  const vms = preset === 'tiny' ? 4 : 8;
  CASES.push(
    [`${preset} native`, presetSpec(preset), { datapath: 'native' }, 2 * 1],
    [`${preset} bridged`, presetSpec(preset), { datapath: 'bridged' }, vms * (vms - 1)],
    [`${preset} iov veb`, presetSpec(preset), { datapath: 'iov' }, vms * (vms - 1)],
    [
      `${preset} iov vepa`,
      { ...presetSpec(preset), iov: { mode: 'vepa' } },
      { datapath: 'iov' },
      vms * (vms - 1),
    ],
  );
}
CASES.push(
  ['trio bridged (switch)', presetSpec('trio'), {}, 6],
  ['trio iov (switch)', presetSpec('trio'), { datapath: 'iov' }, 6],
);

describe('reachability over every data path', { skip: SKIP_NO_ROOT }, () => {
  for (const [name, spec, overrides, pairs] of CASES) {
    test(name, async () => {
      const topology = resolveTopology(spec, overrides);
      let id = '';
      const report = await withTestbed(env, topology, async (built) => {
        id = built;
        return checkReachability(env, topology, built);
      });
      const failed = report.pairs.filter((p) => !p.ok);
      assert.deepEqual(failed, [], 'every pair connects');
      assert.equal(report.pairs.length, pairs);
      const shared = topology.hosts.some((h) => !h.native && h.vms.length > 1);
      assert.equal(
        report.pairs.some((p) => p.sameHost),
        shared,
        'pairs on one host are checked where there are some',
      );
      assert.ok(
        report.pairs.some((p) => !p.sameHost),
        'pairs across hosts are checked',
      );
      assert.deepEqual(leftovers(id), [], 'down leaves no namespace');
    });
  }
});
