import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { summarizeTransports } from '../../../src/cli/commands/launch.js';
import {
  DEFAULT_SPIN_US,
  quotaShare,
  spinCores,
  spinMicros,
  transportBetween,
} from '../../../src/runtime/init.js';
import { removeStaleJobs } from '../../../src/runtime/launcher.js';
import { tempDir } from '../../support/temp.js';

test('local inside a vm and between shm vms of one host; tcp otherwise', () => {
  const at = (vm: string, host: string, shm: boolean) => ({
    vm,
    host,
    datapath: shm ? ('shm' as const) : ('iov' as const),
  });
  assert.equal(transportBetween(at('a', 'h0', false), at('a', 'h0', false)), 'local');
  assert.equal(transportBetween(at('a', 'h0', false), at('b', 'h0', false)), 'tcp');
  assert.equal(transportBetween(at('a', 'h0', true), at('b', 'h0', true)), 'local');
  assert.equal(transportBetween(at('a', 'h0', true), at('b', 'h1', true)), 'tcp');
  assert.equal(transportBetween(at('a', 'h0', true), at('b', 'h0', false)), 'tcp');
});

test('the job summary lists the pairs of each transport, either direction once, in order', () => {
  const entry = (from: number, to: number, transport: 'tcp' | 'local', bytes: number) => ({
    from,
    to,
    messages: 1,
    bytes,
    transport,
  });
  assert.equal(
    summarizeTransports([
      entry(2, 0, 'tcp', 8),
      entry(1, 0, 'local', 4),
      entry(0, 1, 'local', 4),
      entry(0, 2, 'tcp', 8),
      entry(3, 1, 'tcp', 8),
    ]),
    'local: 1 pair (0-1), 2 messages, 8 bytes; tcp: 2 pairs (0-2 1-3), 3 messages, 24 bytes',
  );
  assert.equal(summarizeTransports([]), '');
});

test('ranks busy-poll while they are no more than the cores; VMPATH_SPIN_US decides when set', () => {
  assert.equal(spinMicros({ VMPATH_LOCAL_SIZE: '2' }, 2), DEFAULT_SPIN_US, 'a rank per core');
  assert.equal(spinMicros({ VMPATH_LOCAL_SIZE: '3' }, 2), 0, 'more ranks than cores');
  assert.equal(spinMicros({ VMPATH_LOCAL_SIZE: '2' }, 3), DEFAULT_SPIN_US);
  assert.equal(spinMicros({ VMPATH_LOCAL_SIZE: '2' }, 1.5), 0, 'a quota of 1.5 cores');
  assert.equal(spinMicros({ OMPI_COMM_WORLD_LOCAL_SIZE: '2' }, 2), DEFAULT_SPIN_US);
  assert.equal(spinMicros({ VMPATH_LOCAL_SIZE: '16' }, 2), 0);
  assert.equal(spinMicros({ OMPI_COMM_WORLD_LOCAL_SIZE: '3' }, 2), 0);
  assert.equal(spinMicros({}, 2), DEFAULT_SPIN_US);
  assert.equal(spinMicros({ VMPATH_SPIN_US: '0', VMPATH_LOCAL_SIZE: '1' }, 2), 0);
  assert.equal(spinMicros({ VMPATH_SPIN_US: '250', VMPATH_LOCAL_SIZE: '16' }, 2), 250);
  assert.throws(() => spinMicros({ VMPATH_SPIN_US: 'fast' }, 2), /VMPATH_SPIN_US: got "fast"/);
});

test("ranks under a testbed host's CPU budget poll within their share of it", () => {
  const budget = (cores: string, ranks: string) => ({
    VMPATH_LOCAL_SIZE: ranks,
    VMPATH_CPU_BUDGET: cores,
    VMPATH_BUDGET_RANKS: ranks,
  });
  // 1 rank a host, 2 cores, the host's guests 0.875 of them: it polls, within 0.875.
  assert.equal(spinMicros(budget('0.875', '1'), 2), DEFAULT_SPIN_US);
  // 2 ranks of one vm there: 0.4375 each, below MIN_POLL_SHARE, they sleep.
  assert.equal(spinMicros(budget('0.875', '2'), 2), 0, 'less than half a core each');
  assert.equal(spinMicros(budget('1', '2'), 2), DEFAULT_SPIN_US, 'half a core each');
  assert.equal(quotaShare(budget('0.875', '2')), 0.4375);
  assert.equal(quotaShare(budget('0.875', '1')), 0.875);
  assert.equal(quotaShare({ VMPATH_LOCAL_SIZE: '2' }), Number.POSITIVE_INFINITY, 'no budget');
  assert.equal(spinMicros(budget('3', '3'), 2), 0, 'the machine rule still holds');
  assert.equal(spinMicros({ ...budget('0.875', '2'), VMPATH_SPIN_US: '100' }, 2), 100);
});

test("a rank counts the cores its affinity gives it, no more than its cgroup's quota", () => {
  assert.equal(spinCores(4, null), 4);
  assert.equal(spinCores(4, 1.5), 1.5);
  assert.equal(spinCores(2, 8), 2);
});

test('stale job folders (their launcher is gone) are removed; live and foreign ones are not', () => {
  const dir = tempDir('vmpath-jobs-');
  for (const name of [
    'vmpath-job-999999999-abc',
    `vmpath-job-${process.pid}-x`,
    'vmpath-job-deadbeef0123',
    'other',
  ])
    mkdirSync(join(dir, name));
  assert.deepEqual(removeStaleJobs(dir), ['vmpath-job-999999999-abc']);
  assert.deepEqual(
    readdirSync(dir).sort(),
    ['other', `vmpath-job-${process.pid}-x`, 'vmpath-job-deadbeef0123'].sort(),
  );
});
