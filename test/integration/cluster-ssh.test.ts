/**
 * vmpath on a real cluster over ssh: a real sshd in every vm of a testbed (test/support/sshd.ts),
 * an inventory of those vms, and vmpath run from node1's namespace (the node a user logs in to)
 * with --cluster. Every measuring command gives what it gives on the testbed directly: the same
 * output and matrix of the runtime's ranks, the same advection checksums on both engines, the
 * same Open MPI message classes; bad inventories exit 2 naming the field and the node, and
 * nothing vmpath started is left on any node.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { presetSpec } from '../../src/topology/presets.js';
import { resolveTopology } from '../../src/topology/resolve.js';
import type { Topology } from '../../src/topology/types.js';
import { vmpath, vmpathIn } from '../support/cli.js';
import { type Machine, machinesOf } from '../support/daemons.js';
import { inventoryOf, writeInventory } from '../support/inventory.js';
import { programPath } from '../support/mpi-programs.js';
import { CLI, ROOT } from '../support/paths.js';
import { SSHD, startSshd } from '../support/sshd.js';
import { pidsIn, skipUnlessTools, tempDir, testEnv, withTestbed } from '../support/testbed.js';

const env = testEnv();
const SKIP = skipUnlessTools(
  [SSHD, 'ssh', 'mpirun', 'mpicc'],
  'openssh-server openssh-client openmpi-bin libopenmpi-dev',
);

const RING = join(ROOT, 'test/fixtures/apps/ring.mjs');
// Two hosts of two single-slot vms on iov: node1, node2 on host0; node3, node4 on host1.
const topology: Topology = resolveTopology(presetSpec('tiny'), { datapath: 'iov', rateMbit: 0 });
const cliEnv = { VMPATH_STATE_DIR: env.stateDir };

/** The processes in the vms' namespaces now. */
const inMachines = (machines: readonly Machine[]) => machines.flatMap((m) => pidsIn(m.netns));

// The collectives' algorithms, forced: the testbed's launcher knows that its vms share this
// machine's cores (crowded ranks take other algorithms, collectives.ts), a cluster's cannot, and
// the two jobs would count different messages.
const SAME_ALGORITHMS = [
  'VMPATH_BARRIER=dissemination',
  'VMPATH_BCAST=binomial',
  'VMPATH_ALLREDUCE=doubling',
];

describe('a cluster over ssh', { skip: SKIP }, () => {
  test('check, bench, launch, run advect (both engines) and run mpi give what the testbed gives', async () => {
    await withTestbed(env, topology, async (id) => {
      const ssh = await startSshd(env, topology, id);
      try {
        const machines = machinesOf(topology, id);
        const services = new Set(inMachines(machines));
        const head = (machines[0] as Machine).netns;
        const dir = tempDir('vmpath-inventory-');
        const file = writeInventory(
          dir,
          inventoryOf(topology, {
            ssh: {
              identityFile: ssh.identityFile,
              knownHosts: ssh.knownHosts,
              user: 'root',
              port: 22,
            },
          }),
        );
        // The command's words (up to its first option), then --cluster or --id, then the rest.
        const split = (args: string[]) => {
          const at = args.findIndex((a) => a.startsWith('-'));
          return [args.slice(0, at), args.slice(at)] as const;
        };
        const on = (args: string[], timeoutMs?: number) => {
          const [words, rest] = split(args);
          return vmpathIn(head, [...words, '--cluster', file, ...rest], cliEnv, timeoutMs);
        };
        const direct = (args: string[], timeoutMs?: number) => {
          const [words, rest] = split(args);
          return vmpath([...words, '--id', id, ...rest], cliEnv, timeoutMs);
        };

        const check = vmpathIn(head, ['cluster', 'check', '--cluster', file, '--json'], cliEnv);
        assert.equal(check.status, 0, check.stderr + check.stdout);
        const nodes = (
          JSON.parse(check.stdout) as {
            nodes: {
              name: string;
              facts: { hostname: string; source: string };
              problems: unknown[];
            }[];
          }
        ).nodes;
        assert.deepEqual(
          nodes.map((n) => [n.name, n.facts.hostname, n.problems.length]),
          machines.map((m) => [m.name, m.name, 0]),
        );
        assert.deepEqual(
          nodes.map((n) => n.facts.source),
          machines.map((m) => m.address),
        );

        const stream = on([
          'bench',
          'stream',
          '--from',
          'node1',
          '--to',
          'node3',
          '--duration',
          '1',
          '--iterations',
          '1,1',
          '--json',
        ]);
        assert.equal(stream.status, 0, stream.stderr);
        const doc = JSON.parse(stream.stdout) as {
          cluster: { launcher: string };
          total: { mean: number };
        };
        assert.equal(doc.cluster.launcher, 'ssh');
        assert.ok(doc.total.mean > 0, 'a stream over ssh-started tools carries data');

        const ringArgs = [
          'launch',
          '-n',
          '4',
          '--placement',
          'cyclic',
          '--env',
          ...SAME_ALGORITHMS,
        ];
        const viaSsh = on([
          ...ringArgs,
          '--matrix',
          join(dir, 'ssh.json'),
          '--',
          process.execPath,
          RING,
        ]);
        const viaNetns = direct([
          ...ringArgs,
          '--matrix',
          join(dir, 'netns.json'),
          '--',
          process.execPath,
          RING,
        ]);
        assert.equal(viaSsh.status, 0, viaSsh.stderr);
        assert.equal(viaNetns.status, 0, viaNetns.stderr);
        const lines = (r: { stdout: string }) => r.stdout.trim().split('\n').sort();
        assert.deepEqual(lines(viaSsh), lines(viaNetns));
        const matrix = (name: string) => JSON.parse(readFileSync(join(dir, name), 'utf8')).matrix;
        assert.deepEqual(matrix('ssh.json'), matrix('netns.json'));

        const advect = [
          'run',
          'advect',
          '--grid',
          '32x32x16',
          '--steps',
          '4',
          '--decomp',
          '2x2x1',
          '--json',
        ];
        const checksum = (r: { status: number | null; stdout: string; stderr: string }) => {
          assert.equal(r.status, 0, r.stderr);
          return (JSON.parse(r.stdout) as { checksum: string }).checksum;
        };
        const reference = checksum(direct(advect));
        assert.equal(checksum(on(advect)), reference, 'vmpath engine over ssh');
        assert.equal(
          checksum(on([...advect, '--engine', 'openmpi'])),
          reference,
          'Open MPI over ssh',
        );

        const halo = [
          'run',
          'mpi',
          '-n',
          '4',
          '--placement',
          'cyclic',
          '--profile',
          '--json',
          '--',
          programPath('halo2d'),
          '64',
          '64',
          '2',
          '2',
          '20',
        ];
        const classes = (r: { status: number | null; stdout: string; stderr: string }) => {
          assert.equal(r.status, 0, r.stderr);
          const records = (
            JSON.parse(r.stdout) as {
              records: { summary: Record<string, unknown>; samples: { matrix: unknown } }[];
            }
          ).records;
          return records.map((x) => x.samples.matrix);
        };
        assert.deepEqual(classes(on(halo, 180_000)), classes(direct(halo, 180_000)));
        // A rank that fails over ssh ends the job; its peers are ended on their nodes.
        const failing = vmpathIn(
          head,
          [
            'launch',
            '--cluster',
            file,
            '-n',
            '4',
            '--env',
            'FAIL_RANK=2',
            '--',
            process.execPath,
            RING,
          ],
          cliEnv,
        );
        assert.equal(failing.status, 3, failing.stderr);
        assert.match(failing.stderr, /rank 2 \(on node3\) exited with code 3/);

        // vmpath killed outright (SIGKILL) in a job: its ranks and its ssh masters end on
        // their own once vmpath's pipes close; nothing stays on the nodes.
        const killed = spawn(
          'ip',
          [
            'netns',
            'exec',
            head,
            process.execPath,
            CLI,
            'launch',
            '--cluster',
            file,
            '-n',
            '4',
            '--',
            'sleep',
            '300',
          ],
          { env: { ...process.env, ...cliEnv }, stdio: 'ignore' },
        );
        const started = Date.now();
        while (
          inMachines(machines).filter((p) => !services.has(p)).length < 4 &&
          Date.now() - started < 30_000
        )
          await sleep(100);
        killed.kill('SIGKILL');
        await new Promise((resolve) => killed.on('exit', resolve));
        const settled = Date.now();
        while (inMachines(machines).some((p) => !services.has(p)) && Date.now() - settled < 15_000)
          await sleep(100);
        assert.deepEqual(
          inMachines(machines).filter((p) => !services.has(p)),
          [],
          'ranks ended after vmpath was killed',
        );
        // The folder of its masters' sockets it could not remove: the next job's vmpath does.
        const stale = () =>
          readdirSync(tmpdir()).filter((n) => n.startsWith(`vmpath-ssh-${killed.pid}-`));
        assert.equal(stale().length, 1, 'the killed vmpath left its folder');
        const next = on(['launch', '-n', '2', '--', 'true']);
        assert.equal(next.status, 0, next.stderr);
        assert.deepEqual(stale(), [], "the next job removed the killed vmpath's folder");

        // Bad inventories: exit 2, naming the field (and the node), before anything runs.
        const bad = (doc: unknown, words: string[], rest: string[] = []) => {
          const path = writeInventory(dir, doc, 'bad.yaml');
          return vmpathIn(head, [...words, '--cluster', path, ...rest], cliEnv);
        };
        const good = inventoryOf(topology, {
          ssh: {
            identityFile: ssh.identityFile,
            knownHosts: ssh.knownHosts,
            user: 'root',
            port: 22,
          },
        });
        const unknown = bad({ ...good, hostz: [] }, ['cluster', 'check']);
        assert.equal(unknown.status, 2);
        assert.match(unknown.stderr, /\(top level\): unknown field "hostz"/);
        const moved = structuredClone(good);
        (moved.hosts[1]?.vms[0] as { address: string }).address = '198.18.0.99';
        const unreachable = bad(moved, ['cluster', 'check']);
        assert.equal(unreachable.status, 2, unreachable.stderr);
        assert.match(
          unreachable.stderr,
          /hosts\[1\]\.vms\[0\]\.address \(node node3\): not reached over ssh at 198\.18\.0\.99/,
        );
        const keyless = structuredClone(good) as { ssh?: unknown };
        keyless.ssh = { user: 'root' };
        const noKey = bad(keyless, ['launch'], ['-n', '2', '--', 'true']);
        assert.equal(noKey.status, 2);
        assert.match(noKey.stderr, /ssh\.identityFile: .*never reads your ~\/\.ssh/);

        const left = inMachines(machines).filter((pid) => !services.has(pid));
        assert.deepEqual(left, [], 'nothing vmpath started is left on the nodes');
      } finally {
        await ssh.stop();
      }
    });
  });
});
