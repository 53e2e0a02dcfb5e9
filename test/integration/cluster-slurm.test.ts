/**
 * vmpath on a real Slurm cluster: munged, slurmctld and one slurmd per vm of a testbed
 * (test/support/slurm.ts), an inventory reached through Slurm, and vmpath run inside an
 * allocation (salloc) on the first vm. srun starts 4 runtime ranks across two vms, each in
 * its own vm, with the runtime's rendezvous hosted by vmpath; the advection app under srun gives
 * the serial checksum, on vmpath's runtime and on Open MPI (mpirun inside the allocation); and
 * outside an allocation the inventory is refused with exit 2.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { resolveTopology } from '../../src/topology/resolve.js';
import { vmpath, vmpathIn } from '../support/cli.js';
import { machinesOf } from '../support/daemons.js';
import { inventoryOf, writeInventory } from '../support/inventory.js';
import { CLI, ROOT } from '../support/paths.js';
import { PARTITION, startSlurm } from '../support/slurm.js';
import { pidsIn, skipUnlessTools, tempDir, testEnv, withTestbed } from '../support/testbed.js';

const env = testEnv();
const SKIP = skipUnlessTools(
  ['slurmctld', 'slurmd', 'salloc', 'srun', 'sbcast', 'munged', 'mpirun'],
  'slurm-wlm munge openmpi-bin',
);

const RING = join(ROOT, 'test/fixtures/apps/ring.mjs');
// Two hosts, one two-slot vm each: a and b.
const topology = resolveTopology({
  name: 'pair',
  datapath: 'iov',
  hosts: [
    { name: 'h0', vms: [{ name: 'a', slots: 2 }] },
    { name: 'h1', vms: [{ name: 'b', slots: 2 }] },
  ],
});

// The collectives' algorithms, forced: the testbed's launcher knows that its vms share this
// machine's cores (crowded ranks take other algorithms, collectives.ts), srun cannot, and the
// two jobs would count different messages.
const SAME_ALGORITHMS = [
  'VMPATH_BARRIER=dissemination',
  'VMPATH_BCAST=binomial',
  'VMPATH_ALLREDUCE=doubling',
];

describe('a cluster through Slurm', { skip: SKIP }, () => {
  test('srun starts the ranks in their vms; advect under srun gives the serial checksum', async () => {
    await withTestbed(env, topology, async (id) => {
      const slurm = await startSlurm(env, topology, id);
      try {
        const machines = machinesOf(topology, id);
        const services = new Set(machines.flatMap((m) => pidsIn(m.netns)));
        const dir = tempDir('vmpath-inventory-');
        const file = writeInventory(
          dir,
          inventoryOf(topology, { slurm: { partition: PARTITION } }),
        );
        const cliEnv = { VMPATH_STATE_DIR: env.stateDir, ...slurm.env };
        const inAllocation = async (args: string[]) => {
          const command = slurm.inAllocation(['a', 'b'], 4, [process.execPath, CLI, ...args]);
          return env.runner.run(command, { allowFailure: true, timeoutMs: 180_000 });
        };

        const ranks = await inAllocation([
          'launch',
          '--cluster',
          file,
          '-n',
          '4',
          '--placement',
          'cyclic',
          '--env',
          ...SAME_ALGORITHMS,
          '--matrix',
          join(dir, 'matrix.json'),
          '--',
          process.execPath,
          RING,
        ]);
        assert.equal(ranks.exitCode, 0, ranks.stderr);
        const ok = ranks.stdout.split('\n').filter((l) => / ok left=/.test(l));
        assert.equal(ok.length, 4, ranks.stdout);
        // Each rank in its own vm: srun's task i is rank i, on the node the placement names.
        const whereRun = await inAllocation([
          'launch',
          '--cluster',
          file,
          '-n',
          '4',
          '--placement',
          'cyclic',
          '--',
          'sh',
          '-c',
          'echo "on $(hostname) $SLURM_PROCID $(ip -4 -o addr show dev eth0 | grep -o "inet [0-9.]*")"',
        ]);
        assert.equal(whereRun.exitCode, 0, whereRun.stderr);
        const where = Object.fromEntries(
          whereRun.stdout
            .split('\n')
            .map((l) => /^\[(\d)\] on (\S+) (\d) inet (\S+)$/.exec(l))
            .filter((m): m is RegExpExecArray => m !== null)
            .map((m) => [m[1], `${m[2]} ${m[3]} ${m[4]}`]),
        );
        const [a, b] = topology.hosts.map((h) => h.vms[0]?.address);
        // cyclic: ranks 0 and 2 on a, 1 and 3 on b.
        assert.deepEqual(where, { 0: `a 0 ${a}`, 1: `b 1 ${b}`, 2: `a 2 ${a}`, 3: `b 3 ${b}` });
        const matrix = JSON.parse(readFileSync(join(dir, 'matrix.json'), 'utf8')) as {
          matrix: { transport: string }[];
        };
        assert.ok(matrix.matrix.length > 0, 'the ranks gave the rendezvous their counters');
        assert.ok(
          matrix.matrix.some((e) => e.transport === 'local'),
          'ranks of one vm meet locally',
        );

        // The same job on the testbed directly counts the same messages.
        const direct = vmpath(
          [
            'launch',
            '--id',
            id,
            '-n',
            '4',
            '--placement',
            'cyclic',
            '--env',
            ...SAME_ALGORITHMS,
            '--matrix',
            join(dir, 'direct.json'),
            '--',
            process.execPath,
            RING,
          ],
          { VMPATH_STATE_DIR: env.stateDir },
        );
        assert.equal(direct.status, 0, direct.stderr);
        const entries = (name: string) =>
          (JSON.parse(readFileSync(join(dir, name), 'utf8')) as { matrix: unknown[] }).matrix;
        assert.deepEqual(entries('matrix.json'), entries('direct.json'));

        // A failing rank: srun's report names it; the job ends with its code.
        const failing = await inAllocation([
          'launch',
          '--cluster',
          file,
          '-n',
          '4',
          '--env',
          'FAIL_RANK=1',
          '--',
          process.execPath,
          RING,
        ]);
        assert.equal(failing.exitCode, 3, failing.stderr);
        assert.match(failing.stderr, /rank 1 \(on [ab]\) exited with code 3/);

        // A bench's server and client as two job steps on two vms.
        const stream = await inAllocation([
          'bench',
          'stream',
          '--cluster',
          file,
          '--from',
          'a',
          '--to',
          'b',
          '--duration',
          '1',
          '--iterations',
          '1,1',
          '--json',
        ]);
        assert.equal(stream.exitCode, 0, stream.stderr);
        assert.ok((JSON.parse(stream.stdout) as { total: { mean: number } }).total.mean > 0);

        const advect = ['--grid', '32x32x16', '--steps', '4', '--json'];
        const serial = vmpath(['run', 'advect', ...advect, '--serial'], {
          VMPATH_STATE_DIR: env.stateDir,
        });
        assert.equal(serial.status, 0, serial.stderr);
        const checksum = (stdout: string) => (JSON.parse(stdout) as { checksum: string }).checksum;
        const reference = checksum(serial.stdout);
        for (const engine of ['vmpath', 'openmpi']) {
          const run = await inAllocation([
            'run',
            'advect',
            '--cluster',
            file,
            ...advect,
            '--decomp',
            '2x2x1',
            '--engine',
            engine,
          ]);
          assert.equal(run.exitCode, 0, `${engine}: ${run.stderr}`);
          assert.equal(checksum(run.stdout), reference, `${engine} under Slurm`);
        }

        // Outside an allocation, an inventory of Slurm nodes cannot be used.
        const outside = vmpathIn(
          slurm.netns,
          ['launch', '--cluster', file, '-n', '2', '--', 'true'],
          cliEnv,
        );
        assert.equal(outside.status, 2, outside.stderr);
        assert.match(outside.stderr, /--cluster: .*outside an allocation \(no SLURM_JOB_ID\)/);
        const left = machines.flatMap((m) => pidsIn(m.netns)).filter((p) => !services.has(p));
        assert.deepEqual(left, [], 'nothing vmpath started is left on the nodes');
      } finally {
        await slurm.stop();
      }
    });
  });
});
