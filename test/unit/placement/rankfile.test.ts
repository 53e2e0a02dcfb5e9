/** Open MPI rankfiles and hostfiles read into placements and written from them (src/placement/rankfile.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { place } from '../../../src/placement/patterns.js';
import { formatRankfile, parseHostfile, parseRankfile } from '../../../src/placement/rankfile.js';
import { presetSpec } from '../../../src/topology/presets.js';
import { resolveTopology } from '../../../src/topology/resolve.js';

const paper = resolveTopology(presetSpec('paper'));

test('a rankfile reads into a placement, comments and socket:core slots included', () => {
  const placed = parseRankfile(
    '# the hybrid pattern, by hand\nrank 1=node5 slot=0\nrank 0=node1 slot=1\n\nrank 2=node5 slot=0:1  # core 1\n',
    paper,
  );
  assert.deepEqual(placed, [
    { rank: 0, host: 'host0', vm: 'node1', slot: 1 },
    { rank: 1, host: 'host1', vm: 'node5', slot: 0 },
    { rank: 2, host: 'host1', vm: 'node5', slot: 1 },
  ]);
});

test('formatting then parsing gives the placement back', () => {
  const cyclic = place(paper, 'cyclic', 16);
  assert.deepEqual(parseRankfile(formatRankfile(cyclic), paper), cyclic);
  const native = resolveTopology(presetSpec('paper'), { datapath: 'native' });
  const block = place(native, 'block', 9);
  assert.equal(formatRankfile(block).split('\n')[8], 'rank 8=host1 slot=0');
  assert.deepEqual(parseRankfile(formatRankfile(block), native), block);
});

test('bad rankfiles: errors name the line, the value and what is allowed', () => {
  const bad = (text: string, message: RegExp) =>
    assert.throws(
      () => parseRankfile(text, paper, 'r.txt'),
      (e: Error) => message.test(e.message),
    );
  bad(
    'rank 0 node1 slot=0',
    /^r.txt line 1: got "rank 0 node1 slot=0"; allowed: rank N=HOST slot=S/,
  );
  bad('rank 0=node9 slot=0', /r.txt line 1 host: got "node9"; allowed: a vm .*node1, node2/);
  bad('rank 0=node1 slot=2', /r.txt line 1 slot: got 2; allowed: 0 to 1 on node1/);
  bad('rank 0=node1 slot=0\nrank 0=node2 slot=0', /line 2 rank: got 0; allowed: each rank once/);
  bad('rank 0=node1 slot=0\nrank 1=node1 slot=0', /line 2 slot: .*rank 0 has node1\/0/);
  bad('rank 0=node1 slot=0\nrank 2=node2 slot=0', /ranks 0 to 1 with none missing \(rank 1 is\)/);
  bad('# nothing\n', /at least one rank line/);
});

test('a hostfile places ranks by slot over the machines it lists; bad ones are named', () => {
  const placed = parseHostfile('node5 slots=1\n# comment\nnode2\n', paper, 3);
  assert.deepEqual(
    placed.map((p) => `${p.rank}:${p.host}/${p.vm}.${p.slot}`),
    ['0:host1/node5.0', '1:host0/node2.0', '2:host0/node2.1'],
  );
  assert.throws(
    () => parseHostfile('node5 slots=3\n', paper, 1),
    /line 1 slots: got 3; allowed: 1 to 2 on node5/,
  );
  assert.throws(
    () => parseHostfile('node5\nnode5\n', paper, 1),
    /line 2 host: got "node5"; allowed: each machine once/,
  );
  assert.throws(
    () => parseHostfile('node5 cores=2\n', paper, 1),
    /line 1: got "node5 cores=2"; allowed: HOST \[slots=S\]/,
  );
  assert.throws(() => parseHostfile('node5\n', paper, 3), /-n: got 3; allowed: 1 to 2/);
});
