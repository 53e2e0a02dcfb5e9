/**
 * Open MPI's mpirun launching 4 TypeScript ranks across two testbed namespaces (native hosts),
 * with the recipe from the README: mpirun in the first namespace, the other namespace's ranks
 * through `ip netns exec` in MPMD form; rank 0 hosts the rendezvous.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { findExecutable } from '../../src/sys/tools.js';
import { presetSpec } from '../../src/topology/presets.js';
import { resolveTopology } from '../../src/topology/resolve.js';
import { ROOT } from '../support/paths.js';
import { pidsIn, SKIP_NO_ROOT, testEnv, withTestbed } from '../support/testbed.js';

const env = testEnv();
const RING = join(ROOT, 'test/fixtures/apps/ring.mjs');
const SKIP =
  SKIP_NO_ROOT ||
  (findExecutable('mpirun', process.env.PATH)
    ? false
    : 'skipped: needs Open MPI (apt-get install -y openmpi-bin)');
if (SKIP && !SKIP_NO_ROOT) process.stderr.write(`# ${SKIP}\n`);

describe('mpirun', { skip: SKIP }, () => {
  test('4 ranks across two namespaces join through rank 0 and compute the serial results', async () => {
    const topology = resolveTopology(presetSpec('tiny'), { datapath: 'native' });
    await withTestbed(env, topology, async (id) => {
      const [h0, h1] = [`vmp-${id}-host0`, `vmp-${id}-host1`];
      const result = spawnSync(
        'ip',
        [
          'netns',
          'exec',
          h0,
          'env',
          'PMIX_MCA_ptl_tcp_if_include=198.18.0.0/15',
          `VMPATH_TOKEN=${id}-token`,
          'VMPATH_RENDEZVOUS=198.18.0.1:47123',
          'mpirun',
          '--allow-run-as-root',
          '--oversubscribe',
          '--mca',
          'oob_tcp_if_include',
          '198.18.0.0/15',
          '-x',
          'VMPATH_TOKEN',
          '-x',
          'VMPATH_RENDEZVOUS',
          '-np',
          '2',
          process.execPath,
          RING,
          ':',
          '-np',
          '2',
          'ip',
          'netns',
          'exec',
          h1,
          process.execPath,
          RING,
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
      assert.equal(result.status, 0, result.stderr);
      const lines = result.stdout.trim().split('\n').sort();
      assert.deepEqual(
        lines.map((l) => l.replace(/ left=.*/, '')),
        ['rank 0/4 ok', 'rank 1/4 ok', 'rank 2/4 ok', 'rank 3/4 ok'],
      );
      assert.deepEqual([...pidsIn(h0), ...pidsIn(h1)], [], 'no rank left');
    });
  });
});
