import assert from 'node:assert/strict';
import { test } from 'node:test';
import { iterationPolicy, portOf, testParams, toolName } from '../../../src/cli/bench-options.js';
import { VmpathError } from '../../../src/core/errors.js';
import { parseBytes } from '../../../src/core/units.js';

test('defaults: stream 128 KiB for 10 s after 1 s; rr 1/1; one run', () => {
  assert.deepEqual(testParams('stream', {}), {
    test: 'stream',
    sizeBytes: 131072,
    durationMs: 10_000,
    warmupMs: 1000,
  });
  assert.deepEqual(testParams('rr', {}), {
    test: 'rr',
    requestBytes: 1,
    responseBytes: 1,
    durationMs: 10_000,
    warmupMs: 1000,
  });
  assert.deepEqual(iterationPolicy({}), {
    min: 1,
    max: 1,
    level: 0.99,
    widthPct: Number.POSITIVE_INFINITY,
  });
  assert.deepEqual(iterationPolicy({ iterations: '3,10', confidence: '95,2.5' }), {
    min: 3,
    max: 10,
    level: 0.95,
    widthPct: 2.5,
  });
  assert.equal(toolName({}), 'vmpath');
  assert.equal(portOf({}), 0);
});

test('sizes take K, M, G suffixes (powers of 1024)', () => {
  assert.equal(parseBytes('128K', 'x', 1, 2 ** 30), 131072);
  assert.equal(parseBytes('1g', 'x', 1, 2 ** 30), 2 ** 30);
  assert.equal(parseBytes('64KiB', 'x', 1, 2 ** 30), 65536);
});

test('bad options are refused naming the option, the value and what is allowed', () => {
  const cases: [() => unknown, RegExp][] = [
    [
      () => testParams('stream', { duration: '0' }),
      /^--duration: got "0"; allowed: seconds, greater than 0/,
    ],
    [() => testParams('stream', { duration: '-3' }), /^--duration: got "-3"/],
    [() => testParams('stream', { duration: 'abc' }), /^--duration: got "abc"/],
    [
      () => testParams('stream', { size: '0' }),
      /^--size: got "0"; allowed: a size in bytes from 1 to 1073741824/,
    ],
    [() => testParams('stream', { size: '2G' }), /^--size: got "2G"/],
    [() => testParams('rr', { request: '0' }), /^--request: got "0"/],
    [() => testParams('udp', {}), /^--test: got "udp"; allowed: stream or rr/],
    [() => iterationPolicy({ iterations: '5,2' }), /^--iterations: got "5,2"/],
    [() => iterationPolicy({ confidence: '100,5' }), /^--confidence: got "100,5"/],
    [() => toolName({ tool: 'netperf' }), /^--tool: got "netperf"; allowed: vmpath, iperf3/],
    [() => portOf({ port: '70000' }), /^--port: got "70000"/],
  ];
  for (const [call, message] of cases) {
    assert.throws(
      call,
      (e: unknown) => e instanceof VmpathError && e.kind === 'input' && message.test(e.message),
      String(message),
    );
  }
});
