/** The data-path records (src/testbed/datapaths/): one each, agreeing with the spec checks; channels and resources. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DATAPATH_RECORDS, transportOf } from '../../../src/testbed/datapaths/index.js';
import { DATAPATHS, MESSAGE_CLASSES, usesVf } from '../../../src/topology/types.js';

test('every data path has one record, named as its key, agreeing with the spec checks on VFs', () => {
  assert.deepEqual(Object.keys(DATAPATH_RECORDS), [...DATAPATHS]);
  for (const name of DATAPATHS) {
    const record = DATAPATH_RECORDS[name];
    assert.equal(record.name, name);
    assert.equal(record.usesVf, usesVf(name), `${name}: usesVf`);
    assert.ok(record.description.length > 10, `${name}: a description`);
    assert.match(record.colour, /^#[0-9a-f]{6}$/);
  }
  const colours = DATAPATHS.map((d) => DATAPATH_RECORDS[d].colour);
  assert.equal(new Set(colours).size, colours.length, 'one colour each');
});

test('ranks of one vm share the local transport on every data path; only shm joins co-located vms in memory', () => {
  for (const name of DATAPATHS) {
    const { channels } = DATAPATH_RECORDS[name];
    assert.deepEqual(Object.keys(channels).sort(), [...MESSAGE_CLASSES].sort());
    assert.equal(transportOf(channels['intra-vm']), 'local');
    assert.equal(transportOf(channels['inter-host']), 'tcp', `${name} across hosts`);
    assert.equal(transportOf(channels['inter-vm']), name === 'shm' ? 'local' : 'tcp');
  }
});

test('the resources a message crosses: uplinks across hosts, the bridge or the NIC between vms', () => {
  const ends = { from: 'h0', to: 'h1' };
  const same = { from: 'h0', to: 'h0' };
  const of = (d: keyof typeof DATAPATH_RECORDS, c: (typeof MESSAGE_CLASSES)[number], e = ends) =>
    DATAPATH_RECORDS[d].resources(c, e);
  for (const d of DATAPATHS) {
    assert.deepEqual(of(d, 'intra-vm', same), [], `${d}: nothing inside a vm`);
    assert.deepEqual(of(d, 'inter-host').slice(0, 2), ['up:h0:out', 'up:h1:in'], d);
  }
  assert.deepEqual(of('bridged', 'inter-host'), [
    'up:h0:out',
    'up:h1:in',
    'bridge:h0',
    'bridge:h1',
  ]);
  assert.deepEqual(of('bridged', 'inter-vm', same), ['bridge:h0']);
  assert.deepEqual(of('iov', 'inter-vm', same), ['nic:h0']);
  assert.deepEqual(of('shm', 'inter-vm', same), []);
  assert.deepEqual(of('iov', 'inter-host'), ['up:h0:out', 'up:h1:in']);
});
