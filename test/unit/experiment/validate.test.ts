/** Validation's bookkeeping (src/experiment/validate.ts): one deployment under two names, the
 * regret. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { advectTraffic } from '../../../src/apps/advect/pattern.js';
import { regret, sameDeployments } from '../../../src/experiment/validate.js';
import { deploymentOf } from '../../../src/model/advise.js';
import { classify } from '../../../src/placement/classes.js';
import { place } from '../../../src/placement/patterns.js';
import { paper } from '../../support/calibration-fixture.js';

test('one deployment under two names: found, and their runs pooled for the regret', () => {
  const app = { grid: [96, 96, 96] as const, steps: 4, decomp: [1, 1, 16] as const };
  const traffic = advectTraffic(app.grid, app.decomp, app.steps);
  const key = (datapath: 'iov' | 'shm' | 'bridged', name: string) =>
    deploymentOf(
      datapath,
      place(paper, name, 16),
      classify(place(paper, name, 16), traffic).byClass,
    );
  // hybrid: pairs in a vm, vms alternating hosts: no message between vms of a host
  assert.equal(key('iov', 'hybrid'), key('shm', 'hybrid'));
  assert.equal(key('iov', 'inter-node'), key('shm', 'inter-node'));
  // intra-node fills a host's vms: some messages go between them, over the vf or the ring
  assert.notEqual(key('iov', 'intra-node'), key('shm', 'intra-node'));
  assert.notEqual(key('iov', 'hybrid'), key('bridged', 'hybrid'));
  assert.notEqual(key('iov', 'hybrid'), key('iov', 'inter-node'));
  const none = { messages: 0, bytes: 0 };
  const prediction = (wallS: number) => ({
    wallS,
    computeS: 0,
    packS: 0,
    commS: wallS,
    byClass: { 'intra-vm': none, 'inter-vm': none, 'inter-host': none },
    cpuStretch: 1,
    bound: 'dependencies' as const,
  });
  const checked = (datapath: 'iov' | 'shm' | 'bridged', predictedS: number, times: number[]) => {
    const sorted = [...times].sort((a, b) => a - b);
    const measuredS = sorted[Math.floor(sorted.length / 2)] as number;
    return {
      datapath,
      placement: 'hybrid',
      placed: place(paper, 'hybrid', 16),
      prediction: prediction(predictedS),
      deployment: key(datapath, 'hybrid'),
      measuredS,
      minS: sorted[0] as number,
      maxS: sorted[sorted.length - 1] as number,
      runs: times.length,
      times,
      error: (predictedS - measuredS) / measuredS,
    };
  };
  // the pick (iov hybrid) measured 1.2 s; its other name (shm hybrid) 1.0 s; bridged 1.1 s:
  // pooled (1.0 1.0 1.1 1.2 1.2 1.2), the deployment's median is 1.15 s
  const rows = [
    checked('iov', 0.9, [1.2, 1.2, 1.2]),
    checked('shm', 0.95, [1.0, 1.0, 1.1]),
    checked('bridged', 1.0, [1.1, 1.1, 1.1]),
  ];
  assert.deepEqual(
    sameDeployments(rows).map((g) => g.map((c) => c.datapath)),
    [['iov', 'shm']],
  );
  const r = regret(rows);
  assert.equal(r.pick.datapath, 'iov');
  assert.ok(Math.abs(r.pickS - 1.15) < 1e-12, `${r.pickS}`);
  assert.equal(r.best.datapath, 'bridged');
  assert.ok(Math.abs(r.regret - (1.15 / 1.1 - 1)) < 1e-12);
});
