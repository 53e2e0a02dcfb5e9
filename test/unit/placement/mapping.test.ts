/** The optimized placement (src/placement/mapping.ts): graph mapping of a pattern onto the
 * topology. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { advectTraffic } from '../../../src/apps/advect/pattern.js';
import { classify } from '../../../src/placement/classes.js';
import { cutWeights, optimizedPlacement } from '../../../src/placement/mapping.js';
import { place } from '../../../src/placement/patterns.js';
import { paper } from '../../support/calibration-fixture.js';

test('optimized placement: finds a scrambled pipeline that block and cyclic miss', () => {
  // a pipeline over a scrambled rank order
  const order = [3, 14, 0, 9, 6, 11, 1, 15, 4, 12, 7, 2, 10, 5, 13, 8];
  const traffic = order.slice(1).map((to, i) => ({
    from: order[i] as number,
    to,
    messages: 100,
    bytes: 100 * 65536,
  }));
  const opt = optimizedPlacement(paper, traffic, 16);
  assert.equal(new Set(opt.map((p) => `${p.vm}/${p.slot}`)).size, 16, 'each slot once');
  const cut = (pl: typeof opt) => classify(pl, traffic).byClass['inter-host'].messages;
  assert.equal(cut(opt), 100, 'one pipeline link crosses hosts');
  assert.ok(cut(place(paper, 'block', 16)) > 300);
  // and inside each host, 3 of its 7 links cross between its 4 vms: the least possible
  assert.equal(classify(opt, traffic).byClass['inter-vm'].messages, 600);
  const total = (w: { interVm: number; interHost: number }) => w.interVm + w.interHost;
  assert.ok(
    total(cutWeights(opt, traffic)) < total(cutWeights(place(paper, 'block', 16), traffic)),
  );
  // on the plain pipeline it is as good as intra-node
  const pipe = advectTraffic([64, 64, 64], [1, 1, 16], 1);
  assert.equal(
    classify(optimizedPlacement(paper, pipe, 16), pipe).byClass['inter-host'].messages,
    1,
  );
});
