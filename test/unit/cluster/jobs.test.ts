import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slurmName } from '../../../src/cluster/launcher.js';
import { withNodeTable } from '../../../src/runtime/identity.js';
import { machineOf, sshAgent } from '../../../src/runtime/openmpi-cluster.js';
import { nodeTable, slurmHosts } from '../../../src/runtime/srun-job.js';
import type { TestbedNode } from '../../../src/testbed/nodes.js';
import { resolveTopology } from '../../../src/topology/resolve.js';

const vm: TestbedNode = {
  role: 'vm',
  name: 'vm1',
  host: 'h0',
  netns: '',
  datapath: 'iov',
  address: '10.0.0.11',
};
const bare: TestbedNode = {
  role: 'vm',
  name: 'cores',
  host: 'b0',
  netns: '',
  datapath: 'native',
  address: '10.0.0.3',
};
const topology = resolveTopology({
  name: 'mixed',
  hosts: [
    { name: 'h0', vms: [{ name: 'a', slots: 2, datapath: 'iov' }] },
    {
      name: 'b0',
      vms: [
        { name: 'c0', slots: 1, datapath: 'native' },
        { name: 'c1', slots: 1, datapath: 'native' },
      ],
    },
  ],
});

test("a node's name for Slurm and in Open MPI's hostfile", () => {
  assert.equal(slurmName(vm), 'vm1');
  assert.equal(slurmName(bare), 'b0', "a native host's slots are the host's");
  assert.equal(machineOf('slurm', bare, new Set()), 'b0');
  assert.equal(machineOf('ssh', vm, new Set()), '10.0.0.11');
  assert.notEqual(
    machineOf('ssh', vm, new Set(['10.0.0.11'])),
    '10.0.0.11',
    'this machine: by its host name',
  );
});

test("Open MPI's ssh agent gives each node its host's settings and refuses any other", () => {
  const agent = sshAgent([vm, { ...vm, name: 'vm2', address: '10.0.0.12' }], {
    h0: { user: 'hpc', port: 2222, identityFile: '/k/id', knownHosts: '/k/kh' },
  });
  assert.match(
    agent,
    /^ {2}10\.0\.0\.11\) exec ssh -F none .*-p 2222 -i \/k\/id .*-l hpc "\$@" ;;$/m,
  );
  assert.match(agent, /^ {2}10\.0\.0\.12\) /m);
  assert.match(agent, /\*\) echo "vmpath ssh agent: \$1 is not a node of this job" >&2; exit 255/);
});

test('srun: each rank finds its vm by its rank, even two vms of one Slurm node', () => {
  const job = {
    topology,
    id: 'x',
    placement: [
      { rank: 0, vm: 'a' },
      { rank: 1, vm: 'c0' },
      { rank: 2, vm: 'c1' },
      { rank: 3, vm: 'a' },
    ],
    argv: [],
    onLine: () => {},
  };
  assert.deepEqual(slurmHosts(job), ['a', 'b0', 'b0', 'a']);
  const table = JSON.stringify(nodeTable(job));
  const of = (rank: number) => withNodeTable({ VMPATH_NODES: table, SLURM_PROCID: String(rank) });
  assert.deepEqual(
    [0, 1, 2, 3].map((r) => [
      of(r).VMPATH_NODE,
      of(r).VMPATH_HOST,
      of(r).VMPATH_DATAPATH,
      of(r).VMPATH_LOCAL_SIZE,
    ]),
    [
      ['a', 'h0', 'iov', '2'],
      ['c0', 'b0', 'native', '1'],
      ['c1', 'b0', 'native', '1'],
      ['a', 'h0', 'iov', '2'],
    ],
  );
  assert.equal(of(0).VMPATH_ADDRESS, topology.hosts[0]?.vms[0]?.address);
  assert.equal(of(1).VMPATH_ADDRESS, topology.hosts[1]?.address);
  assert.throws(
    () => withNodeTable({ VMPATH_NODES: table, SLURM_PROCID: '9' }),
    /no vm for rank 9/,
  );
});
