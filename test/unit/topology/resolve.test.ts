import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VmpathError } from '../../../src/core/errors.js';
import { PRESETS, presetSpec } from '../../../src/topology/presets.js';
import { resolveTopology } from '../../../src/topology/resolve.js';

const tiny = () => presetSpec('tiny');

describe('resolveTopology', () => {
  test('paper preset: 2 hosts x 4 vms x 2 slots, 10 Gbit/s, bridged, one cable', () => {
    const t = resolveTopology(presetSpec('paper'));
    assert.equal(t.hosts.length, 2);
    assert.deepEqual(
      t.hosts.map((h) => h.vms.map((vm) => `${vm.name}:${vm.slots}`)),
      [
        ['node1:2', 'node2:2', 'node3:2', 'node4:2'],
        ['node5:2', 'node6:2', 'node7:2', 'node8:2'],
      ],
    );
    assert.ok(t.hosts.every((h) => h.uplink.rateMbit === 10_000));
    assert.ok(t.hosts.every((h) => h.vms.every((vm) => vm.datapath === 'bridged')));
    assert.equal(t.switch, null);
    assert.equal(t.addressing.subnet, '198.18.0.0/15');
  });

  test('every preset resolves', () => {
    for (const name of Object.keys(PRESETS))
      assert.ok(resolveTopology(presetSpec(name)).hosts.length > 0, name);
  });

  test('defaults are filled in and the result is deeply frozen', () => {
    const t = resolveTopology(tiny());
    const host = t.hosts[0];
    assert.ok(host);
    assert.deepEqual(host.uplink, { rateMbit: null, burstBytes: null, delayMs: 0 });
    assert.deepEqual(host.iov, { mode: 'veb', maxVfs: 64 });
    assert.ok(Object.isFrozen(t) && Object.isFrozen(host) && Object.isFrozen(host.vms[0]));
    assert.throws(() => {
      (host.vms as unknown as unknown[]).push({});
    }, TypeError);
  });

  test('addresses are allocated in order inside the benchmarking range; native hosts carry them', () => {
    const vms = resolveTopology(tiny());
    assert.deepEqual(
      vms.hosts.flatMap((h) => h.vms.map((vm) => vm.address)),
      ['198.18.0.1', '198.18.0.2', '198.18.0.3', '198.18.0.4'],
    );
    const native = resolveTopology(tiny(), { datapath: 'native' });
    assert.deepEqual(
      native.hosts.map((h) => [h.native, h.address]),
      [
        [true, '198.18.0.1'],
        [true, '198.18.0.2'],
      ],
    );
    assert.ok(native.hosts.every((h) => h.vms.every((vm) => vm.address === null)));
  });

  test('a custom subnet inside the range is used', () => {
    const t = resolveTopology({ ...tiny(), addressing: { subnet: '198.19.4.0/24' } });
    assert.equal(t.hosts[0]?.vms[0]?.address, '198.19.4.1');
    assert.equal(t.addressing.prefixLength, 24);
  });

  test('--datapath overrides every vm; --rate overrides every uplink, 0 removes shaping', () => {
    const iov = resolveTopology(presetSpec('paper'), { datapath: 'iov', rateMbit: 1000 });
    assert.ok(iov.hosts.every((h) => h.vms.every((vm) => vm.datapath === 'iov')));
    assert.ok(iov.hosts.every((h) => h.uplink.rateMbit === 1000));
    const unshaped = resolveTopology(presetSpec('paper'), { rateMbit: 0 });
    assert.ok(unshaped.hosts.every((h) => h.uplink.rateMbit === null));
  });

  test('a switch is added for more than two hosts, for one host, and for vepa', () => {
    assert.deepEqual(resolveTopology(presetSpec('trio')).switch, { name: 'sw' });
    const one = { hosts: [{ name: 'h', vms: [{ name: 'v', slots: 1 }] }] };
    assert.deepEqual(resolveTopology(one).switch, { name: 'sw' });
    const vepa = { ...tiny(), datapath: 'iov' as const, iov: { mode: 'vepa' as const } };
    assert.deepEqual(resolveTopology(vepa).switch, { name: 'sw' });
    assert.equal(resolveTopology({ ...vepa, datapath: 'bridged' as const }).switch, null);
    assert.deepEqual(resolveTopology({ ...tiny(), switch: { name: 'core' } }).switch, {
      name: 'core',
    });
  });

  test('per-vm data paths and per-host iov options', () => {
    const spec = {
      hosts: [
        {
          name: 'a',
          iov: { mode: 'vepa' as const, maxVfs: 2 },
          vms: [{ name: 'x', slots: 1, datapath: 'iov' as const }],
        },
        { name: 'b', vms: [{ name: 'y', slots: 4 }] },
      ],
    };
    const t = resolveTopology(spec);
    assert.deepEqual(t.hosts[0]?.iov, { mode: 'vepa', maxVfs: 2 });
    assert.equal(t.hosts[0]?.vms[0]?.datapath, 'iov');
    assert.equal(t.hosts[1]?.vms[0]?.datapath, 'bridged');
  });
});

/** Each bad spec, the field its error must name, and a word of what is allowed. */
const BAD: [string, () => unknown, string, RegExp][] = [
  ['no hosts field', () => ({ name: 'x' }), 'hosts', /missing/],
  ['empty host list', () => ({ hosts: [] }), 'hosts', /at least one host/],
  [
    'host without name',
    () => ({ hosts: [{ vms: [{ name: 'v', slots: 1 }] }] }),
    'hosts[0].name',
    /missing/,
  ],
  ['host without vms', () => ({ hosts: [{ name: 'h' }] }), 'hosts[0].vms', /list of vms/],
  [
    'vm without slots',
    () => ({ hosts: [{ name: 'h', vms: [{ name: 'v' }] }] }),
    'hosts[0].vms[0].slots',
    /integer from 1/,
  ],
  [
    'zero slots',
    () => ({ hosts: [{ name: 'h', vms: [{ name: 'v', slots: 0 }] }] }),
    'hosts[0].vms[0].slots',
    /integer from 1/,
  ],
  [
    'fractional slots',
    () => ({ hosts: [{ name: 'h', vms: [{ name: 'v', slots: 1.5 }] }] }),
    'hosts[0].vms[0].slots',
    /integer/,
  ],
  [
    'unknown data path',
    () => ({ ...tiny(), datapath: 'sriov' }),
    'datapath',
    /native, bridged, iov/,
  ],
  [
    'unknown vm data path',
    () => ({ hosts: [{ name: 'h', vms: [{ name: 'v', slots: 1, datapath: 'xen' }] }] }),
    'hosts[0].vms[0].datapath',
    /native, bridged, iov/,
  ],
  ['unknown iov mode', () => ({ ...tiny(), iov: { mode: 'vepb' } }), 'iov.mode', /veb, vepa/],
  [
    'duplicate host names',
    () => ({
      hosts: [
        { name: 'h', vms: [{ name: 'a', slots: 1 }] },
        { name: 'h', vms: [{ name: 'b', slots: 1 }] },
      ],
    }),
    'hosts[1].name',
    /not used elsewhere/,
  ],
  [
    'duplicate vm names across hosts',
    () => ({
      hosts: [
        { name: 'h', vms: [{ name: 'a', slots: 1 }] },
        { name: 'g', vms: [{ name: 'a', slots: 1 }] },
      ],
    }),
    'hosts[1].vms[0].name',
    /not used elsewhere/,
  ],
  [
    'vm named like a host',
    () => ({
      hosts: [
        { name: 'h', vms: [{ name: 'g', slots: 1 }] },
        { name: 'g', vms: [{ name: 'b', slots: 1 }] },
      ],
    }),
    'hosts[1].name',
    /already used by hosts\[0\]\.vms\[0\]\.name/,
  ],
  [
    'host named like the switch',
    () => ({
      ...presetSpec('trio'),
      hosts: [
        ...presetSpec('trio').hosts.slice(0, 2),
        { name: 'sw', vms: [{ name: 'q', slots: 1 }] },
      ],
    }),
    'hosts[2].name',
    /already used by switch.name/,
  ],
  [
    'more iov vms than VFs',
    () => ({ ...presetSpec('paper'), datapath: 'iov', iov: { maxVfs: 3 } }),
    'hosts[0].iov.maxVfs',
    /at least 4/,
  ],
  [
    'rate 0',
    () => ({ hosts: [{ name: 'h', uplink: { rateMbit: 0 }, vms: [{ name: 'v', slots: 1 }] }] }),
    'hosts[0].uplink.rateMbit',
    /greater than 0/,
  ],
  [
    'negative rate',
    () => ({ hosts: [{ name: 'h', uplink: { rateMbit: -100 }, vms: [{ name: 'v', slots: 1 }] }] }),
    'hosts[0].uplink.rateMbit',
    /greater than 0/,
  ],
  [
    'rate as text',
    () => ({ hosts: [{ name: 'h', uplink: { rateMbit: '10G' }, vms: [{ name: 'v', slots: 1 }] }] }),
    'hosts[0].uplink.rateMbit',
    /Mbit/,
  ],
  [
    'negative delay',
    () => ({ hosts: [{ name: 'h', uplink: { delayMs: -1 }, vms: [{ name: 'v', slots: 1 }] }] }),
    'hosts[0].uplink.delayMs',
    /delay/,
  ],
  [
    'name with a dash',
    () => ({ hosts: [{ name: 'host-0', vms: [{ name: 'v', slots: 1 }] }] }),
    'hosts[0].name',
    /lower-case letter/,
  ],
  [
    'name with capitals',
    () => ({ hosts: [{ name: 'h', vms: [{ name: 'Node1', slots: 1 }] }] }),
    'hosts[0].vms[0].name',
    /lower-case letter/,
  ],
  ['unknown field (typo)', () => ({ ...tiny(), hots: [] }), '(top level)', /unknown field "hots"/],
  [
    'unknown uplink field',
    () => ({ hosts: [{ name: 'h', uplink: { rate: 10 }, vms: [{ name: 'v', slots: 1 }] }] }),
    'hosts[0].uplink',
    /unknown field "rate"/,
  ],
  [
    'subnet outside the benchmarking range',
    () => ({ ...tiny(), addressing: { subnet: '10.0.0.0/8' } }),
    'addressing.subnet',
    /198\.18\.0\.0\/15/,
  ],
  [
    'subnet too small',
    () => ({ ...tiny(), addressing: { subnet: '198.18.0.0/30' } }),
    'addressing.subnet',
    /at least 4 host addresses/,
  ],
  [
    'malformed subnet',
    () => ({ ...tiny(), addressing: { subnet: '198.18.0.1/15' } }),
    'addressing.subnet',
    /host bits zero/,
  ],
  [
    'native mixed with vms on a host',
    () => ({
      hosts: [
        {
          name: 'h',
          vms: [
            { name: 'a', slots: 1, datapath: 'native' },
            { name: 'b', slots: 1 },
          ],
        },
      ],
    }),
    'hosts[0].vms[].datapath',
    /every vm of a host or on none/,
  ],
  [
    'bridged and iov on one host',
    () => ({
      hosts: [
        {
          name: 'h',
          vms: [
            { name: 'a', slots: 1, datapath: 'iov' },
            { name: 'b', slots: 1 },
          ],
        },
      ],
    }),
    'hosts[0].vms[].datapath',
    /bridged on every vm of a host, or iov\/shm on every vm/,
  ],
  [
    'no switch for three hosts',
    () => ({ ...presetSpec('trio'), switch: false }),
    'switch',
    /only two hosts can share one cable/,
  ],
  ['spec is not an object', () => 'hosts', '(top level)', /got "hosts"/],
];

describe('bad specs are refused with the field, the value and what is allowed', () => {
  for (const [name, spec, field, allowed] of BAD) {
    test(name, () => {
      assert.throws(
        () => resolveTopology(spec()),
        (error: unknown) => {
          assert.ok(error instanceof VmpathError, String(error));
          assert.equal(error.kind, 'input');
          assert.match(error.code, /^E_SPEC_/);
          assert.ok(
            error.message.includes(`${field}:`),
            `message names ${field}: ${error.message}`,
          );
          assert.match(error.message, allowed);
          return true;
        },
      );
    });
  }
  test(`at least 15 cases (${BAD.length})`, () => assert.ok(BAD.length >= 15));
});
