/** Placement patterns (src/placement/patterns.ts) and message classes (classes.ts) on the paper topology. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { advectTraffic } from '../../../src/apps/advect/pattern.js';
import { classify } from '../../../src/placement/classes.js';
import { place } from '../../../src/placement/patterns.js';
import { formatHostfile } from '../../../src/placement/rankfile.js';
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
    /--placement: got "scatter"; allowed: block, intra-node, cyclic, inter-node, hybrid/,
  );
});

test("the study's placements on paper: 15/15, 1/15 and 7/15 pipeline messages cross hosts", () => {
  const pipeline = advectTraffic([512, 512, 512], [1, 1, 16]);
  const share = (pattern: string) => {
    const c = classify(place(paper, pattern, 16), pipeline);
    return `${c.byClass['inter-host'].messages}/${c.messages}`;
  };
  assert.equal(share('inter-node'), '15/15');
  assert.equal(share('intra-node'), '1/15');
  assert.equal(share('hybrid'), '7/15');
  const hybrid = classify(place(paper, 'hybrid', 16), pipeline);
  assert.equal(hybrid.byClass['intra-vm'].messages, 8);
  assert.equal(hybrid.byClass['inter-host'].bytes, 7 * 512 * 512 * 8);
  assert.equal(hybrid.interHostMessageShare, 7 / 15);
});

test('hybrid:k puts k consecutive ranks per vm, vms alternating hosts; cyclic = inter-node', () => {
  assert.deepEqual(
    place(paper, 'hybrid', 6).map((p) => `${p.vm}.${p.slot}`),
    ['node1.0', 'node1.1', 'node5.0', 'node5.1', 'node2.0', 'node2.1'],
  );
  assert.deepEqual(
    place(paper, 'hybrid:1', 4).map((p) => `${p.vm}.${p.slot}`),
    ['node1.0', 'node5.0', 'node2.0', 'node6.0'],
  );
  assert.deepEqual(place(paper, 'inter-node', 16), place(paper, 'cyclic', 16));
  assert.deepEqual(place(paper, 'intra-node', 16), place(paper, 'block', 16));
  assert.throws(() => place(paper, 'hybrid:0', 4), /--placement: got "hybrid:0"/);
  assert.throws(() => place(paper, 'block:2', 4), /--placement: got "block:2"/);
  assert.throws(
    () => place(paper, 'spiral', 4, '--pattern'),
    /^VmpathError: --pattern: got "spiral"/,
  );
  assert.equal(formatHostfile(paper).split('\n')[0], 'node1 slots=2');
});
