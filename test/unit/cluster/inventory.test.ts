import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveInventory } from '../../../src/cluster/inventory.js';
import { VmpathError } from '../../../src/core/errors.js';

const defaults = { baseDir: '/etc/lab', user: 'alice' };
const ssh = { identityFile: 'keys/id', knownHosts: '/etc/lab/known_hosts' };
const lab = (extra: Record<string, unknown> = {}) => ({
  name: 'lab',
  ssh,
  hosts: [
    {
      name: 'h0',
      vms: [
        { name: 'vm1', address: '10.0.0.11', slots: 2, datapath: 'iov' },
        { name: 'vm2', address: '10.0.0.12', slots: 2, datapath: 'iov' },
      ],
    },
    { name: 'h1', address: '10.0.0.2', vms: [{ name: 'n1', slots: 8, datapath: 'native' }] },
  ],
  ...extra,
});

/** The message of the input error `body` throws (exit 2), naming a field. */
function refusal(body: () => unknown): string {
  try {
    body();
  } catch (error) {
    assert.ok(error instanceof VmpathError, String(error));
    assert.equal(error.kind, 'input');
    return error.message;
  }
  assert.fail('no error');
}

describe('inventories', () => {
  test('resolve to a topology: vms with their addresses, a native host as its own endpoint', () => {
    const inv = resolveInventory(lab(), 'lab.yaml', defaults);
    assert.equal(inv.topology.name, 'lab');
    const [h0, h1] = inv.topology.hosts;
    assert.deepEqual(
      h0?.vms.map((v) => [v.name, v.address, v.slots, v.datapath]),
      [
        ['vm1', '10.0.0.11', 2, 'iov'],
        ['vm2', '10.0.0.12', 2, 'iov'],
      ],
    );
    assert.equal(h0?.native, false);
    assert.equal(h1?.native, true);
    assert.equal(h1?.address, '10.0.0.2');
    assert.equal(h1?.vms[0]?.address, null);
    assert.equal(Object.isFrozen(inv.topology.hosts), true);
  });

  test("ssh settings: the host's over the inventory's, relative paths from the file's folder, the user's name by default", () => {
    const inv = resolveInventory(
      lab({ hosts: [{ ...lab().hosts[0], ssh: { port: 2222, user: 'root' } }, lab().hosts[1]] }),
      'lab.yaml',
      defaults,
    );
    assert.equal(inv.access.kind, 'ssh');
    if (inv.access.kind !== 'ssh') return;
    assert.deepEqual(inv.access.hosts.h0, {
      user: 'root',
      port: 2222,
      identityFile: '/etc/lab/keys/id',
      knownHosts: '/etc/lab/known_hosts',
    });
    assert.equal(inv.access.hosts.h1?.user, 'alice');
    assert.equal(inv.access.hosts.h1?.port, 22);
  });

  test('the key and known hosts may come from the environment, never from ~/.ssh', () => {
    const bare = { ...lab(), ssh: { user: 'bob' } };
    assert.match(
      refusal(() => resolveInventory(bare, 'lab.yaml', defaults)),
      /^ssh\.identityFile: got nothing; allowed: .*never reads your ~\/\.ssh/,
    );
    const inv = resolveInventory(bare, 'lab.yaml', {
      ...defaults,
      identityFile: '/k',
      knownHosts: '/kh',
    });
    assert.equal(inv.access.kind === 'ssh' && inv.access.hosts.h0?.identityFile, '/k');
  });

  test('Slurm: a partition, one for the whole inventory, and not with ssh', () => {
    const slurm = { ...lab(), ssh: undefined, slurm: { partition: 'vmp' } };
    const inv = resolveInventory(slurm, 'lab.yaml', defaults);
    assert.deepEqual(inv.access, { kind: 'slurm', partition: 'vmp' });
    assert.match(
      refusal(() => resolveInventory({ ...lab(), slurm: {} }, 'lab.yaml', defaults)),
      /^slurm: .*one way to reach the nodes/,
    );
  });

  test('bad inventories name the field, the value and what is allowed', () => {
    const cases: [unknown, RegExp][] = [
      [
        lab({ hostz: [] }),
        /lab\.yaml: invalid inventory\n {2}\(top level\): unknown field "hostz"/,
      ],
      [
        { ...lab(), hosts: [{ name: 'h0', vms: [{ name: 'vm1', slots: 1, datapath: 'iov' }] }] },
        /^hosts\[0\]\.vms\[0\]\.address: got nothing; allowed: the vm's IPv4 address/,
      ],
      [
        {
          ...lab(),
          hosts: [
            {
              name: 'h0',
              vms: [{ name: 'vm1', address: '10.0.0.300', slots: 1, datapath: 'iov' }],
            },
          ],
        },
        /hosts\[0\]\.vms\[0\]\.address: got "10\.0\.0\.300"; allowed: an IPv4 address/,
      ],
      [
        {
          ...lab(),
          hosts: [
            {
              name: 'h0',
              vms: [{ name: 'vm1', address: '10.0.0.1', slots: 1, datapath: 'virtio' }],
            },
          ],
        },
        /datapath: got "virtio"; allowed: one of native, bridged, iov, shm/,
      ],
      [
        { ...lab(), hosts: [{ name: 'h1', vms: [{ name: 'n1', slots: 8, datapath: 'native' }] }] },
        /^hosts\[0\]\.address: got nothing; allowed: the host's IPv4 address/,
      ],
      [
        { ...lab(), hosts: [lab().hosts[0], { ...lab().hosts[1], address: '10.0.0.11' }] },
        /^hosts\[1\]\.address: got "10\.0\.0\.11"; allowed: an address no other node has \(hosts\[0\]\.vms\[0\]\.address has it\)/,
      ],
      [
        { ...lab(), hosts: [lab().hosts[0], { ...lab().hosts[1], name: 'vm1' }] },
        /^hosts\[1\]\.name: got "vm1"; allowed: a name not used elsewhere/,
      ],
      [
        {
          ...lab(),
          hosts: [
            {
              name: 'h0',
              vms: [
                { name: 'a', address: '10.0.0.1', slots: 1, datapath: 'native' },
                { name: 'b', address: '10.0.0.3', slots: 1, datapath: 'iov' },
              ],
            },
          ],
        },
        /^hosts\[0\]\.vms\[\]\.datapath: got "native\+iov"/,
      ],
    ];
    for (const [raw, expected] of cases)
      assert.match(
        refusal(() => resolveInventory(raw, 'lab.yaml', defaults)),
        expected,
      );
  });
});
