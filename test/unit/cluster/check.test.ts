import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judge } from '../../../src/cluster/check.js';
import type { TestbedNode } from '../../../src/testbed/nodes.js';

const node: TestbedNode = {
  role: 'vm',
  name: 'vm1',
  host: 'h0',
  netns: '',
  datapath: 'iov',
  address: '10.0.0.11',
};
const here = {
  node: 'v20.19.2',
  vmpath: '0.4.0',
  iperf3: 'iperf 3.12',
  openmpi: 'mpirun (Open MPI) 4.1.4',
};
const facts = { ...here, hostname: 'vm1', source: '10.0.0.11' };

test('a node like this machine, whose traffic leaves from its own address, is ok', () => {
  assert.deepEqual(judge(node, facts, here), []);
});

test('what differs is named: a missing or other tool, another source address', () => {
  const problems = judge(
    node,
    { ...facts, iperf3: null, openmpi: 'mpirun (Open MPI) 4.1.2', source: '10.0.1.11' },
    here,
  );
  assert.deepEqual(
    problems.map((p) => p.field),
    ['iperf3', 'Open MPI', 'address'],
  );
  assert.match(problems[0]?.text ?? '', /iperf3 is missing \(apt-get install -y iperf3\)/);
  assert.match(problems[1]?.text ?? '', /4\.1\.2, here .*4\.1\.4/);
  assert.match(problems[2]?.text ?? '', /leaves from 10\.0\.1\.11, not 10\.0\.0\.11/);
  assert.equal(judge(node, { ...facts, node: 'v18.0.0' }, here)[0]?.field, 'node');
});
