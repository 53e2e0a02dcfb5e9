import assert from 'node:assert/strict';
import { test } from 'node:test';
import { place } from '../../../src/placement/patterns.js';
import { presetSpec } from '../../../src/topology/presets.js';
import { resolveTopology } from '../../../src/topology/resolve.js';

const paper = resolveTopology(presetSpec('paper'));

test('block fills each vm in turn; cyclic deals over the hosts', () => {
  assert.deepEqual(
    place(paper, 'block', 5).map((p) => `${p.vm}.${p.slot}`),
    ['node1.0', 'node1.1', 'node2.0', 'node2.1', 'node3.0'],
  );
  assert.deepEqual(
    place(paper, 'cyclic', 6).map((p) => `${p.vm}.${p.slot}`),
    ['node1.0', 'node5.0', 'node1.1', 'node5.1', 'node2.0', 'node6.0'],
  );
  assert.equal(place(paper, 'block', 16).at(-1)?.vm, 'node8');
});

test('native hosts offer the sum of their vms slots on the host', () => {
  const native = resolveTopology(presetSpec('paper'), { datapath: 'native' });
  assert.deepEqual(
    place(native, 'cyclic', 4).map((p) => `${p.host}/${p.vm}.${p.slot}`),
    ['host0/host0.0', 'host1/host1.0', 'host0/host0.1', 'host1/host1.1'],
  );
});

test('too many ranks or an unknown pattern: input errors naming the option', () => {
  assert.throws(() => place(paper, 'block', 17), /^VmpathError: -n: got 17; allowed: 1 to 16/);
  assert.throws(() => place(paper, 'block', 0), /-n: got 0/);
  assert.throws(
    () => place(paper, 'scatter', 2),
    /--placement: got "scatter"; allowed: block, cyclic/,
  );
});
