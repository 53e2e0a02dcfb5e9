import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LedgerObject } from '../../../src/testbed/plan.js';
import { planDown, planRemoveNamespaces } from '../../../src/testbed/plan-down.js';

const ledger: LedgerObject[] = [
  { kind: 'netns', name: 'vmp-a-h0' },
  { kind: 'netns', name: 'vmp-a-h1' },
  { kind: 'netns', name: 'vmp-a-h0-v1' },
  { kind: 'link', netns: 'vmp-a-h0', name: 'up0' },
  { kind: 'link', netns: 'vmp-a-h0', name: 'br0' },
  { kind: 'qdisc', netns: 'vmp-a-h0', dev: 'up0' },
];

test('down replays the ledger in reverse; interfaces go with their namespace', () => {
  const steps = planDown(ledger, new Set(['vmp-a-h0', 'vmp-a-h1', 'vmp-a-h0-v1']));
  assert.deepEqual(
    steps.map((s) => s.argv.join(' ')),
    ['ip netns delete vmp-a-h0-v1', 'ip netns delete vmp-a-h1', 'ip netns delete vmp-a-h0'],
  );
});

test('down is idempotent: namespaces already gone are skipped, nothing left means no steps', () => {
  assert.deepEqual(
    planDown(ledger, new Set(['vmp-a-h1'])).map((s) => s.argv.join(' ')),
    ['ip netns delete vmp-a-h1'],
  );
  assert.deepEqual(planDown(ledger, new Set()), []);
  assert.deepEqual(planDown([], new Set(['vmp-a-h0'])), []);
});

test('a link outside every owned namespace gets its own delete', () => {
  const steps = planDown([{ kind: 'link', netns: 'vmp-b-x', name: 'up0' }], new Set(['vmp-b-x']));
  assert.deepEqual(
    steps.map((s) => s.argv.join(' ')),
    ['ip -n vmp-b-x link delete dev up0'],
  );
});

test('leftover namespaces are removed vms first', () => {
  const steps = planRemoveNamespaces(['vmp-a-h0', 'vmp-a-h0-v1', 'vmp-a-h1']);
  assert.deepEqual(
    steps.map((s) => s.argv.at(-1)),
    ['vmp-a-h1', 'vmp-a-h0-v1', 'vmp-a-h0'],
  );
});
