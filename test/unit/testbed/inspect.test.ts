import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommandError } from '../../../src/core/errors.js';
import { explainStepFailure } from '../../../src/testbed/features.js';
import { parseInterfaces, parseQdiscs } from '../../../src/testbed/inspect.js';

const IP_JSON = JSON.stringify([
  {
    ifindex: 1,
    ifname: 'lo',
    flags: ['LOOPBACK', 'UP'],
    addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }],
    stats64: { rx: { bytes: 5 }, tx: { bytes: 5 } },
  },
  {
    ifindex: 2,
    ifname: 'eth0',
    flags: ['BROADCAST', 'UP'],
    linkinfo: { info_kind: 'macvlan', info_data: { mode: 'vepa' } },
    addr_info: [
      { family: 'inet', local: '198.18.0.1', prefixlen: 15 },
      { family: 'inet6', local: 'fe80::1', prefixlen: 64 },
    ],
    stats64: { rx: { bytes: 100 }, tx: { bytes: 2000 } },
  },
  {
    ifindex: 3,
    ifname: 'v-node1',
    flags: ['BROADCAST'],
    master: 'br0',
    linkinfo: { info_kind: 'veth' },
  },
]);

test('interfaces: kind, macvlan mode, bridge, state, IPv4 addresses, counters', () => {
  assert.deepEqual(parseInterfaces(IP_JSON), [
    {
      name: 'lo',
      kind: null,
      mode: null,
      master: null,
      up: true,
      addresses: ['127.0.0.1/8'],
      rxBytes: 5,
      txBytes: 5,
    },
    {
      name: 'eth0',
      kind: 'macvlan',
      mode: 'vepa',
      master: null,
      up: true,
      addresses: ['198.18.0.1/15'],
      rxBytes: 100,
      txBytes: 2000,
    },
    {
      name: 'v-node1',
      kind: 'veth',
      mode: null,
      master: 'br0',
      up: false,
      addresses: [],
      rxBytes: 0,
      txBytes: 0,
    },
  ]);
  assert.deepEqual(parseInterfaces(''), []);
});

test('qdiscs: tbf rate in Mbit/s from bytes per second; noqueue left out', () => {
  const json = JSON.stringify([
    { kind: 'noqueue', dev: 'lo', options: {} },
    { kind: 'tbf', dev: 'up0', options: { rate: 125_000_000, burst: 131_000 }, drops: 3 },
  ]);
  assert.deepEqual(parseQdiscs(json), [
    { dev: 'up0', kind: 'tbf', rateMbit: 1000, burstBytes: 131_000, drops: 3 },
  ]);
});

test('a missing kernel feature becomes E_TESTBED_UNSUPPORTED naming what asked for it', () => {
  const step = {
    argv: [
      'tc',
      '-n',
      'ns',
      'qdisc',
      'add',
      'dev',
      'up0',
      'root',
      'handle',
      '1:',
      'netem',
      'delay',
      '2ms',
    ],
    description: 'delay',
  };
  const failed = new CommandError({
    argv: step.argv,
    exitCode: 2,
    stderr: 'Error: Specified qdisc kind is unknown.\n',
    durationMs: 1,
  });
  const e = explainStepFailure(step, failed);
  assert.equal(e.code, 'E_TESTBED_UNSUPPORTED');
  assert.equal(e.kind, 'input');
  assert.match(e.message, /lacks the netem qdisc .*delayMs/);
  const macvlan = {
    argv: ['ip', '-n', 'ns', 'link', 'add', 'link', 'up0', 'name', 'eth0', 'type', 'macvlan'],
    description: 'vf',
  };
  const e2 = explainStepFailure(
    macvlan,
    new CommandError({
      argv: macvlan.argv,
      exitCode: 2,
      stderr: 'Error: Unknown device type.\n',
      durationMs: 1,
    }),
  );
  assert.match(e2.message, /macvlan.*iov/);
});

test('any other failure becomes E_TESTBED_APPLY naming the step', () => {
  const step = { argv: ['ip', 'netns', 'add', 'x'], description: 'namespace of host h' };
  const e = explainStepFailure(
    step,
    new CommandError({
      argv: step.argv,
      exitCode: 1,
      stderr: 'Cannot create namespace file: File exists\n',
      durationMs: 1,
    }),
  );
  assert.equal(e.code, 'E_TESTBED_APPLY');
  assert.match(e.message, /could not namespace of host h: .*File exists/);
});
