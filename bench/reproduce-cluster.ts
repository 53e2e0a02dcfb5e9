/**
 * bench reproduce-cluster: does the study reproduce the same through ssh as on the testbed
 * directly? Runs `vmpath reproduce` (its paper testbeds, one per data path) and then
 * `vmpath reproduce --cluster` on inventories of the same clusters reached over ssh, and
 * compares the claims' verdicts claim by claim.
 *
 * The ssh side needs one place that reaches all three data paths' vms: one testbed holding the
 * three paper clusters (native, bridged, iov: two hosts of four two-slot vms each, every host
 * standing for one core with the paper's eighth of it for its dom0, as on `paper` here) and a
 * login host, on one switch, with a real sshd in every vm and native host
 * (test/support/sshd.ts). vmpath runs on the login host, as on a cluster's login node. The
 * switch is the one thing the direct side does not have (paper's two hosts share a cable).
 * `-- --quick` runs both with --quick.
 *
 * Target: the same verdict on every claim (differing claims <= 0).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable } from '../src/cli/table.js';
import type { Claim } from '../src/report/views/claims.js';
import { hostNetns } from '../src/testbed/names.js';
import { presetSpec } from '../src/topology/presets.js';
import { resolveTopology } from '../src/topology/resolve.js';
import type { Topology } from '../src/topology/types.js';
import { inventoryOf, writeInventory } from '../test/support/inventory.js';
import { startSshd } from '../test/support/sshd.js';
import { buildTestbed, claimsIn, env, removeTestbed, requireRoot, verdict } from './support.js';

requireRoot('reproduce-cluster');
const quick = process.argv.includes('--quick');
const CLI = fileURLToPath(new URL('../../bin/vmpath.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vmpath-reproduce-cluster-'));
const DATAPATHS = ['native', 'bridged', 'iov'] as const;

/** The three paper clusters and a login host in one topology. */
function combined(): Topology {
  const paper = presetSpec('paper') as {
    hosts: { name: string; vms: { name: string; slots: number }[] }[];
  };
  const hosts = DATAPATHS.flatMap((datapath) =>
    paper.hosts.map((h) => ({
      name: `${datapath.slice(0, 2)}${h.name}`,
      cpus: 1,
      dom0: { cpus: '12.5%' },
      vms: h.vms.map((v) => ({
        name: `${datapath.slice(0, 2)}${v.name}`,
        slots: v.slots,
        datapath,
      })),
    })),
  );
  return resolveTopology(
    {
      name: 'paper_clusters',
      hosts: [
        ...hosts,
        { name: 'login', vms: [{ name: 'loginvm', slots: 1, datapath: 'native' }] },
      ],
    },
    { rateMbit: 0 },
  );
}

function reproduce(
  out: string,
  extra: string[],
  netns: string | null,
): { claims: Claim[]; seconds: number } {
  const begin = Date.now();
  const argv = [
    process.execPath,
    CLI,
    'reproduce',
    '--out',
    out,
    ...(quick ? ['--quick'] : []),
    ...extra,
  ];
  const full = netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
  const run = spawnSync(full[0] as string, full.slice(1), {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, VMPATH_STATE_DIR: env.stateDir },
  });
  if (run.status !== 0) throw new Error(`reproduce ${extra.join(' ')} exited ${run.status}`);
  return { claims: claimsIn(out), seconds: (Date.now() - begin) / 1000 };
}

const topology = combined(); // checked before anything runs
try {
  const direct = reproduce(join(dir, 'direct'), [], null);
  const id = await buildTestbed(topology, 'r');
  let viaSsh: { claims: Claim[]; seconds: number };
  try {
    const ssh = await startSshd(env, topology, id);
    try {
      const access = {
        ssh: { identityFile: ssh.identityFile, knownHosts: ssh.knownHosts, user: 'root', port: 22 },
      };
      const files = DATAPATHS.map((datapath) => {
        const part: Topology = {
          ...topology,
          name: `paper-${datapath}`,
          hosts: topology.hosts.filter(
            (h) => h.vms.every((v) => v.datapath === datapath) && h.name !== 'login',
          ),
        };
        return writeInventory(
          dir,
          inventoryOf(part, access, `paper_${datapath}`),
          `${datapath}.yaml`,
        );
      });
      viaSsh = reproduce(
        join(dir, 'ssh'),
        files.flatMap((f) => ['--cluster', f]),
        hostNetns(id, 'login'),
      );
    } finally {
      await ssh.stop();
    }
  } finally {
    await removeTestbed(id);
  }
  const rows = direct.claims.map((c, i) => {
    const d = viaSsh.claims[i] as Claim;
    return [c.id, c.claim, c.verdict, d.verdict, c.verdict === d.verdict ? 'same' : 'DIFFERS'];
  });
  process.stdout.write(
    `\n${formatTable(['#', 'claim', 'testbed directly', 'over ssh', ''], rows)}\n\n${[
      ['testbed directly', direct],
      ['over ssh', viaSsh],
    ]
      .map(
        ([name, r]) =>
          `${name} (${(r as typeof direct).seconds.toFixed(0)} s):\n${(r as typeof direct).claims.map((c) => `  ${c.id} ${c.verdict}: ${c.ours}`).join('\n')}`,
      )
      .join('\n')}\n\n`,
  );
  const differing = rows.filter((r) => r[4] !== 'same').length;
  process.stdout.write(`${verdict('reproduce-cluster', 'differing_claims', differing, '<=', 0)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
