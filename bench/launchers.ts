/**
 * bench launchers: what starting a job costs through each launcher. On `paper` (16 slots in 8
 * vms, its dom0 budgets), the whole `vmpath launch -n 16` of the smallest runtime job
 * (bench/apps/hello.mjs: join, one barrier, leave), as a user types it:
 *   netns: `--id`, the ranks entered into their vms' namespaces (the reference);
 *   ssh:   `--cluster` of an inventory of those vms, each running a real sshd
 *          (test/support/sshd.ts), vmpath on node1 as on a cluster's node;
 *   srun:  `--cluster` of an inventory reached through a real Slurm (a slurmd per vm,
 *          test/support/slurm.ts), inside one allocation of the 8 vms, one job step per launch.
 * The three alternate (netns ssh srun, then rotated), 7 times each. The figures are each
 * launcher's median over the namespaces' median. Target: at most 2 for both.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median } from '../src/bench/stats.js';
import { formatTable } from '../src/cli/table.js';
import { presetSpec } from '../src/topology/presets.js';
import { resolveTopology } from '../src/topology/resolve.js';
import { machinesOf } from '../test/support/daemons.js';
import { inventoryOf, writeInventory } from '../test/support/inventory.js';
import { PARTITION, startSlurm } from '../test/support/slurm.js';
import { startSshd } from '../test/support/sshd.js';
import { tempDir } from '../test/support/temp.js';
import {
  buildTestbed,
  env,
  removeTestbed,
  requireRoot,
  stopIfInterrupted,
  verdict,
} from './support.js';

requireRoot('launchers');

const ROUNDS = 7;
const RANKS = 16;
const CLI = fileURLToPath(new URL('../../bin/vmpath.js', import.meta.url));
const HELLO = fileURLToPath(new URL('../../bench/apps/hello.mjs', import.meta.url));
const SIDES = ['netns', 'ssh', 'srun'] as const;
type Side = (typeof SIDES)[number];

/** Seconds `argv` takes (run in namespace `netns`, or here), which must exit 0 and say hello. */
function timed(argv: string[], netns: string | null, extra: NodeJS.ProcessEnv = {}): number {
  const full = netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
  const began = performance.now();
  const r = spawnSync(full[0] as string, full.slice(1), {
    encoding: 'utf8',
    env: { ...process.env, VMPATH_STATE_DIR: env.stateDir, ...extra },
    timeout: 120_000,
  });
  const seconds = (performance.now() - began) / 1000;
  if (r.status !== 0 || !r.stdout.includes(`hello from ${RANKS} ranks`))
    throw new Error(`${full.join(' ')} exited ${r.status}: ${r.stderr}`);
  return seconds;
}

const topology = resolveTopology(presetSpec('paper'), { datapath: 'iov', rateMbit: 0 });
const id = await buildTestbed(topology, 'n');
const figures: Record<Side, number[]> = { netns: [], ssh: [], srun: [] };
const ssh = await startSshd(env, topology, id).catch(async (error) => {
  await removeTestbed(id);
  throw error;
});
const slurm = await startSlurm(env, topology, id).catch(async (error) => {
  await ssh.stop();
  await removeTestbed(id);
  throw error;
});
let allocation: string | null = null;
try {
  const machines = machinesOf(topology, id);
  const dir = tempDir('vmpath-bench-launchers-');
  const sshFile = writeInventory(
    dir,
    inventoryOf(topology, {
      ssh: { identityFile: ssh.identityFile, knownHosts: ssh.knownHosts, user: 'root', port: 22 },
    }),
    'ssh.yaml',
  );
  const slurmFile = writeInventory(
    dir,
    inventoryOf(topology, { slurm: { partition: PARTITION } }),
    'slurm.yaml',
  );
  // One allocation of every vm for the whole bench: each launch is a job step in it.
  const granted = await env.runner.run(
    slurm.command([
      'salloc',
      '--no-shell',
      '-N',
      String(machines.length),
      '-w',
      machines.map((m) => m.name).join(','),
      '-n',
      String(RANKS),
    ]),
  );
  allocation = /Granted job allocation (\d+)/.exec(granted.stderr)?.[1] ?? null;
  if (!allocation) throw new Error(`salloc gave no allocation: ${granted.stderr}`);
  const head = (machines[0] as { netns: string }).netns;
  const launch = ['launch', '-n', String(RANKS), '--', process.execPath, HELLO];
  const measure: Record<Side, () => number> = {
    netns: () =>
      timed([process.execPath, CLI, ...launch.slice(0, 1), '--id', id, ...launch.slice(1)], null),
    ssh: () =>
      timed(
        [process.execPath, CLI, launch[0] as string, '--cluster', sshFile, ...launch.slice(1)],
        head,
      ),
    srun: () =>
      timed(
        [process.execPath, CLI, launch[0] as string, '--cluster', slurmFile, ...launch.slice(1)],
        slurm.netns,
        {
          ...slurm.env,
          SLURM_JOB_ID: allocation as string,
        },
      ),
  };
  for (const side of SIDES) measure[side](); // one unmeasured launch each: caches, first sessions
  for (let round = 0; round < ROUNDS; round++) {
    const order = [...SIDES.slice(round % 3), ...SIDES.slice(0, round % 3)];
    for (const side of order) {
      stopIfInterrupted();
      figures[side].push(measure[side]());
    }
  }
} finally {
  if (allocation)
    await env.runner.run(slurm.command(['scancel', allocation]), { allowFailure: true });
  await slurm.stop();
  await ssh.stop();
  await removeTestbed(id);
}

const row = (name: string, xs: number[]) => [
  name,
  Number(median(xs).toFixed(3)),
  Number(Math.min(...xs).toFixed(3)),
  Number(Math.max(...xs).toFixed(3)),
  Number((median(xs) / median(figures.netns)).toFixed(2)),
];
process.stdout.write(
  `${formatTable(
    ['vmpath launch -n 16 (paper, iov)', 'median s', 'min s', 'max s', 'x netns'],
    [
      row('netns: ranks entered into their namespaces', figures.netns),
      row('ssh: a session per rank (sshd in every vm)', figures.ssh),
      row('srun: one job step (slurmd in every vm)', figures.srun),
    ],
  )}\n\n`,
);
process.stdout.write(`${ROUNDS} rotating rounds (netns, ssh, srun); ratios of the medians\n`);
const worst = Math.max(median(figures.ssh), median(figures.srun)) / median(figures.netns);
process.stdout.write(`${verdict('launchers', 'worst_ratio', worst, '<=', 2)}\n`);
