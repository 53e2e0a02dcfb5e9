import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultBurstBytes, planShaping, queueLimitBytes } from '../../../src/testbed/shaping.js';

test('no rate and no delay: no qdisc', () => {
  assert.deepEqual(planShaping('ns', 'up0', { rateMbit: null, burstBytes: null, delayMs: 0 }), []);
});

test('rate: a root tbf with a derived burst and limit', () => {
  const [step, ...rest] = planShaping('ns', 'up0', {
    rateMbit: 1000,
    burstBytes: null,
    delayMs: 0,
  });
  assert.equal(rest.length, 0);
  assert.deepEqual(step?.argv, [
    'tc',
    '-n',
    'ns',
    'qdisc',
    'add',
    'dev',
    'up0',
    'root',
    'tbf',
    'rate',
    '1000000kbit',
    'burst',
    '131072',
    'limit',
    '1250000',
  ]);
  assert.deepEqual(step?.creates, { kind: 'qdisc', netns: 'ns', dev: 'up0' });
});

test('burst: 1 ms of traffic, at least two 64 KiB segments; limit: 10 ms, at least two bursts', () => {
  assert.equal(defaultBurstBytes(100), 131_072);
  assert.equal(defaultBurstBytes(10_000), 1_250_000);
  assert.equal(queueLimitBytes(10_000, 1_250_000), 12_500_000);
  assert.equal(queueLimitBytes(10, 131_072), 262_144);
});

test('an explicit burst is used as given; fractional rates keep kbit precision', () => {
  const [step] = planShaping('ns', 'up0', { rateMbit: 2.5, burstBytes: 4096, delayMs: 0 });
  assert.deepEqual(step?.argv.slice(9, 13), ['rate', '2500kbit', 'burst', '4096']);
});

test('delay: netem at the root, tbf as its child', () => {
  const steps = planShaping('ns', 'up0', { rateMbit: 100, burstBytes: null, delayMs: 5 });
  assert.deepEqual(
    steps.map((s) => s.argv.slice(7, 11).join(' ')),
    ['root handle 1: netem', 'parent 1:1 handle 10:'],
  );
  assert.equal(steps[0]?.creates?.kind, 'qdisc');
  assert.equal(steps[1]?.creates, undefined);
});
